import { describe, expect, it } from "vitest";
import { dockerTreatsAsInsecure } from "../../src/doctor/registry/insecure.js";

describe("dockerTreatsAsInsecure: where docker falls back to plain HTTP", () => {
  it.each([
    ["127.0.0.1:5000", [], true],
    ["127.9.8.7", [], true],
    ["localhost:5000", [], true],
    // dockerd's default list is 127.0.0.0/8 only
    ["[::1]:5000", [], false],
    ["10.1.2.3:5000", [], false],
    ["10.1.2.3:5000", ["10.0.0.0/8"], true],
    ["[fd00::5]:5000", ["fd00::/8"], true],
    ["registry.test:5000", ["registry.test:5000"], true],
    ["registry.test:5000", ["http://registry.test:5000/"], true],
    ["registry.test:5000", ["registry.test"], false],
    ["10.1.2.3:5000", ["10.0.0.0/bad", "not a cidr/8"], false],
    // prefixes out of range or with more after the digits are no CIDR (and do not throw)
    ["10.1.2.3:5000", ["10.0.0.0/33", "fd00::/129", "10.0.0.0/8x", "10.0.0.0/008x"], false],
    ["10.1.2.3:5000", ["10.0.0.0/32", "10.1.2.3/32"], true],
    ["[fd00::5]:5000", ["fd00::/128", "fd00::5/128"], true],
    // a name that cannot be looked up (a label over 63 characters fails before any query) is not insecure
    [`${"a".repeat(64)}.test:5000`, [], false],
  ] as const)("%s with insecure-registries %j → %s", async (key, list, expected) => {
    expect(await dockerTreatsAsInsecure(key, key, list, 1_000)).toBe(expected);
  });
});

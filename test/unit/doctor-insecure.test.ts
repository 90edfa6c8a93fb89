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
  ] as const)("%s with insecure-registries %j → %s", async (key, list, expected) => {
    expect(await dockerTreatsAsInsecure(key, key, list, 1_000)).toBe(expected);
  });
});

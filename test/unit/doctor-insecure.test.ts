import { afterEach, describe, expect, it, vi } from "vitest";
import { dockerTreatsAsInsecure } from "../../src/doctor/registry/insecure.js";

// The name lookup, replaceable per test (the real one by default): a resolver that never answers cannot be arranged on loopback.
const dns = vi.hoisted(() => ({ lookup: undefined as undefined | (() => Promise<{ address: string; family: number }[]>) }));
vi.mock("node:dns/promises", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:dns/promises")>();
  return { ...real, lookup: (name: string, options: { all: true }) => (dns.lookup ?? (() => real.lookup(name, options)))() };
});
afterEach(() => {
  dns.lookup = undefined;
  vi.useRealTimers();
});

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
    // the prefix is digits alone, as dockerd reads it (Number() would take these)
    ["10.1.2.3:5000", ["10.0.0.0/ 8", "10.0.0.0/+8", "10.0.0.0/8 ", "10.0.0.0/0x8"], false],
    ["10.1.2.3:5000", ["10.0.0.0/32", "10.1.2.3/32"], true],
    ["[fd00::5]:5000", ["fd00::/128", "fd00::5/128"], true],
    // a name that cannot be looked up (a label over 63 characters fails before any query) is not insecure
    [`${"a".repeat(64)}.test:5000`, [], false],
  ] as const)("%s with insecure-registries %j → %s", async (key, list, expected) => {
    expect(await dockerTreatsAsInsecure(key, key, list, 1_000)).toBe(expected);
  });

  it("a lookup that never answers ends at the bound: not insecure", async () => {
    dns.lookup = () => new Promise(() => {});
    expect(await dockerTreatsAsInsecure("registry.test:5000", "registry.test:5000", [], 20)).toBe(false);
  });

  it("a name that resolves into 127.0.0.0/8 is insecure, and no timer is left to keep doctor from exiting", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    dns.lookup = async () => [{ address: "127.0.0.2", family: 4 }];
    expect(await dockerTreatsAsInsecure("registry.test:5000", "registry.test:5000", [], 60_000)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HelperError } from "../../src/errors.js";
import { normaliseServer } from "../../src/server-url.js";

/**
 * Property-based checks of the normaliser against an independent model of
 * where docker (Go) sends a server string: its host and port. Two strings may
 * share a key only if docker sends both to the same place.
 */

const RUNS = { numRuns: 1500 };

// ---- the model: a deliberately plain reading, written apart from src/server-url.ts ----

type Target = { host: string; port: number };

const DOCKER_HUB = ["docker.io", "index.docker.io", "registry-1.docker.io"];

/** Where docker would connect for `text`, or undefined when it could not tell. */
function dockerTarget(text: string): Target | undefined {
  let rest = text.replace(/^[ \t\r\n]+/, "").replace(/[ \t\r\n]+$/, "");
  const lower = rest.toLowerCase();
  if (lower.startsWith("https://")) rest = rest.slice(8);
  else if (lower.startsWith("http://")) rest = rest.slice(7);
  for (const stop of ["/", "?", "#"]) {
    const at = rest.indexOf(stop);
    if (at >= 0) rest = rest.slice(0, at);
  }
  let hostText: string;
  let portText = "";
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0) return undefined;
    hostText = rest.slice(0, close + 1);
    const after = rest.slice(close + 1);
    if (after !== "" && !after.startsWith(":")) return undefined;
    portText = after.slice(1);
    if (after === ":") return undefined;
  } else {
    const colon = rest.indexOf(":");
    hostText = colon < 0 ? rest : rest.slice(0, colon);
    if (colon >= 0) {
      portText = rest.slice(colon + 1);
      if (portText === "") return undefined;
    }
  }
  if (portText !== "" && ![...portText].every((c) => c >= "0" && c <= "9")) return undefined;
  const port = portText === "" ? 443 : parseInt(portText, 10);
  const host = hostIdentity(hostText);
  return host === undefined ? undefined : { host, port };
}

/** Go's view: an IPv6 literal (as 8 numbers), a dotted quad as net.ParseIP reads it, else a DNS name (case-insensitive, one final dot optional). */
function hostIdentity(text: string): string | undefined {
  if (text.startsWith("[")) {
    const groups = ipv6Groups(text.slice(1, -1));
    return groups === undefined ? undefined : `ip:${groups.join(":")}`;
  }
  const quad = goIPv4(text);
  if (quad !== undefined) return `ip:${quad}`;
  if (text === "" || ![...text].every((c) => /[A-Za-z0-9._-]/.test(c))) return undefined;
  const name = text.toLowerCase().replace(/\.$/, "");
  return DOCKER_HUB.includes(name) ? "name:docker-hub" : `name:${name}`;
}

/** net.ParseIP for IPv4: four decimal fields 0-255, no leading zeros (Go 1.17+). */
function goIPv4(text: string): string | undefined {
  const fields = text.split(".");
  if (fields.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const f of fields) {
    if (f === "" || f.length > 3 || ![...f].every((c) => c >= "0" && c <= "9")) return undefined;
    if (f.length > 1 && f.startsWith("0")) return undefined;
    const n = Number(f);
    if (n > 255) return undefined;
    bytes.push(n);
  }
  // As an IPv4-mapped IPv6 address, so that it compares with bracketed forms of the same address.
  return ["0", "0", "0", "0", "0", "ffff", ((bytes[0]! << 8) | bytes[1]!).toString(16), ((bytes[2]! << 8) | bytes[3]!).toString(16)].join(":");
}

/** The eight 16-bit groups of an IPv6 address (hex, lower case), or undefined. */
function ipv6Groups(text: string): string[] | undefined {
  let tail: string[] = [];
  let body = text;
  const lastColon = body.lastIndexOf(":");
  if (body.slice(lastColon + 1).includes(".")) {
    const v4 = goIPv4(body.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = v4.split(":").slice(6);
    body = body.slice(0, lastColon + 1) + "0:0";
  }
  const halves = body.split("::");
  if (halves.length > 2) return undefined;
  const parse = (s: string) => (s === "" ? [] : s.split(":"));
  const left = parse(halves[0]!);
  const right = halves.length === 2 ? parse(halves[1]!) : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...right];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const groups = all.map((g) => parseInt(g, 16).toString(16));
  if (tail.length === 2) groups.splice(6, 2, ...tail);
  return groups;
}

// ---- generators ----

const numericLookalikes = ["127.0.0.1", "127.1", "127.0.1", "2130706433", "0x7f000001", "0X7F.1", "0177.0.0.1", "127.0.0.01", "10.8", "10.0.0.8", "0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3.4.5", "017700000001"];
const names = ["ghcr.io", "docker.io", "index.docker.io", "registry-1.docker.io", "localhost", "myco.azurecr.io", "myco.azurecr.io.evil.test", "evil.test", "xn--bcher-kva.test", "a_b.test", "0x7f000001.test", "127.0.0.1.nip.test"];
const ipv6 = ["[::1]", "[0:0:0:0:0:0:0:1]", "[::0001]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::FFFF:7F00:0001]", "[2001:db8::1]", "[2001:DB8:0:0:0:0:0:1]", "[::127.0.0.1]", "[1::2::3]", "[::1.2.3]"];
const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9_-]{0,5}[a-z0-9])?$/);
const randomName = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join("."));
const randomQuad = fc.tuple(fc.nat(300), fc.nat(300), fc.nat(300), fc.nat(300)).map((b) => b.join("."));
const randomNumber = fc.nat(0xffffffff).chain((n) => fc.constantFrom(String(n), `0x${n.toString(16)}`, `0${n.toString(8)}`));

const baseHost = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...numericLookalikes, ...names, ...ipv6) },
  { weight: 1, arbitrary: randomName },
  { weight: 1, arbitrary: randomQuad },
  { weight: 1, arbitrary: randomNumber },
);
const basePort = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("", "443", "0443", "80", "5000", "05000") },
  { weight: 1, arbitrary: fc.constantFrom("0", "65535", "65536", "99999") },
);

/** Null most of the time, else a value. */
const rarely = <T>(value: fc.Arbitrary<T>) => fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: value });

/** Cosmetic choices a client or a user could make around one host and port. */
const spelling = (host: string, port: string) =>
  fc
    .record({
      scheme: fc.oneof(fc.constantFrom("", "https://", "http://", "HTTPS://", "Http://"), rarely(fc.constantFrom("ftp://", "//")).map((x) => x ?? "")),
      upper: fc.array(fc.boolean(), { minLength: host.length, maxLength: host.length }),
      dot: fc.boolean(),
      explicitPort: fc.boolean(),
      path: fc.oneof(fc.constantFrom("", "/", "/v2/", "/v1/", "/org/repo", "?x=1", "#frag", "/a?b#c"), rarely(fc.constant("\\evil")).map((x) => x ?? "")),
      around: fc.oneof(fc.constantFrom("", " ", "\n", "\t\r\n"), rarely(fc.constantFrom("\u00a0", "\ufeff")).map((x) => x ?? "")),
      escape: rarely(fc.nat(host.length)),
      userinfo: rarely(fc.constantFrom("user@", "u:p@")),
    })
    .map((c) => {
      let h = [...host].map((ch, i) => (c.upper[i] ? ch.toUpperCase() : ch)).join("");
      if (c.escape !== null && c.escape < h.length) {
        h = `${h.slice(0, c.escape)}%${h.charCodeAt(c.escape).toString(16).padStart(2, "0")}${h.slice(c.escape + 1)}`;
      }
      if (c.dot && !h.startsWith("[")) h += ".";
      const p = port !== "" ? `:${port}` : c.explicitPort ? ":443" : "";
      return `${c.around}${c.scheme}${c.userinfo ?? ""}${h}${p}${c.path}${c.around}`;
    });

const server = fc.tuple(baseHost, basePort).chain(([h, p]) => spelling(h, p));

/** Two spellings, often of the same host and port, so that keys collide often enough to test. */
const pair = fc.tuple(baseHost, basePort).chain(([h, p]) =>
  fc.tuple(spelling(h, p), fc.oneof({ weight: 3, arbitrary: spelling(h, p) }, { weight: 1, arbitrary: server })),
);

function keyOf(text: string): string | undefined {
  try {
    return normaliseServer(text);
  } catch (error) {
    if (error instanceof HelperError) return undefined;
    throw error;
  }
}

describe("normaliseServer, property-based", () => {
  it("throws nothing but HelperError, whatever the string", () => {
    fc.assert(fc.property(fc.oneof(server, fc.string(), fc.string({ unit: "binary" })), (s) => void keyOf(s)), { numRuns: 1000 });
  });

  it("is idempotent: a key normalises to itself", () => {
    fc.assert(
      fc.property(server, (s) => {
        const key = keyOf(s);
        if (key !== undefined) expect(normaliseServer(key)).toBe(key);
      }),
      RUNS,
    );
  });

  it("accepts only strings docker reads as a host and a port in range", () => {
    fc.assert(
      fc.property(server, (s) => {
        if (keyOf(s) === undefined) return;
        const target = dockerTarget(s);
        expect(target).toBeDefined();
        expect(target!.port).toBeGreaterThanOrEqual(1);
        expect(target!.port).toBeLessThanOrEqual(65535);
      }),
      RUNS,
    );
  });

  it("gives two strings the same key only if docker sends them to the same host and port", () => {
    let collisions = 0;
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const ka = keyOf(a);
        if (ka === undefined || ka !== keyOf(b)) return;
        collisions++;
        expect(dockerTarget(a)).toEqual(dockerTarget(b));
      }),
      RUNS,
    );
    // The property said something: many pairs did share a key.
    expect(collisions).toBeGreaterThan(RUNS.numRuns / 20);
  });

  it("gives the same key to spellings of one name or canonical address that differ only in scheme, path, case, final dot or :443", () => {
    const plainHost = fc.oneof(randomName.filter((n) => !/(^|\.)(\d+|0x[0-9a-f]*)$/.test(n)), fc.constantFrom("ghcr.io", "10.0.0.8", "[::1]", "[2001:db8::1]"));
    const cosmetic = (host: string, port: string) =>
      fc
        .record({
          scheme: fc.constantFrom("", "https://", "http://", "HTTPS://"),
          upper: fc.boolean(),
          dot: fc.boolean(),
          path: fc.constantFrom("", "/", "/v2/", "?x", "#y"),
          explicit: fc.boolean(),
        })
        .map((c) => {
          const h = (c.upper ? host.toUpperCase() : host) + (c.dot && /[a-z]/.test(host) && !host.startsWith("[") ? "." : "");
          return `${c.scheme}${h}${port ? `:${port}` : c.explicit ? ":443" : ""}${c.path}`;
        });
    fc.assert(
      fc.property(
        fc.tuple(plainHost, fc.constantFrom("", "80", "5000")).chain(([h, p]) => fc.tuple(cosmetic(h, p), cosmetic(h, p))),
        ([a, b]) => {
          expect(keyOf(a)).toBeDefined();
          expect(keyOf(a)).toBe(keyOf(b));
        },
      ),
      RUNS,
    );
  });

  it("the model agrees with docker on the cases the issue names", () => {
    expect(dockerTarget("127.1")).toEqual({ host: "name:127.1", port: 443 });
    expect(dockerTarget("http://host:80")).toEqual({ host: "name:host", port: 80 });
    expect(dockerTarget("[::ffff:127.0.0.1]")).toEqual(dockerTarget("127.0.0.1"));
    expect(dockerTarget("HTTPS://Index.Docker.IO/v1/")).toEqual(dockerTarget("docker.io:443"));
  });
});

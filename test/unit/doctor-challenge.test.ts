import { describe, expect, it } from "vitest";
import { parseChallenges } from "../../src/doctor/registry/challenge.js";

describe("parseChallenges (WWW-Authenticate)", () => {
  it.each([
    ['Basic realm="Registry Realm"', [{ scheme: "basic", params: { realm: "Registry Realm" } }]],
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"',
      [{ scheme: "bearer", params: { realm: "https://auth.docker.io/token", service: "registry.docker.io" } }],
    ],
    // scheme and parameter names are case-insensitive; values keep their case; spaces around "=" and ","
    ['BEARER Realm = "https://x.test/T" , Service=Reg.Test', [{ scheme: "bearer", params: { realm: "https://x.test/T", service: "Reg.Test" } }]],
    // quoted-pair escapes and a comma inside quotes
    ['Bearer realm="https://x.test/token?a=1,b=2",error="say \\"hi\\""', [{ scheme: "bearer", params: { realm: "https://x.test/token?a=1,b=2", error: 'say "hi"' } }]],
    // two challenges in one header value, the first with a scope containing ":" and ","
    [
      'Bearer realm="https://r.test/t",scope="repository:a/b:pull,push", Basic realm="r"',
      [
        { scheme: "bearer", params: { realm: "https://r.test/t", scope: "repository:a/b:pull,push" } },
        { scheme: "basic", params: { realm: "r" } },
      ],
    ],
    // a token68 challenge followed by another challenge
    ["Negotiate abc123==, Basic realm=x", [{ scheme: "negotiate", params: {} }, { scheme: "basic", params: { realm: "x" } }]],
    ["Basic", [{ scheme: "basic", params: {} }]],
    ["", []],
    // an unterminated quoted value is dropped, not guessed at
    ['Bearer realm="https://r.test/t', [{ scheme: "bearer", params: {} }]],
  ])("%s", (header, expected) => {
    expect(parseChallenges(header)).toEqual(expected);
  });

  it("stops after 100 challenges and 100 parameters, however long the header", () => {
    expect(parseChallenges(Array(150).fill("Basic").join(", "))).toHaveLength(100);
    const params = Array.from({ length: 150 }, (_, i) => `p${i}=v`).join(", ");
    expect(Object.keys(parseChallenges(`Bearer ${params}`)[0]?.params ?? {})).toHaveLength(100);
  });

  it("reads every header line", () => {
    expect(parseChallenges(['Basic realm="a"', 'Bearer realm="https://b.test/"']).map((c) => c.scheme)).toEqual(["basic", "bearer"]);
    expect(parseChallenges(undefined)).toEqual([]);
  });
});

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
    // an unterminated quoted value is dropped, not guessed at, even with escaped quotes in it
    ['Bearer realm="https://r.test/t', [{ scheme: "bearer", params: {} }]],
    ['Bearer realm="a\\"b', [{ scheme: "bearer", params: {} }]],
    // a backslash keeps the character after it, a backslash too
    ['Basic realm="a\\\\b\\c"', [{ scheme: "basic", params: { realm: "a\\bc" } }]],
    // a value that is neither token nor quoted-string ends the parse; nothing after it is guessed at
    ["Bearer realm=@x, service=y", [{ scheme: "bearer", params: {} }]],
    ["Bearer service=reg, realm=@x", [{ scheme: "bearer", params: { service: "reg" } }]],
    // a header that does not start with a scheme has no challenge
    ['"x" Basic realm=r', []],
    // nor does the rest of one after a word that is no token68
    ["Basic @, a", [{ scheme: "basic", params: {} }]],
    // a token68 at the very end, or after several spaces, followed by another challenge
    ["Negotiate abc", [{ scheme: "negotiate", params: {} }]],
    ["Negotiate  abc, Basic realm=x", [{ scheme: "negotiate", params: {} }, { scheme: "basic", params: { realm: "x" } }]],
    ["Negotiate abc==", [{ scheme: "negotiate", params: {} }]],
    ["Negotiate a, Basic", [{ scheme: "negotiate", params: {} }, { scheme: "basic", params: {} }]],
    // a parameter right after the scheme's comma; spaces inside quotes are kept
    ['Basic,realm="a b"', [{ scheme: "basic", params: { realm: "a b" } }]],
    // a word not followed by "=" after a parameter is the next scheme
    ["Bearer realm=r, Basic, x y=z", [{ scheme: "bearer", params: { realm: "r" } }, { scheme: "basic", params: {} }, { scheme: "x", params: { y: "z" } }]],
  ])("%s", (header, expected) => {
    expect(parseChallenges(header)).toStrictEqual(expected);
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

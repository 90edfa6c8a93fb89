import { beforeEach, describe, expect, it, vi } from "vitest";

// The blank and the word pattern are constants set when redact.ts loads: it is
// loaded afresh in each test, so mutation testing's per-test coverage counts them.
let createRedactor: typeof import("../../src/redact.js").createRedactor;
beforeEach(async () => {
  vi.resetModules();
  ({ createRedactor } = await import("../../src/redact.js"));
});

describe("createRedactor", () => {
  const long = "s3cr3t/Value+with space";

  it("blanks a long secret anywhere, plain or percent-encoded in any hex case, + for a space", () => {
    const redact = createRedactor([long]);
    for (const spelling of [long, encodeURIComponent(long), encodeURIComponent(long).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()), "s3cr3t%2FValue%2Bwith+space", "%73%33cr3t/Value+with%20space"]) {
      expect(redact(`x${spelling}y`)).toBe("x<redacted>y");
    }
  });

  it("blanks a short secret wherever it stands on its own, never inside a longer word", () => {
    const redact = createRedactor(["p", "ab"]);
    expect(redact("docker-credential-codespaces: see --help")).toBe("docker-credential-codespaces: see --help");
    expect(redact('get "https://x.test/ab/p?q=%61%62" p')).toBe('get "https://x.test/<redacted>/<redacted>?q=<redacted>" <redacted>');
  });

  it("blanks the longer of two overlapping secrets whole, and ignores empty ones", () => {
    expect(createRedactor(["", undefined, "abcdefgh", "abcdefghijkl"])("[abcdefghijkl]")).toBe("[<redacted>]");
    expect(createRedactor([])("text")).toBe("text");
  });

  it("treats regex syntax in a secret as text", () => {
    expect(createRedactor([".*(a|b)[x]$^\\"])("1 .*(a|b)[x]$^\\ 2 aaa")).toBe("1 <redacted> 2 aaa");
  });

  it("blanks a secret of exactly 8 characters anywhere, a shorter one only on its own", () => {
    expect(createRedactor(["abcdefgh"])("xabcdefghy")).toBe("x<redacted>y");
    expect(createRedactor(["abcdefg"])("xabcdefgy abcdefg")).toBe("xabcdefgy <redacted>");
  });

  it("lets a short secret that starts or ends with punctuation touch a word on that side", () => {
    expect(createRedactor(["@x!"])("user@x!y")).toBe("user<redacted>y");
    expect(createRedactor(["@x"])("user@x @xy")).toBe("user<redacted> @xy");
  });

  it("blanks multi-byte and control characters in their percent-encoded spellings, and + only for a space", () => {
    const secret = "pässwörd\tlong";
    const redact = createRedactor([secret]);
    expect(redact(`[${encodeURIComponent(secret)}]`)).toBe("[<redacted>]");
    expect(redact("[p%C3%a4sswörd%09long]")).toBe("[<redacted>]");
    expect(createRedactor(["abcdefghij"])("a+cdefghij a%2bcdefghij")).toBe("a+cdefghij a%2bcdefghij");
  });
});

import { describe, expect, it } from "vitest";
import { createRedactor } from "../../src/redact.js";

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
});

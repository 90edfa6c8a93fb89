import { describe, expect, it } from "vitest";
import { trimAsciiSpace } from "../../src/trim.js";

describe("trimAsciiSpace", () => {
  it("strips space, tab, CR and LF from both ends, and nothing else", () => {
    expect(trimAsciiSpace(" \t\r\nsecret value\r\n \t")).toBe("secret value");
    expect(trimAsciiSpace("\u00a0x\ufeff")).toBe("\u00a0x\ufeff");
    expect(trimAsciiSpace("x")).toBe("x");
  });
  it("gives an empty text for one of spaces only", () => {
    for (const text of ["", " ", "\n", " \t\r\n ".repeat(1000)]) expect(trimAsciiSpace(text)).toBe("");
  });
});

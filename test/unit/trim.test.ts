import { describe, expect, it } from "vitest";
import { freshEachTest } from "../support/fresh.js";

const trim = freshEachTest(() => import("../../src/trim.js"));

describe("trimAsciiSpace", () => {
  it("strips space, tab, CR and LF from both ends, and nothing else", () => {
    expect(trim.trimAsciiSpace(" \t\r\nsecret value\r\n \t")).toBe("secret value");
    expect(trim.trimAsciiSpace("\u00a0x\ufeff")).toBe("\u00a0x\ufeff");
    expect(trim.trimAsciiSpace("x")).toBe("x");
  });
  it("gives an empty text for one of spaces only", () => {
    for (const text of ["", " ", "\n", " \t\r\n ".repeat(1000)]) expect(trim.trimAsciiSpace(text)).toBe("");
  });
});

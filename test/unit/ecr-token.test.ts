import { describe, expect, it, vi } from "vitest";
import { ecrTokenExpiry, passwordOfAuthorizationToken } from "../../src/ecr/token.js";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

describe("ecrTokenExpiry", () => {
  it("reads expiration (epoch seconds) from a real-shaped password", () => {
    const password = b64(JSON.stringify({ payload: "x", datakey: "y", version: "2", type: "DATA_KEY", expiration: 1_700_000_000 }));
    expect(ecrTokenExpiry(password)?.toISOString()).toBe(new Date(1_700_000_000_000).toISOString());
  });

  it("accepts fractional seconds", () => {
    expect(ecrTokenExpiry(b64(JSON.stringify({ expiration: 1.5 })))?.getTime()).toBe(1500);
  });

  it.each([
    ["empty", ""],
    ["not base64", "!!!not base64!!!"],
    ["base64 of non-JSON", b64("hello")],
    ["JSON without expiration", b64(JSON.stringify({ payload: "x" }))],
    ["string expiration", b64(JSON.stringify({ expiration: "1700000000" }))],
    ["negative expiration", b64(JSON.stringify({ expiration: -5 }))],
    ["zero expiration", b64(JSON.stringify({ expiration: 0 }))],
    ["huge expiration", b64(JSON.stringify({ expiration: 1e300 }))],
    ["JSON null", b64("null")],
    ["JSON array", b64("[1,2]")],
    ["JSON number", b64("1700000000")],
    ["an ordinary registry password", "hunter2"],
    ["a GitHub token", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"],
    ["base64 with bad padding", b64(JSON.stringify({ expiration: 1 })).replace(/=+$/, "") + "="],
  ])("undefined for %s", (_, password) => {
    expect(ecrTokenExpiry(password)).toBeUndefined();
  });
});

describe("passwordOfAuthorizationToken", () => {
  it("takes the password out of AWS:<password>", () => {
    expect(passwordOfAuthorizationToken(b64("AWS:abc:def=="))).toBe("abc:def==");
  });

  it.each([
    ["empty", ""],
    ["not base64", "AWS:password"],
    ["no colon", b64("AWSpassword")],
    ["wrong user", b64("admin:password")],
    ["empty password", b64("AWS:")],
    ["newline in password", b64("AWS:pass\nword")],
    ["lower-case user", b64("aws:password")],
  ])("refuses %s", (_, token) => {
    expect(passwordOfAuthorizationToken(token)).toBeUndefined();
  });
});

describe("long input", () => {
  it("checks a 32 MB token without exhausting the stack", () => {
    const password = "p".repeat(24 * 1024 * 1024);
    const token = b64(`AWS:${password}`);
    expect(passwordOfAuthorizationToken(token)?.length).toBe(password.length);
    expect(ecrTokenExpiry(`${token.slice(0, -4)}!!!!`)).toBeUndefined();
  });
});

describe("shapes that only look like a token", () => {
  const json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64");
  it.each([{ expiration: "1700000000" }, { expiration: null }, { expiration: true }])("no expiry from %j", (payload) => {
    expect(ecrTokenExpiry(json(payload))).toBeUndefined();
  });

  it("refuses base64 with characters outside the alphabet, which Buffer would skip", () => {
    const token = Buffer.from("AWS:pass").toString("base64");
    expect(passwordOfAuthorizationToken(token)).toBe("pass");
    expect(passwordOfAuthorizationToken(`${token}*`)).toBeUndefined();
    expect(passwordOfAuthorizationToken(`*${token}`)).toBeUndefined();
  });
});

describe("strict base64, character by character", () => {
  // {"expiration":1} is 16 bytes: base64 ends in "==". {"expiration":10} is 17: one "=".
  const two = b64(JSON.stringify({ expiration: 1 }));
  const one = b64(JSON.stringify({ expiration: 10 }));
  it("reads both paddings", () => {
    expect([two.slice(-2), one.slice(-2)]).toEqual(["==", "0="]);
    expect(ecrTokenExpiry(two)?.getTime()).toBe(1000);
    expect(ecrTokenExpiry(one)?.getTime()).toBe(10_000);
  });
  it.each([
    ["the last two", `${two.slice(0, -2)}!!`],
    ["the last one", `${one.slice(0, -1)}!`],
    ["one inside", `${two.slice(0, 4)}!${two.slice(5)}`],
  ])("refuses a character outside the alphabet as %s, which Buffer would skip", (_, password) => {
    expect(password.length % 4).toBe(0);
    expect(ecrTokenExpiry(password)).toBeUndefined();
  });
  it("checks the alphabet on a fresh import too (Stryker reloads no module between mutants)", async () => {
    vi.resetModules();
    const fresh = await import("../../src/ecr/token.js");
    expect(fresh.passwordOfAuthorizationToken(b64("AWS:pass"))).toBe("pass");
    expect(fresh.ecrTokenExpiry(two)?.getTime()).toBe(1000);
    expect(fresh.ecrTokenExpiry(`${two.slice(0, 4)}!${two.slice(5)}`)).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import { freshEachTest } from "../support/fresh.js";

const protocol = freshEachTest(() => import("../../src/protocol.js"));

describe("the wire format's own strings", () => {
  it("names a missing server URL or username in the protocol's words", () => {
    expect(() => protocol.parseServerRequest(" \n")).toThrow(/^no credentials server URL$/);
    expect(() => protocol.parseStoreRequest('{"ServerURL":" ","Username":"u","Secret":"s"}')).toThrow(/^no credentials server URL$/);
    expect(() => protocol.parseStoreRequest('{"ServerURL":"ghcr.io","Secret":"s"}')).toThrow(/^no credentials username$/);
  });

  it("takes a store request's three strings, extra fields ignored, and refuses other types", () => {
    expect(protocol.parseStoreRequest('{"ServerURL":"ghcr.io","Username":"u","Secret":"s","Extra":1}')).toEqual({
      serverURL: "ghcr.io",
      username: "u",
      secret: "s",
    });
    expect(() => protocol.parseStoreRequest('{"ServerURL":"ghcr.io","Username":7,"Secret":"s"}')).toThrow(
      /^invalid store request: ServerURL, Username and Secret must be strings in a JSON object$/,
    );
  });

  it("lists every verb in the usage line", () => {
    expect(protocol.USAGE).toBe("Usage: docker-credential-codespaces <store|get|erase|list|version|configure|doctor|agent>");
  });
});

import { expect, it, vi } from "vitest";

// The not-found text is a constant set when errors.ts loads. The CLI is loaded
// afresh inside the test, so mutation testing's per-test coverage counts it here
// (and, in a file of its own, the fresh module graph disturbs no other test).
it("get answers an unknown server with exactly the text clients compare stdout with", async () => {
  vi.resetModules();
  const { runInProcess } = await import("../support/fake-io.js");
  const { triple } = await import("../support/triple.js");
  expect(await runInProcess(["get"], { stdin: "quay.io", env: triple("GH", "ghcr.io", "u", "p") })).toEqual({
    code: 1,
    stdout: "credentials not found in native keychain\n",
    stderr: "",
  });
});

import { describe, expect, it } from "vitest";
import { runInProcess } from "../support/fake-io.js";

describe("help forms and the no-verb debug line", () => {
  it.each([["-h"], ["--help"]])("%s <verb> prints that verb's details, as help <verb> does", async (flag) => {
    const expected = await runInProcess(["help", "configure"]);
    expect(expected.stdout).toContain("--dry-run");
    expect(await runInProcess([flag, "configure"])).toEqual(expected);
  });

  it("with no verb, the debug line names the missing action", async () => {
    const r = await runInProcess([], { env: { DOCKER_CREDENTIAL_CODESPACES_DEBUG: "1" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("DOCKER_CREDENTIAL_CODESPACES_DEBUG: (no action) failed: Usage: docker-credential-codespaces <");
  });
});

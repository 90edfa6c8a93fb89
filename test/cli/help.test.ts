import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { USAGE as PROTOCOL_USAGE } from "../../src/protocol.js";
import { helperTargets, repoRoot, runHelper } from "../support/helper-process.js";

const VERBS = ["get", "list", "store", "erase", "version", "configure", "doctor", "agent"];
const USAGE = `${PROTOCOL_USAGE}\n`;

describe.each(helperTargets())("help via $name", (target) => {
  it.each([["--help"], ["-h"], ["help"]])("%s explains verbs, configure's options, the environment and the README", async (flag) => {
    const r = await runHelper(target, [flag]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout.startsWith(USAGE)).toBe(true);
    for (const verb of VERBS) expect(r.stdout).toContain(`docker-credential-codespaces ${verb}`);
    for (const option of ["--dry-run", "--containers-auth", "--remove"]) expect(r.stdout).toContain(option);
    for (const variable of ["_CONTAINER_REGISTRY_SERVER", "_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL_ECR", "DOCKER_CREDENTIAL_CODESPACES_DEBUG"]) {
      expect(r.stdout).toContain(variable);
    }
    expect(r.stdout).toMatch(/Documentation: https:\/\/\S+ \(README\.md/);
  });

  it("help <verb> gives that verb's details", async () => {
    const r = await runHelper(target, ["help", "configure"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^docker-credential-codespaces configure \[--dry-run\]/);
    expect(r.stdout).toContain("REGISTRY_AUTH_FILE");
    expect(r.stdout).not.toContain("docker-credential-codespaces store");
  });

  it("help for an unknown verb is one line and exit 1", async () => {
    expect(await runHelper(target, ["help", "frobnicate"])).toEqual({
      code: 1,
      stdout: 'no help for "frobnicate"; see --help\n',
      stderr: 'docker-credential-codespaces: no help for "frobnicate"; see --help\n',
    });
  });

  it("a missing verb still prints the bare usage line", async () => {
    expect(await runHelper(target, [])).toEqual({ code: 1, stdout: USAGE, stderr: `docker-credential-codespaces: ${USAGE}` });
  });
});

it("the npm bundle keeps the help text out of the entry module", () => {
  const dist = join(repoRoot, "dist");
  const holders = readdirSync(dist).filter((f) => readFileSync(join(dist, f), "utf8").includes("help <verb>"));
  expect(holders).toHaveLength(1);
  expect(holders[0]).not.toBe("main.js");
});

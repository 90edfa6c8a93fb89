import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeEcr, type FakeEcr } from "../support/fake-ecr.js";
import { helperTargets, runHelper, type HelperTarget } from "../support/helper-process.js";

// Tokens live in memory only: trace every file-changing syscall of a real run.
// strace is installed by the test command; only a developer's bare machine may lack it.
const hasStrace = (() => {
  try {
    execFileSync("strace", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
if (!hasStrace && process.env["CI"]) throw new Error("strace is missing: the test command installs it (test/setup/install-deps.sh)");

const FILE_CALLS = "bind,open,openat,openat2,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,link,linkat,symlink,symlinkat,truncate";
const KEY = { accessKeyId: "AKIAFAKEKEY000000009", secretAccessKey: "fake-secret-nine/DDDDDDDDDDDDDDDDDDDDDDDDDDDD" };
const ECR_HOST = "999999999999.dkr.ecr.ap-south-1.amazonaws.com";

let dir: string;
let fake: FakeEcr;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "no-writes-"));
  fake = await startFakeEcr({ keys: [KEY] });
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the helper under strace; returns the successful calls that create or change a file, and every path opened. */
async function traced(target: HelperTarget, server: string, env: Record<string, string>) {
  // -f follows a spawned agent too, until it exits.
  const log = join(dir, `trace-${Math.random().toString(36).slice(2)}`);
  const wrapped: HelperTarget = { name: target.name, command: ["strace", "-f", "-qq", "-o", log, "-e", `trace=${FILE_CALLS}`, ...target.command] };
  const result = await runHelper(wrapped, ["get"], { stdin: server, env: { ...env, HOME: dir }, cwd: dir });
  const calls = readFileSync(log, "utf8").split("\n").filter((l) => /\)\s+= \d+/.test(l));
  const writes = calls.filter((l) => !/open/.test(l) || /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND/.test(l));
  const opened = calls.map((l) => /"([^"]+)"/.exec(l)?.[1] ?? "");
  return { result, writes, opened };
}

describe.skipIf(!hasStrace).each(helperTargets())("no file is written via $name", (target) => {
  it("by a static get, which does not even open the AWS code", async () => {
    const { result, writes, opened } = await traced(target, "ghcr.io", {
      G_CONTAINER_REGISTRY_SERVER: "ghcr.io",
      G_CONTAINER_REGISTRY_USER: "u",
      G_CONTAINER_REGISTRY_PASSWORD: "p",
    });
    expect(result.code).toBe(0);
    expect(writes).toEqual([]);
    expect(opened.filter((p) => /mint|aws-sdk/.test(p))).toEqual([]);
  });

  it("by an ECR get that mints a token", async () => {
    const { result, writes } = await traced(target, ECR_HOST, {
      AWS_ENDPOINT_URL_ECR: fake.url,
      ECR_CONTAINER_REGISTRY_SERVER: ECR_HOST,
      ECR_CONTAINER_REGISTRY_USER: KEY.accessKeyId,
      ECR_CONTAINER_REGISTRY_PASSWORD: KEY.secretAccessKey,
    });
    expect(result.stdout).toContain('"Username":"AWS"');
    expect(writes).toEqual([]);
  });

  it("by ECR gets through the agent: only its socket directory and socket", async () => {
    const runtime = join(dir, `run-${target.name.replace(/\W/g, "")}`);
    mkdirSync(runtime, { mode: 0o700 });
    const sockets = join(runtime, "docker-credential-codespaces");
    const env = {
      AWS_ENDPOINT_URL_ECR: fake.url,
      ECR_CONTAINER_REGISTRY_SERVER: ECR_HOST,
      ECR_CONTAINER_REGISTRY_USER: KEY.accessKeyId,
      ECR_CONTAINER_REGISTRY_PASSWORD: KEY.secretAccessKey,
      XDG_RUNTIME_DIR: runtime,
      DOCKER_CREDENTIAL_CODESPACES_AGENT: "on",
      // The traced agent exits soon after the get, which ends the trace.
      DOCKER_CREDENTIAL_CODESPACES_AGENT_IDLE: "1",
    };
    const cold = await traced(target, ECR_HOST, env);
    expect(cold.result.stdout).toContain('"Username":"AWS"');
    // mkdir of the directory, bind of the socket, the socket's removal at exit: nothing else
    // (the spawned agent's stdio is /dev/null, which is no file).
    const writes = cold.writes.filter((l) => !/"\/dev\/null"/.test(l));
    expect(writes.length).toBeGreaterThanOrEqual(2);
    for (const line of writes) expect(line).toMatch(new RegExp(`^\\d+\\s+(mkdir|bind|unlink)\\w*\\(.*"${sockets}(/agent\\.sock)?"`));
    expect(cold.writes.some((l) => /bind\(/.test(l))).toBe(true);
  });
});

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readTraces } from "../support/e2e/trace.js";
import { fakePasswordPayload, fakePayloadFor, startFakeEcr, type FakeEcr } from "../support/fake-ecr.js";
import { startFakeSso, type FakeSso } from "../support/fake-sso.js";
import { helperTargets, repoRoot, runHelper, type HelperTarget } from "../support/helper-process.js";

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

// Every path-taking call, plus the descriptor calls that change a file (see trace.ts for what counts as a write).
const TRACED = "%file,ftruncate,fallocate,fchmod,fchown,fsetxattr,fremovexattr,bind";
const KEY = { accessKeyId: "AKIAFAKEKEY000000009", secretAccessKey: "fake-secret-nine/DDDDDDDDDDDDDDDDDDDDDDDDDDDD" };
const ROLE = { accessKeyId: "ASIAFAKESSOROLE00001", secretAccessKey: "fake-sso-role-secret/EEEEEEEEEEEEEEEEEEEE", sessionToken: "fake-sso-role-session" };
const ECR_HOST = "999999999999.dkr.ecr.ap-south-1.amazonaws.com";

let dir: string;
let fake: FakeEcr;
let sso: FakeSso;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "no-writes-"));
  fake = await startFakeEcr({ keys: [KEY, ROLE] });
  sso = await startFakeSso({ refreshToken: "old-refresh-token", newAccessToken: "new-access-token", newRefreshToken: "new-refresh-token", role: ROLE });
});
afterAll(async () => {
  await fake.close();
  await sso.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the helper under strace with HOME=`home`; returns the successful calls that create or change a file, and every path opened. */
async function traced(target: HelperTarget, server: string, env: Record<string, string>, home = dir) {
  const prefix = join(dir, `trace-${Math.random().toString(36).slice(2)}`);
  const wrapped: HelperTarget = { name: target.name, command: ["strace", "-ff", "-qq", "-o", prefix, "-e", `trace=${TRACED}`, ...target.command] };
  const result = await runHelper(wrapped, ["get"], { stdin: server, env: { ...env, HOME: home }, cwd: home });
  const trace = readTraces(prefix);
  expect(trace.files.length).toBeGreaterThan(0);
  // A call that failed changed nothing.
  const writes = trace.writes.filter((l) => !/\)\s+= -1 /.test(l));
  return { result, writes, opened: trace.opened };
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

  // The one write the README admits: the AWS default chain refreshes the SSO
  // token `aws sso login` cached, as every AWS tool does (the old refresh token
  // stops working, so the new one must be kept). Nothing else is written.
  it("by a default-chain get through an SSO profile, except the refreshed SSO token cache", async () => {
    const home = mkdtempSync(join(dir, "home-"));
    const session = "team";
    mkdirSync(join(home, ".aws", "sso", "cache"), { recursive: true });
    writeFileSync(
      join(home, ".aws", "config"),
      `[profile dev]\nsso_session = ${session}\nsso_account_id = 111122223333\nsso_role_name = Developer\nregion = ap-south-1\n\n` +
        `[sso-session ${session}]\nsso_region = us-east-1\nsso_start_url = https://example.awsapps.com/start\n`,
    );
    const cache = join(home, ".aws", "sso", "cache", `${createHash("sha1").update(session).digest("hex")}.json`);
    // Two minutes left: inside the SDK's five-minute refresh window.
    writeFileSync(
      cache,
      JSON.stringify({
        accessToken: "old-access-token",
        expiresAt: new Date(Date.now() + 120_000).toISOString(),
        refreshToken: "old-refresh-token",
        clientId: "fake-client-id",
        clientSecret: "fake-client-secret",
        registrationExpiresAt: new Date(Date.now() + 86_400_000).toISOString(),
        region: "us-east-1",
        startUrl: "https://example.awsapps.com/start",
      }),
    );
    sso.calls.length = 0;
    const { result, writes } = await traced(
      target,
      ECR_HOST,
      {
        AWS_PROFILE: "dev",
        AWS_CONFIG_FILE: join(home, ".aws", "config"),
        AWS_SHARED_CREDENTIALS_FILE: join(home, ".aws", "credentials"),
        AWS_ENDPOINT_URL: sso.url,
        AWS_ENDPOINT_URL_ECR: fake.url,
      },
      home,
    );
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout).Username).toBe("AWS");
    expect(sso.calls).toEqual(["CreateToken", "GetRoleCredentials"]);
    expect(fake.requests.at(-1)).toMatchObject({ accessKeyId: ROLE.accessKeyId, region: "ap-south-1" });
    expect(fakePasswordPayload(JSON.parse(result.stdout).Secret).payload).toBe(fakePayloadFor(ROLE.accessKeyId, "ap-south-1", "ecr"));
    expect(JSON.parse(readFileSync(cache, "utf8"))).toMatchObject({ accessToken: "new-access-token", refreshToken: "new-refresh-token" });
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.filter((l) => !l.includes(`"${cache}"`))).toEqual([]);
    if (process.env["SHOW_WRITES"]) console.log(writes.join("\n"));
    // …and that is the one exception the README's promise names.
    expect(readFileSync(join(repoRoot, "README.md"), "utf8")).toMatch(/writes no token, cache or\s+log file of its own[^]*~\/\.aws\/sso\/cache/);
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
    for (const line of writes) expect(line).toMatch(new RegExp(`^(mkdir|bind|unlink)\\w*\\(.*"${sockets}(/agent\\.sock)?"`));
    expect(cold.writes.some((l) => /bind\(/.test(l))).toBe(true);
  });
});

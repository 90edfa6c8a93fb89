import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasStrace, readTraces } from "../support/e2e/trace.js";
import { hasFatrace, isWrite, watchFileSystem } from "../support/fanotify.js";
import { fakePasswordPayload, fakePayloadFor, startFakeEcr, type FakeEcr } from "../support/fake-ecr.js";
import { startFakeSso, type FakeSso } from "../support/fake-sso.js";
import { helperTargets, repoRoot, runHelper, type HelperTarget } from "../support/helper-process.js";
import { triple } from "../support/triple.js";

// The helper writes no token, cache or log file, ever: every verb, on its
// success and its failure paths, runs under two independent watchers:
// - strace -ff (one file per thread, so no call is split across lines) for
//   every syscall that creates or changes a file;
// - fanotify (fatrace), at the file-system layer, which also sees writes Node
//   submits through io_uring, invisible to strace. Every run sets
//   UV_USE_IO_URING=1, the setting under which strace alone misses them.
// The negative controls below write the way the helper would (async, same
// runtime, io_uring on) and must be caught.
const tools = hasStrace && hasFatrace();
if (!tools && process.env["CI"]) throw new Error("strace or fatrace is missing: the test command installs them (test/setup/install-deps.sh)");

const FILE_CALLS = "%file,bind,ftruncate,fallocate,fchmod,fchown,fsetxattr,fremovexattr,write,pwrite64,writev,pwritev,pwritev2";
const KEY = { accessKeyId: "AKIAFAKEKEY000000009", secretAccessKey: "fake-secret-nine/DDDDDDDDDDDDDDDDDDDDDDDDDDDD" };
const ROLE = { accessKeyId: "ASIAFAKESSOROLE00001", secretAccessKey: "fake-sso-role-secret/EEEEEEEEEEEEEEEEEEEE", sessionToken: "fake-sso-role-session" };
const ECR_HOST = "999999999999.dkr.ecr.ap-south-1.amazonaws.com";
/** The Node runtime each target runs on, to run the negative controls on the same one. */
const SEA_RUNTIME = join(repoRoot, ".cache/node-v24.21.0-linux-x64/node");
const SDK_LOADED = "DOCKER_CREDENTIAL_CODESPACES_DEBUG: AWS SDK loaded to mint an ECR token\n";

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

interface Traced {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** strace: successful calls that created, changed, renamed or removed a file, or opened one for writing. */
  readonly syscallWrites: string[];
  /** fanotify: writes by the traced process (any of its threads), or by anyone under its HOME or cwd. */
  readonly fsWrites: string[];
  /** Every path the process opened (strace and fanotify: with io_uring on, Node's own module loads bypass strace). */
  readonly opened: string[];
}

/** Runs `command` under strace -ff inside a fanotify watch, with its own HOME/cwd (or `givenHome`) and io_uring enabled. */
async function traced(command: readonly string[], args: string[], env: Record<string, string>, stdin = "", givenHome?: string): Promise<Traced> {
  const run = mkdtempSync(join(dir, "run-"));
  const home = givenHome ?? join(run, "home");
  const logs = join(run, "strace");
  if (givenHome === undefined) mkdirSync(home);
  mkdirSync(logs);
  const prefix = join(logs, "t");
  const wrapped: HelperTarget = { name: "traced", command: ["strace", "-ff", "-qq", "-y", "-e", "signal=none", "-e", `trace=${FILE_CALLS}`, "-o", prefix, "--", ...command] };
  const watch = await watchFileSystem(run);
  const result = await runHelper(wrapped, args, { stdin, env: { ...env, HOME: home, UV_USE_IO_URING: "1" }, cwd: home }).finally(() => watch.stop());
  const events = await watch.stop();
  const threads = new Set(readdirSync(logs).map((f) => Number(f.slice(2))));
  expect(threads.size, "strace wrote one file per thread").toBeGreaterThan(0);
  const trace = readTraces(prefix);
  // write() to a descriptor strace -y names by a path (not a pipe, socket, eventfd or /dev) writes a file.
  const syscallWrites = [...trace.writes, ...trace.lines.filter((l) => /^(write|pwrite64|writev|pwritev2?)\(\d+<\/(?!dev\/)/.test(l))].filter(
    (l) => !/= -1 /.test(l),
  );
  const fsWrites = events
    .filter(isWrite)
    .filter((e) => threads.has(e.pid) || (e.path.startsWith(home) && !e.path.startsWith(logs)))
    .map((e) => `${e.command}(${e.pid}) ${e.types} ${e.path}`);
  const opened = new Set([...trace.opened, ...events.filter((e) => threads.has(e.pid)).map((e) => e.path)]);
  return { ...result, syscallWrites, fsWrites, opened: [...opened] };
}

const GH = triple("GH", "ghcr.io", "gh-user", "gh-secret-1234");
const DEBUG = { DOCKER_CREDENTIAL_CODESPACES_DEBUG: "1" };

/** Every verb on its success and failure paths, debug output on (it must go to stderr, never a file). */
const runs = (): Array<{ name: string; args: string[]; stdin?: string; env: Record<string, string>; code: number }> => [
  { name: "get static", args: ["get"], stdin: "ghcr.io", env: GH, code: 0 },
  { name: "get not found", args: ["get"], stdin: "quay.io", env: GH, code: 1 },
  { name: "get bad input", args: ["get"], stdin: "ftp://x", env: GH, code: 1 },
  { name: "get incomplete triple", args: ["get"], stdin: "p.test", env: { P_CONTAINER_REGISTRY_SERVER: "p.test" }, code: 1 },
  { name: "get ECR minted", args: ["get"], stdin: ECR_HOST, env: triple("ECR", ECR_HOST, KEY.accessKeyId, KEY.secretAccessKey), code: 0 },
  { name: "get ECR wrong secret", args: ["get"], stdin: ECR_HOST, env: triple("ECR", ECR_HOST, KEY.accessKeyId, "wrong-secret"), code: 1 },
  { name: "get ECR no credentials", args: ["get"], stdin: ECR_HOST, env: {}, code: 1 },
  { name: "list", args: ["list"], env: GH, code: 0 },
  { name: "store managed", args: ["store"], stdin: JSON.stringify({ ServerURL: "ghcr.io", Username: "x", Secret: "typed" }), env: GH, code: 0 },
  { name: "store refused", args: ["store"], stdin: JSON.stringify({ ServerURL: "quay.io", Username: "x", Secret: "typed" }), env: GH, code: 1 },
  { name: "erase managed", args: ["erase"], stdin: "ghcr.io", env: GH, code: 0 },
  { name: "erase not found", args: ["erase"], stdin: "quay.io", env: GH, code: 1 },
  { name: "version", args: ["version"], env: GH, code: 0 },
  { name: "unknown verb", args: ["fetch"], env: GH, code: 1 },
  { name: "configure --dry-run", args: ["configure", "--dry-run"], env: GH, code: 0 },
  { name: "configure --dry-run, nothing configured", args: ["configure", "--dry-run"], env: {}, code: 1 },
];

describe.skipIf(!tools).each(helperTargets())("no file is written via $name", (target) => {
  const runtime = target.name === "single executable" ? SEA_RUNTIME : process.execPath;

  it.each(runs().map((r) => [r.name, r] as const))("%s", async (_, r) => {
    const t = await traced(target.command, r.args, { ...r.env, ...DEBUG, ...(r.name.startsWith("get ECR") ? { AWS_ENDPOINT_URL_ECR: fake.url } : {}) }, r.stdin);
    expect(t.code, t.stdout).toBe(r.code);
    expect(t.syscallWrites).toEqual([]);
    expect(t.fsWrites).toEqual([]);
    // Only an ECR mint evaluates the SDK (the marker mint.ts prints when debug is on).
    expect(t.stderr.includes(SDK_LOADED)).toBe(r.name.startsWith("get ECR"));
  });

  it("a static get opens no file holding AWS SDK code (npm bundle: which dist chunks are read)", async () => {
    const t = await traced(target.command, ["get"], GH, "ghcr.io");
    expect(t.code).toBe(0);
    const chunks = t.opened.filter((p) => p.startsWith(join(repoRoot, "dist/")) && existsSync(p));
    const sdk = (p: string) => readFileSync(p, "utf8").includes("GetAuthorizationToken");
    expect(chunks.filter(sdk)).toEqual([]);
    const minted = await traced(target.command, ["get"], { AWS_ENDPOINT_URL_ECR: fake.url, ...triple("ECR", ECR_HOST, KEY.accessKeyId, KEY.secretAccessKey) }, ECR_HOST);
    expect(minted.code).toBe(0);
    if (target.name !== "single executable") {
      // Control: the same check sees the SDK chunk when a token is minted.
      expect(chunks.length).toBeGreaterThan(0);
      expect(minted.opened.filter((p) => p.startsWith(join(repoRoot, "dist/")) && existsSync(p)).filter(sdk)).not.toEqual([]);
    }
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
    const { syscallWrites: writes, fsWrites, ...result } = await traced(
      target.command,
      ["get"],
      {
        AWS_PROFILE: "dev",
        AWS_CONFIG_FILE: join(home, ".aws", "config"),
        AWS_SHARED_CREDENTIALS_FILE: join(home, ".aws", "credentials"),
        AWS_ENDPOINT_URL: sso.url,
        AWS_ENDPOINT_URL_ECR: fake.url,
      },
      ECR_HOST,
      home,
    );
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout).Username).toBe("AWS");
    expect(sso.calls).toEqual(["CreateToken", "GetRoleCredentials"]);
    expect(fake.requests.at(-1)).toMatchObject({ accessKeyId: ROLE.accessKeyId, region: "ap-south-1" });
    expect(fakePasswordPayload(JSON.parse(result.stdout).Secret).payload).toBe(fakePayloadFor(ROLE.accessKeyId, "ap-south-1", "ecr"));
    expect(JSON.parse(readFileSync(cache, "utf8"))).toMatchObject({ accessToken: "new-access-token", refreshToken: "new-refresh-token" });
    // With io_uring on, strace may miss the cache write (Node 20); fanotify sees it.
    expect(fsWrites.some((w) => w.endsWith(cache))).toBe(true);
    expect(writes.filter((l) => !l.includes(`"${cache}"`) && !l.includes(`<${cache}>`))).toEqual([]);
    expect(fsWrites.filter((w) => !w.endsWith(cache))).toEqual([]);
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
    const cold = await traced(target.command, ["get"], env, ECR_HOST);
    expect(cold.stdout).toContain('"Username":"AWS"');
    // mkdir of the directory, bind of the socket, the socket's removal at exit: nothing else
    // (the spawned agent's stdio is /dev/null, which is no file).
    const writes = cold.syscallWrites.filter((l) => !/"\/dev\/null"|<\/dev\/null>/.test(l));
    expect(writes.length).toBeGreaterThanOrEqual(2);
    for (const line of writes) expect(line).toMatch(new RegExp(`^(mkdir|bind|unlink)\\w*\\(.*"${sockets}(/agent\\.sock)?"`));
    expect(cold.syscallWrites.some((l) => /bind\(/.test(l))).toBe(true);
    // fanotify reports a creation on the folder it happens in: the runtime dir for the socket dir.
    expect(cold.fsWrites.filter((w) => !w.includes(sockets) && !w.endsWith(` ${runtime}`))).toEqual([]);
  });

  describe("negative controls on the same runtime: the watchers catch", () => {
    const control = async (code: string) => {
      const script = join(dir, `control-${Math.random().toString(36).slice(2)}.mjs`);
      writeFileSync(script, code);
      return traced([runtime, script], [], {});
    };

    it("an async fs.promises.writeFile with io_uring on (fanotify sees it; strace may not)", async () => {
      const t = await control(`import { promises as fs } from "node:fs";\nawait fs.writeFile(process.env.HOME + "/token.json", "secret");\n`);
      expect(t.code).toBe(0);
      expect(t.fsWrites.some((w) => w.endsWith("/home/token.json") && /W/.test(w.split(" ")[1]!))).toBe(true);
    });

    it("an async append to a log file outside HOME, attributed to the process by pid", async () => {
      const log = join(tmpdir(), `helper-control-${process.pid}.log`);
      try {
        const t = await control(`import { promises as fs } from "node:fs";\nawait fs.appendFile(${JSON.stringify(log)}, "failed\\n");\n`);
        expect(t.fsWrites.some((w) => w.endsWith(log))).toBe(true);
      } finally {
        rmSync(log, { force: true });
      }
    });

    it("a synchronous write (both watchers see it)", async () => {
      const t = await control(`import { writeFileSync } from "node:fs";\nwriteFileSync(process.env.HOME + "/cache", "x");\n`);
      expect(t.syscallWrites.some((l) => l.includes("/home/cache"))).toBe(true);
      expect(t.fsWrites.some((w) => w.endsWith("/home/cache"))).toBe(true);
    });
  });
});

import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fakePasswordPayload, fakePayloadFor, startFakeEcr, type FakeEcr, type FakeEcrOptions } from "../support/fake-ecr.js";
import { helperTargets, runHelper } from "../support/helper-process.js";
import { triple } from "../support/triple.js";

// The token agent through the real CLI: each test has its own XDG_RUNTIME_DIR, so its own
// agent, and stops every agent it started by PID. Call counts at the fake ECR prove what was minted.
const KEY1 = { accessKeyId: "AKIAFAKEKEY000000001", secretAccessKey: "fake-secret-one/AAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
const KEY2 = { accessKeyId: "AKIAFAKEKEY000000002", secretAccessKey: "fake-secret-two/BBBBBBBBBBBBBBBBBBBBBBBBBBBB" };
const HOST1 = "111111111111.dkr.ecr.us-east-1.amazonaws.com";
const HOST2 = "222222222222.dkr.ecr.eu-west-1.amazonaws.com";

let runtime: string;
let fakes: FakeEcr[];
let extraServers: Server[];
beforeEach(() => {
  runtime = mkdtempSync(join(tmpdir(), "agent-test-"));
  fakes = [];
  extraServers = [];
});
afterEach(async () => {
  for (const pid of agentPids(runtime)) process.kill(pid, "SIGKILL");
  await waitFor(() => agentPids(runtime).length === 0, "agents to die");
  for (const server of extraServers) server.close();
  for (const fake of fakes) await fake.close();
  rmSync(runtime, { recursive: true, force: true });
});

async function fake(options: Partial<FakeEcrOptions> = {}): Promise<FakeEcr> {
  const f = await startFakeEcr({ keys: [KEY1, KEY2], ...options });
  fakes.push(f);
  return f;
}

/** Agents serving `dir`: found by their environment, so only this test's. */
function agentPids(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (cmdline.includes("agent\0serve") && environ.includes(`XDG_RUNTIME_DIR=${dir}`)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Polls `check` every 50 ms for at most `ms`. */
async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !(await check()); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const socketDir = () => join(runtime, "docker-credential-codespaces");
const payloadOf = (stdout: string) => fakePasswordPayload(JSON.parse(stdout).Secret).payload;
const secretOf = (stdout: string) => JSON.parse(stdout).Secret as string;
/** The fake's calls for HOST1 (us-east-1), apart from the HOST2 get that starts the agent. */
const east = (f: FakeEcr) => f.requests.filter((r) => r.region === "us-east-1");

describe.each(helperTargets())("agent via $name", (target) => {
  const env = (f: FakeEcr, extra: Record<string, string> = {}) => ({
    XDG_RUNTIME_DIR: runtime,
    DOCKER_CREDENTIAL_CODESPACES_AGENT: "on",
    AWS_ENDPOINT_URL_ECR: f.url,
    ...triple("ECR", HOST1, KEY1.accessKeyId, KEY1.secretAccessKey),
    ...triple("ECR_EU", HOST2, KEY2.accessKeyId, KEY2.secretAccessKey),
    ...extra,
  });
  const get = (server: string, e: Record<string, string>) => runHelper(target, ["get"], { stdin: server, env: e });
  const agent = (verb: string, e: Record<string, string>) => runHelper(target, ["agent", verb], { env: e });
  /** A get for HOST2 starts the agent; wait until it runs (a later get for HOST1 is a miss, then hits). */
  const primed = async (e: Record<string, string>, host = HOST2) => {
    const r = await get(host, e);
    expect(r.code).toBe(0);
    await waitFor(async () => (await agent("status", e)).stdout.startsWith("agent running"), "the agent to listen");
    expect(agentPids(runtime)).toHaveLength(1);
    return r;
  };

  it("serves a miss by minting and the next get from memory (miss, then hit)", async () => {
    const f = await fake();
    const e = env(f);
    await primed(e);
    const first = await get(HOST1, e);
    expect(payloadOf(first.stdout)).toBe(fakePayloadFor(KEY1.accessKeyId, "us-east-1", "ecr"));
    const second = await get(`https://${HOST1}`, e);
    expect(second).toMatchObject({ code: 0, stderr: "" });
    expect(secretOf(second.stdout)).toBe(secretOf(first.stdout));
    expect(JSON.parse(second.stdout).ServerURL).toBe(`https://${HOST1}`);
    expect(east(f)).toHaveLength(1);
    expect((await agent("status", e)).stdout).toMatch(/^agent running: pid \d+, [12] token\(s\) in memory/);
  });

  it("mints again when the secret changes, and keeps registries apart", async () => {
    const f = await fake();
    await primed(env(f));
    expect(payloadOf((await get(HOST1, env(f))).stdout)).toBe(fakePayloadFor(KEY1.accessKeyId, "us-east-1", "ecr"));
    const changed = await get(HOST1, env(f, triple("ECR", HOST1, KEY2.accessKeyId, KEY2.secretAccessKey)));
    expect(payloadOf(changed.stdout)).toBe(fakePayloadFor(KEY2.accessKeyId, "us-east-1", "ecr"));
    expect(east(f)).toHaveLength(2);
    // The default chain: a changed AWS_* setting is a different identity too.
    const chain = (id: string) => env(f, { AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: id === KEY1.accessKeyId ? KEY1.secretAccessKey : KEY2.secretAccessKey });
    const host = "333333333333.dkr.ecr.us-west-2.amazonaws.com";
    expect(payloadOf((await get(host, chain(KEY1.accessKeyId))).stdout)).toBe(fakePayloadFor(KEY1.accessKeyId, "us-west-2", "ecr"));
    expect(payloadOf((await get(host, chain(KEY2.accessKeyId))).stdout)).toBe(fakePayloadFor(KEY2.accessKeyId, "us-west-2", "ecr"));
    expect(payloadOf((await get(host, chain(KEY1.accessKeyId))).stdout)).toBe(fakePayloadFor(KEY1.accessKeyId, "us-west-2", "ecr"));
    expect(f.requests.filter((r) => r.region === "us-west-2")).toHaveLength(2);
  });

  it("single-flights 20 concurrent cold gets into one GetAuthorizationToken call", async () => {
    const f = await fake({ delayMs: 500 });
    const e = env(f);
    await primed(e, HOST2); // the agent is up; HOST1 is still a miss
    const results = await Promise.all(Array.from({ length: 20 }, () => get(HOST1, e)));
    for (const r of results) {
      expect(r.code).toBe(0);
      expect(payloadOf(r.stdout)).toBe(fakePayloadFor(KEY1.accessKeyId, "us-east-1", "ecr"));
    }
    expect(new Set(results.map((r) => secretOf(r.stdout))).size).toBe(1);
    expect(east(f)).toHaveLength(1);
  });

  it("never serves a token in its last 5 minutes while AWS answers, but does when AWS fails", async () => {
    const f = await fake({ lifetimeS: 4 * 60 });
    const e = env(f);
    await primed(e);
    const first = await get(HOST1, e);
    const second = await get(HOST1, e);
    expect(east(f)).toHaveLength(2);
    expect(second.code).toBe(0);
    f.setFault({ kind: "server-error" });
    const third = await get(HOST1, e);
    expect(third).toMatchObject({ code: 0, stderr: "" });
    expect([secretOf(first.stdout), secretOf(second.stdout)]).toContain(secretOf(third.stdout));
  });

  it("never serves an expired token, and exits once it holds nothing valid", async () => {
    const f = await fake({ lifetimeS: 2 });
    const e = env(f);
    await primed(e);
    const [pid] = agentPids(runtime);
    await waitFor(() => !agentPids(runtime).includes(pid ?? 0), "the agent to exit after its only token expired", 20_000);
    f.setFault({ kind: "server-error" });
    const r = await get(HOST1, e);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain("Secret");
  });

  it("falls back to minting when the agent is killed mid-request", async () => {
    const f = await fake({ delayMs: 1_500 });
    const e = env(f);
    await primed(e, HOST2);
    const [pid] = agentPids(runtime);
    const holder = get(HOST1, e);
    await waitFor(async () => /1 mint\(s\) under way/.test((await agent("status", e)).stdout), "the lease");
    const waiter = get(HOST1, e);
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.kill(pid ?? 0, "SIGKILL");
    for (const r of await Promise.all([holder, waiter])) {
      expect(r).toMatchObject({ code: 0, stderr: "" });
      expect(payloadOf(r.stdout)).toBe(fakePayloadFor(KEY1.accessKeyId, "us-east-1", "ecr"));
    }
  });

  it.each([
    ["garbage", (socket: import("node:net").Socket) => socket.end("garbage\n")],
    ["a wrong message", (socket: import("node:net").Socket) => socket.end('{"t":"hit","secret":"","expiresAt":1}\n')],
    ["silence", () => {}],
    ["a closed connection", (socket: import("node:net").Socket) => socket.destroy()],
  ])("mints directly when the socket answers with %s", async (_, behave) => {
    const f = await fake();
    mkdirSync(socketDir(), { mode: 0o700 });
    const impostor = createServer((socket) => {
      socket.on("error", () => {});
      behave(socket);
    });
    extraServers.push(impostor);
    await new Promise<void>((resolve) => impostor.listen(join(socketDir(), "agent.sock"), resolve));
    const r = await get(HOST1, env(f));
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(payloadOf(r.stdout)).toBe(fakePayloadFor(KEY1.accessKeyId, "us-east-1", "ecr"));
    expect(f.requests).toHaveLength(1);
  });

  it.each([
    ["mode 0755", () => mkdirSync(socketDir(), { mode: 0o755 })],
    ["another owner", () => {
      mkdirSync(socketDir(), { mode: 0o700 });
      chownSync(socketDir(), 65534, 65534);
    }],
    ["a symlink to a private directory", () => {
      mkdirSync(join(runtime, "elsewhere"), { mode: 0o700 });
      symlinkSync(join(runtime, "elsewhere"), socketDir());
    }],
  ])("refuses a socket directory with %s and mints directly", async (_, prepare) => {
    const f = await fake();
    prepare();
    chmodSync(runtime, 0o755);
    const e = env(f);
    for (let i = 0; i < 2; i++) expect((await get(HOST1, e)).code).toBe(0);
    expect(f.requests).toHaveLength(2);
    expect(agentPids(runtime)).toEqual([]);
    expect(existsSync(join(socketDir(), "agent.sock"))).toBe(false);
    expect(existsSync(join(runtime, "elsewhere", "agent.sock"))).toBe(false);
    expect((await agent("status", e)).stdout).toMatch(/is not a private directory/);
  });

  it("keeps the token from another user (nobody)", async () => {
    const f = await fake();
    const e = env(f);
    await primed(e);
    expect((await get(HOST1, e)).code).toBe(0);
    chmodSync(runtime, 0o755); // nobody may reach the directory, which stays 0700
    const sock = join(socketDir(), "agent.sock");
    const probe = `require("net").connect(${JSON.stringify(sock)}).on("connect",()=>{console.log("connected");process.exit(0)}).on("error",(e)=>{console.log(e.code);process.exit(0)})`;
    const probed = await runHelper({ name: "probe", command: ["runuser", "-u", "nobody", "--", process.execPath, "-e", probe] }, []);
    expect(probed.stdout.trim()).toBe("EACCES");
    // nobody's own get refuses root's directory and asks AWS, which now fails: no cached token leaks.
    f.setFault({ kind: "access-denied" });
    const envArgs = Object.entries({ ...e, PATH: "/usr/bin:/bin", HOME: "/nonexistent", AWS_EC2_METADATA_DISABLED: "true" }).map(([k, v]) => `${k}=${v}`);
    const asNobody = { name: "nobody", command: ["runuser", "-u", "nobody", "--", "env", "-i", ...envArgs, ...target.command] };
    const r = await runHelper(asNobody, ["get"], { stdin: HOST1 });
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain("Secret");
    expect(east(f)).toHaveLength(2);
  });

  it("exits after the idle time", async () => {
    const f = await fake();
    await primed(env(f, { DOCKER_CREDENTIAL_CODESPACES_AGENT_IDLE: "1" }));
    await waitFor(() => agentPids(runtime).length === 0, "the idle agent to exit");
    expect(existsSync(join(socketDir(), "agent.sock"))).toBe(false);
  });

  it("stops on `agent stop`, and says so in `agent status`", async () => {
    const f = await fake();
    const e = env(f);
    await primed(e);
    expect(await agent("stop", e)).toEqual({ code: 0, stdout: "agent stopped\n", stderr: "" });
    await waitFor(() => agentPids(runtime).length === 0, "the stopped agent to exit");
    expect(existsSync(join(socketDir(), "agent.sock"))).toBe(false);
    expect(await agent("status", e)).toEqual({ code: 0, stdout: "no agent running\n", stderr: "" });
    expect(await agent("stop", e)).toEqual({ code: 0, stdout: "no agent running\n", stderr: "" });
  });

  it("is never started with DOCKER_CREDENTIAL_CODESPACES_AGENT=off: every get mints", async () => {
    const f = await fake();
    const e = env(f, { DOCKER_CREDENTIAL_CODESPACES_AGENT: "off" });
    for (let i = 0; i < 2; i++) expect((await get(HOST1, e)).code).toBe(0);
    expect(f.requests).toHaveLength(2);
    expect(agentPids(runtime)).toEqual([]);
    expect(existsSync(socketDir())).toBe(false);
  });

  it("runs with none of the helper's secrets in its environment", async () => {
    const f = await fake();
    await primed(env(f, { AWS_SECRET_ACCESS_KEY: KEY2.secretAccessKey }));
    const [pid] = agentPids(runtime);
    const environ = readFileSync(`/proc/${pid}/environ`, "utf8");
    for (const secret of [KEY1.secretAccessKey, KEY2.secretAccessKey, KEY1.accessKeyId]) expect(environ).not.toContain(secret);
  });
});

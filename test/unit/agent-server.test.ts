import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AGENT_VARIABLE, lookupKey, request, throughAgent } from "../../src/agent/client.js";
import { encode, type Reply } from "../../src/agent/message.js";
import { socketPath } from "../../src/agent/place.js";
import { IDLE_VARIABLE, idleMs, serve } from "../../src/agent/server.js";
import { runInProcess } from "../support/fake-io.js";

// The agent's protocol in-process: each test serves its own private runtime directory and stops the agent.
let env: Record<string, string>;
let path: string;
let served: Promise<void>;
beforeEach(async () => {
  env = { XDG_RUNTIME_DIR: mkdtempSync(join(tmpdir(), "agent-unit-")) };
  served = serve(env);
  path = socketPath(env) ?? "";
  for (let i = 0; i < 100 && (await open(encode({ op: "status" }))).reply.t !== "status"; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
});
afterEach(async () => {
  await open(encode({ op: "stop" }));
  await served;
  rmSync(env["XDG_RUNTIME_DIR"] ?? "", { recursive: true, force: true });
});

async function open(line: string) {
  const opened = await request(path, line);
  if (opened.kind !== "reply") return { reply: { t: "none" } as const, send: () => {}, next: async () => undefined };
  return { reply: opened.reply, send: (l: string) => opened.socket.write(l), next: () => opened.next(2_000) };
}
const keyOf = (n: number) => lookupKey({ registry: `r${n}`, env: {} });
const get = (n: number) => open(encode({ op: "get", key: keyOf(n) }));
const later = () => Date.now() + 12 * 3600_000;

describe("agent server", () => {
  it("leases the first miss, makes the others wait, and hands them the leaseholder's token", async () => {
    const holder = await get(1);
    expect(holder.reply).toEqual({ t: "lease" });
    const waiters = await Promise.all([get(1), get(1)]);
    expect(waiters.map((w) => w.reply)).toEqual([{ t: "wait" }, { t: "wait" }]);
    const expiresAt = later();
    holder.send(encode({ op: "put", secret: "s1", expiresAt }));
    for (const w of waiters) expect(await w.next()).toEqual<Reply>({ t: "hit", secret: "s1", expiresAt });
    expect((await get(1)).reply).toEqual({ t: "hit", secret: "s1", expiresAt });
  });

  it("tells the waiters to mint themselves when the leaseholder fails", async () => {
    const holder = await get(2);
    const waiter = await get(2);
    holder.send(encode({ op: "fail" }));
    expect(await waiter.next()).toEqual({ t: "mint" });
    expect((await get(2)).reply).toEqual({ t: "lease" });
  });

  it("keeps at most 1000 tokens, dropping the oldest", async () => {
    for (let n = 0; n <= 1000; n++) {
      const holder = await get(1000 + n);
      holder.send(encode({ op: "put", secret: `s${n}`, expiresAt: later() }));
      await holder.next();
    }
    expect((await get(1000)).reply).toEqual({ t: "lease" });
    expect((await get(2000)).reply).toMatchObject({ t: "hit", secret: "s1000" });
  }, 60_000);
});

describe("agent status and stop, through run(io)", () => {
  it("status names the running agent; stop stops it; then there is none", async () => {
    const status = await runInProcess(["agent", "status"], { env });
    expect(status).toEqual({
      code: 0,
      stdout: `agent running: pid ${process.pid}, 0 token(s) in memory, 0 mint(s) under way, exits after ${Math.ceil(idleMs(env) / 60_000)} min idle\n`,
      stderr: "",
    });
    expect(await runInProcess(["agent", "stop"], { env })).toEqual({ code: 0, stdout: "agent stopped\n", stderr: "" });
    await served;
    expect(await runInProcess(["agent", "status"], { env })).toEqual({ code: 0, stdout: "no agent running\n", stderr: "" });
    expect(await runInProcess(["agent", "stop"], { env })).toEqual({ code: 0, stdout: "no agent running\n", stderr: "" });
  });

  it("counts tokens and mints under way, and rounds the idle time up to minutes", async () => {
    await runInProcess(["agent", "stop"], { env });
    await served;
    served = serve({ ...env, [IDLE_VARIABLE]: "61" });
    for (let i = 0; i < 100 && (await open(encode({ op: "status" }))).reply.t !== "status"; i++) await new Promise((r) => setTimeout(r, 10));
    const holder = await get(1);
    holder.send(encode({ op: "put", secret: "s1", expiresAt: later() }));
    await holder.next();
    await get(2);
    const status = await runInProcess(["agent", "status"], { env });
    expect(status.stdout).toBe(`agent running: pid ${process.pid}, 1 token(s) in memory, 1 mint(s) under way, exits after 2 min idle\n`);
  });

  it.each([[["agent"]], [["agent", "serve", "x"]], [["agent", "status", "x"]], [["agent", "start"]]])("%j is the usage line", async (argv) => {
    const r = await runInProcess(argv, { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("usage: agent <status|stop>\n");
  });

  it("refuses a socket folder that is not private", async () => {
    const dir = join(env["XDG_RUNTIME_DIR"] ?? "", "docker-credential-codespaces");
    chmodSync(dir, 0o755);
    try {
      const r = await runInProcess(["agent", "status"], { env });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe(`${dir} is not a private directory of this user (mode 0700), so no agent runs; remove it or fix its owner and mode\n`);
    } finally {
      chmodSync(dir, 0o700);
    }
  });
});

describe("a helper's get through the running agent (throughAgent)", () => {
  const identity = (registry: string, extra: Record<string, string> = {}) => ({ registry, env: { ...env, ...extra } });
  const minter = (secret: string, expiresAt?: Date) => {
    let calls = 0;
    const mint = async () => {
      calls++;
      return { username: "AWS", secret, ...(expiresAt ? { expiresAt } : {}) };
    };
    return { mint, calls: () => calls };
  };
  const inHours = (h: number) => new Date(Date.now() + h * 3600_000);

  it("mints on a miss, hands the token to the agent, and serves it from there afterwards", async () => {
    const first = minter("tok-1", inHours(12));
    expect(await throughAgent(identity("a.test"), first.mint)).toEqual({ username: "AWS", secret: "tok-1", expiresAt: expect.any(Date) });
    const second = minter("tok-2", inHours(12));
    expect(await throughAgent(identity("a.test"), second.mint)).toEqual({ username: "AWS", secret: "tok-1" });
    expect([first.calls(), second.calls()]).toEqual([1, 0]);
    // Another identity (other AWS settings) is another key.
    const other = minter("tok-3", inHours(12));
    expect((await throughAgent(identity("a.test", { AWS_PROFILE: "x" }), other.mint)).secret).toBe("tok-3");
  });

  it("goes straight to the mint when the agent is off, caching nothing", async () => {
    const off = minter("tok-off", inHours(12));
    expect((await throughAgent(identity("b.test", { [AGENT_VARIABLE]: "off" }), off.mint)).secret).toBe("tok-off");
    const on = minter("tok-on", inHours(12));
    expect((await throughAgent(identity("b.test"), on.mint)).secret).toBe("tok-on");
    expect(on.calls()).toBe(1);
  });

  it("mints again for a token within 5 minutes of expiry, and caches nothing whose expiry is unknown", async () => {
    await throughAgent(identity("c.test"), minter("near", new Date(Date.now() + 4 * 60_000)).mint);
    const again = minter("fresh", inHours(12));
    expect((await throughAgent(identity("c.test"), again.mint)).secret).toBe("fresh");
    expect(again.calls()).toBe(1);
    await throughAgent(identity("d.test"), minter("no-expiry").mint);
    const next = minter("d2", inHours(12));
    expect((await throughAgent(identity("d.test"), next.mint)).secret).toBe("d2");
    expect(next.calls()).toBe(1);
  });

  it("serves the still-valid token when a fresh mint fails, and passes the failure on when there is none", async () => {
    await throughAgent(identity("e.test"), minter("stale-but-valid", new Date(Date.now() + 4 * 60_000)).mint);
    const boom = new Error("AWS unreachable");
    const failing = async () => {
      throw boom;
    };
    expect(await throughAgent(identity("e.test"), failing)).toEqual({ username: "AWS", secret: "stale-but-valid" });
    await expect(throughAgent(identity("f.test"), failing)).rejects.toBe(boom);
  });
});

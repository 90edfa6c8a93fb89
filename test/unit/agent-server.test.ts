import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
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
  // Safety net: a mutant that ignores XDG_RUNTIME_DIR falls back to the temp dir, which is this test's too.
  vi.stubEnv("TMPDIR", env["XDG_RUNTIME_DIR"]);
  served = serve(env);
  path = socketPath(env) ?? "";
  await answering();
});
afterEach(async () => {
  await stopAgent();
  vi.unstubAllEnvs();
  rmSync(env["XDG_RUNTIME_DIR"] ?? "", { recursive: true, force: true });
});

async function open(line: string) {
  const opened = await request(path, line);
  if (opened.kind !== "reply") return { reply: { t: "none" } as const, send: () => {}, next: async () => undefined };
  return { reply: opened.reply, send: (l: string) => opened.socket.write(l), next: () => opened.next(2_000) };
}
/** Waits, a bounded while, until an agent answers at the path. */
async function answering(): Promise<void> {
  for (let i = 0; i < 100 && (await open(encode({ op: "status" }))).reply.t !== "status"; i++) await new Promise((r) => setTimeout(r, 10));
}
/** Serves the agent of this test again, with `extra` settings. */
async function restart(extra: Record<string, string> = {}): Promise<void> {
  await stopAgent();
  served = serve({ ...env, ...extra });
  await answering();
}
/** Stops the agent of this test and waits for it to end. */
async function stopAgent(): Promise<void> {
  await open(encode({ op: "stop" }));
  await served;
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
    await answering();
    const holder = await get(1);
    holder.send(encode({ op: "put", secret: "s1", expiresAt: later() }));
    await holder.next();
    await get(2);
    const status = await runInProcess(["agent", "status"], { env });
    expect(status.stdout).toBe(`agent running: pid ${process.pid}, 1 token(s) in memory, 1 mint(s) under way, exits after 2 min idle\n`);
  });

  it("agent serve beside a running agent leaves at once, quietly", async () => {
    expect(await runInProcess(["agent", "serve"], { env })).toEqual({ code: 0, stdout: "", stderr: "" });
    expect((await open(encode({ op: "status" }))).reply.t).toBe("status");
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

describe("agent server, case by case", () => {
  const soon = () => Date.now() + 60_000; // still valid, within the 5-minute margin: not served
  const put = async (n: number, secret: string, expiresAt: number) => {
    const holder = await get(n);
    expect(holder.reply).toMatchObject({ t: "lease" });
    holder.send(encode({ op: "put", secret, expiresAt }));
    expect(await holder.next()).toEqual({ t: "ok" });
  };

  it("reads the idle time in whole seconds from the environment, else 30 minutes", () => {
    expect(idleMs({ [IDLE_VARIABLE]: "61" })).toBe(61_000);
    expect(idleMs({ [IDLE_VARIABLE]: "0.5" })).toBe(500);
    for (const value of [undefined, "", "0", "-5", "abc", "Infinity"]) expect(idleMs({ [IDLE_VARIABLE]: value })).toBe(30 * 60_000);
  });

  it("leases a token about to expire with it as the fallback, and tells waiters to mint with it when the mint fails", async () => {
    const expiresAt = soon();
    await put(3, "near", expiresAt);
    const holder = await get(3);
    expect(holder.reply).toEqual({ t: "lease", stale: { secret: "near", expiresAt } });
    const waiter = await get(3);
    expect(waiter.reply).toEqual({ t: "wait" });
    holder.send(encode({ op: "fail" }));
    expect(await holder.next()).toEqual({ t: "ok" });
    expect(await waiter.next()).toEqual({ t: "mint", stale: { secret: "near", expiresAt } });
    // The failed mint did not cost the fallback: the next leaseholder is offered it too.
    expect((await get(3)).reply).toEqual({ t: "lease", stale: { secret: "near", expiresAt } });
  });

  it("drops an expired token, and tells waiters to mint when the leaseholder's token is about to expire", async () => {
    await put(4, "gone", Date.now() + 50);
    await new Promise((resolve) => setTimeout(resolve, 60));
    const holder = await get(4);
    expect(holder.reply).toEqual({ t: "lease" });
    const waiter = await get(4);
    holder.send(encode({ op: "put", secret: "short", expiresAt: soon() }));
    expect(await waiter.next()).toEqual({ t: "mint" });
    expect((await runInProcess(["agent", "status"], { env })).stdout).toMatch(/, 1 token\(s\) in memory, 0 mint\(s\)/);
  });

  it("offers no fallback that expired while the mint was under way", async () => {
    await put(13, "brief", Date.now() + 80);
    const holder = await get(13);
    expect(holder.reply).toMatchObject({ t: "lease", stale: { secret: "brief" } });
    const waiter = await get(13);
    await new Promise((resolve) => setTimeout(resolve, 100));
    holder.send(encode({ op: "fail" }));
    expect(await waiter.next()).toEqual({ t: "mint" });
  });

  it("does not keep a put token that has already expired", async () => {
    const holder = await get(5);
    holder.send(encode({ op: "put", secret: "late", expiresAt: Date.now() - 1 }));
    expect(await holder.next()).toEqual({ t: "ok" });
    expect((await get(5)).reply).toEqual({ t: "lease" });
  });

  it("hands the lease on when the leaseholder hangs up, and forgets a waiter that hangs up", async () => {
    const holder = await request(path, encode({ op: "get", key: keyOf(6) }));
    if (holder.kind !== "reply") throw new Error("no agent");
    const quitter = await request(path, encode({ op: "get", key: keyOf(6) }));
    if (quitter.kind !== "reply") throw new Error("no agent");
    expect(quitter.reply).toEqual({ t: "wait" });
    quitter.socket.destroy();
    const waiter = await get(6);
    holder.socket.destroy();
    expect(await waiter.next()).toEqual({ t: "mint" });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await runInProcess(["agent", "status"], { env })).stdout).toMatch(/, 0 mint\(s\) under way/);
    expect((await get(6)).reply).toEqual({ t: "lease" });
  });

  it("hangs up on a second get, a put or fail without the lease, and garbage", async () => {
    const twice = await get(7);
    const waiter = await get(7);
    expect(waiter.reply).toEqual({ t: "wait" });
    waiter.send(encode({ op: "get", key: keyOf(9) }));
    expect(await waiter.next()).toBeUndefined();
    twice.send(encode({ op: "get", key: keyOf(8) }));
    expect(await twice.next()).toBeUndefined();
    for (const line of [encode({ op: "put", secret: "x", expiresAt: Date.now() + 3600_000 }), encode({ op: "fail" }), "garbage\n"]) {
      const opened = await request(path, line);
      expect(opened.kind).toBe("broken");
    }
    // The leaseholder that was hung up on gave its lease back.
    expect((await get(7)).reply).toEqual({ t: "lease" });
    const other = await get(10);
    other.send(encode({ op: "fail" }));
    expect(await other.next()).toEqual({ t: "ok" });
    other.send(encode({ op: "put", secret: "x", expiresAt: Date.now() + 3600_000 }));
    expect(await other.next()).toBeUndefined();
  });

  it("counts only tokens still valid, and never shows a negative idle time", async () => {
    await put(11, "valid", Date.now() + 3600_000);
    await put(12, "brief", Date.now() + 40);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const status = await open(encode({ op: "status" }));
    expect(status.reply).toMatchObject({ t: "status", pid: process.pid, tokens: 1, leases: 0 });
    expect((status.reply as { idleExitMs: number }).idleExitMs).toBeGreaterThan(29 * 60_000);
  });

  it("frees the places of expired tokens, at a get and on its tick, before dropping a valid one", async () => {
    await stopAgent();
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    try {
      served = serve(env);
      await answering();
      await put(5000, "keep", later());
      for (let n = 1; n < 1000; n++) await put(5000 + n, `b${n}`, Date.now() + 60_000);
      vi.setSystemTime(Date.now() + 120_000);
      // The tick has not run: a get of an expired token frees its place.
      const holder = await get(5001);
      expect(holder.reply).toEqual({ t: "lease" });
      holder.send(encode({ op: "fail" }));
      await holder.next();
      await put(6000, "new", later());
      expect((await get(5000)).reply).toMatchObject({ t: "hit", secret: "keep" });
      // The tick frees the others.
      await vi.advanceTimersByTimeAsync(1_000);
      for (let n = 1; n < 999; n++) await put(7000 + n, `c${n}`, later());
      expect((await get(5000)).reply).toMatchObject({ t: "hit", secret: "keep" });
    } finally {
      vi.useRealTimers();
    }
  }, 60_000);

  it("never shows a negative idle time", async () => {
    const { connect } = await import("node:net");
    await restart({ [IDLE_VARIABLE]: "0.001" });
    const client = connect(path);
    await new Promise((resolve) => client.on("connect", resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const reply = new Promise<string>((resolve) => client.once("data", (d) => resolve(d.toString())));
    client.write(encode({ op: "status" }));
    expect(JSON.parse(await reply)).toMatchObject({ t: "status", idleExitMs: 0 });
    await served;
  });

  it("refreshes a token's place when it is put again, so the least recently stored is dropped first", async () => {
    // Tokens about to expire are leased again, so that they can be put again.
    for (let n = 0; n < 1000; n++) await put(3000 + n, `s${n}`, soon());
    await put(3000, "again", later());
    await put(4000, "new", later());
    expect((await get(3000)).reply).toMatchObject({ t: "hit", secret: "again" });
    expect((await get(3001)).reply).toEqual({ t: "lease" });
  }, 60_000);
});

describe("agent lifetime", () => {
  const statusOf = async () => (await request(path, encode({ op: "status" }))).kind;

  it("a second agent on the same folder leaves at once, and the first keeps serving", async () => {
    const handlers = process.listeners("SIGTERM").length;
    await serve(env);
    expect(await statusOf()).toBe("reply");
    // It left before taking any signal over.
    expect(process.listeners("SIGTERM")).toHaveLength(handlers);
  });

  it("serves nothing, quietly, when the socket folder is not private", async () => {
    const dir = join(env["XDG_RUNTIME_DIR"] ?? "", "docker-credential-codespaces");
    chmodSync(dir, 0o755);
    try {
      await expect(serve(env)).resolves.toBeUndefined();
    } finally {
      chmodSync(dir, 0o700);
    }
  });

  it("replaces a stale socket a crashed agent left", async () => {
    await stopAgent();
    // A socket file nobody listens on: bound elsewhere, moved into place, then abandoned.
    const { createServer } = await import("node:net");
    const { renameSync, existsSync } = await import("node:fs");
    const elsewhere = `${path}.old`;
    const crashed = createServer();
    await new Promise<void>((resolve) => crashed.listen(elsewhere, resolve));
    renameSync(elsewhere, path);
    await new Promise((resolve) => crashed.close(resolve));
    expect(existsSync(path)).toBe(true);
    expect(await statusOf()).toBe("absent");
    served = serve(env);
    await answering();
    expect(await statusOf()).toBe("reply");
  });

  it("leaves when idle, removing its socket, and when another agent took its path over, leaving that one's socket", async () => {
    const { existsSync, unlinkSync } = await import("node:fs");
    await stopAgent();
    const started = Date.now();
    served = serve({ ...env, [IDLE_VARIABLE]: "0.2" });
    await served;
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(existsSync(path)).toBe(false);

    const first = serve(env);
    await answering();
    unlinkSync(path);
    served = serve(env);
    await answering();
    await first;
    expect(existsSync(path)).toBe(true);
    expect(await statusOf()).toBe("reply");
  });

  it("hangs up on a client silent for 2 s, but lets a leaseholder take its time, and stays while it does", async () => {
    const { connect } = await import("node:net");
    await restart({ [IDLE_VARIABLE]: "0.2" });
    const silent = connect(path);
    const silentClosed = new Promise((resolve) => silent.on("close", resolve));
    const holder = await get(1);
    expect(holder.reply).toEqual({ t: "lease" });
    const stale = { secret: "brief", expiresAt: Date.now() + 100 };
    await new Promise((resolve) => setTimeout(resolve, 2_300));
    await silentClosed;
    // Idle for far longer than 0.2 s, but a mint is under way: the agent stays.
    holder.send(encode({ op: "put", ...stale }));
    expect(await holder.next()).toEqual({ t: "ok" });
    await served;
  }, 10_000);

  it("holding tokens, stays for its idle time; holding none, leaves after 5 s", async () => {
    await stopAgent();
    // The agent's clock and tick are faked; sockets run for real.
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    try {
      let ended = false;
      /** The agent's socket closes for real: a bounded number of event-loop turns. */
      const closing = async () => {
        for (let i = 0; i < 1_000 && !ended; i++) await new Promise((resolve) => setImmediate(resolve));
      };
      served = serve({ ...env, [IDLE_VARIABLE]: "60" }).then(() => void (ended = true));
      await answering();
      const holder = await get(1);
      holder.send(encode({ op: "put", secret: "s", expiresAt: Date.now() + 12 * 3600_000 }));
      expect(await holder.next()).toEqual({ t: "ok" });
      await new Promise((r) => setTimeout(r, 20));
      await vi.advanceTimersByTimeAsync(59_999);
      expect(ended).toBe(false);
      // Exactly its idle time after the last connection closed, it leaves.
      await vi.advanceTimersByTimeAsync(1);
      await closing();
      expect(ended).toBe(true);

      ended = false;
      served = serve({ ...env, [IDLE_VARIABLE]: "60" }).then(() => void (ended = true));
      await answering();
      await new Promise((r) => setTimeout(r, 20));
      await vi.advanceTimersByTimeAsync(4_999);
      expect(ended).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await closing();
      expect(ended).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it("stops on SIGTERM, SIGINT and SIGHUP, removing its socket", async () => {
    const { existsSync } = await import("node:fs");
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
      await stopAgent();
      const before = process.listeners(signal).length;
      served = serve(env);
      await answering();
      const added = process.listeners(signal).slice(before);
      expect(added).toHaveLength(1);
      added[0]!(signal);
      expect(await statusOf()).toBe("absent");
      await served;
      expect(existsSync(path)).toBe(false);
      process.off(signal, added[0]!);
      served = serve(env);
      await answering();
    }
  });
});

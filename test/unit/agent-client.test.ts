import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { request, throughAgent } from "../../src/agent/client.js";
import { MARGIN_MS, servable, stillValid } from "../../src/agent/expiry.js";
import { encode, lineReader, MAX_LINE_BYTES, Reply, Request } from "../../src/agent/message.js";
import { socketDir, socketPath } from "../../src/agent/place.js";
import type { Minted } from "../../src/credentials.js";

// The helper's side of the agent against scripted agents: each test has its own private runtime
// directory. Spawning the agent process is replaced by serving it in this process, so that no test
// starts a detached process.
const state = vi.hoisted(() => ({ start: true, spawned: [] as Array<Record<string, string | undefined>>, served: [] as Array<Promise<void>> }));
vi.mock("../../src/agent/spawn.js", async () => {
  const { serve } = await import("../../src/agent/server.js");
  return {
    spawnAgent: (env: Record<string, string | undefined>) => {
      state.spawned.push(env);
      if (state.start) state.served.push(serve(env));
    },
  };
});

let runtime: string;
let env: Record<string, string>;
beforeEach(() => {
  runtime = mkdtempSync(join(tmpdir(), "agent-client-unit-"));
  env = { XDG_RUNTIME_DIR: runtime };
  // Safety net: a mutant that ignores XDG_RUNTIME_DIR falls back to the temp dir, which is this test's too.
  vi.stubEnv("TMPDIR", runtime);
  state.start = true;
  state.spawned = [];
  state.served = [];
});
afterEach(async () => {
  const path = socketPath(env);
  if (path !== undefined && state.served.length > 0) {
    const opened = await request(path, encode({ op: "stop" }));
    if (opened.kind === "reply") opened.socket.destroy();
    await Promise.all(state.served);
  }
  vi.unstubAllEnvs();
  rmSync(runtime, { recursive: true, force: true });
});

const inHours = (h: number) => new Date(Date.now() + h * 3600_000);
/** A mint that counts its calls; `before` runs first (e.g. waiting for the agent). */
function minter(result: Minted | Error, before: () => Promise<void> = async () => {}) {
  let calls = 0;
  const mint = async () => {
    calls++;
    await before();
    if (result instanceof Error) throw result;
    return result;
  };
  return { mint, calls: () => calls };
}
const token = (secret: string, expiresAt?: Date): Minted => ({ username: "AWS", secret, ...(expiresAt ? { expiresAt } : {}) });

async function agentListening(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const opened = await request(socketPath(env) ?? "", encode({ op: "status" }));
    if (opened.kind === "reply") {
      opened.socket.destroy();
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("the agent did not start");
}

describe("a helper with no agent running", () => {
  it("starts one with its environment, mints directly, and hands the token over for the next helper", async () => {
    const first = minter(token("tok-1", inHours(12)), agentListening);
    expect(await throughAgent({ registry: "a.test", env }, first.mint)).toEqual(token("tok-1", expect.any(Date)));
    expect(state.spawned).toEqual([env]);
    const second = minter(token("tok-2", inHours(12)));
    expect(await throughAgent({ registry: "a.test", env }, second.mint)).toEqual(token("tok-1"));
    expect(second.calls()).toBe(0);
    expect(state.spawned).toHaveLength(1);
  });

  it("serves its own mint when the agent it started is not listening yet", async () => {
    state.start = false;
    const first = minter(token("tok-1", inHours(12)));
    expect(await throughAgent({ registry: "a.test", env }, first.mint)).toEqual(token("tok-1", expect.any(Date)));
    expect([state.spawned.length, first.calls()]).toEqual([1, 1]);
  });

  it("takes a socket file nobody listens on (a crashed agent's) for no agent", async () => {
    const path = socketPath(env) ?? "";
    const crashed = createServer();
    await new Promise<void>((resolve) => crashed.listen(`${path}.old`, resolve));
    renameSync(`${path}.old`, path);
    await new Promise((resolve) => crashed.close(resolve));
    const first = minter(token("tok-1", inHours(12)), agentListening);
    expect(await throughAgent({ registry: "a.test", env }, first.mint)).toEqual(token("tok-1", expect.any(Date)));
    expect(state.spawned).toEqual([env]);
  });

  it("takes an agent too busy to accept a connection for one that is there: mints directly and starts no second agent", async () => {
    const path = socketPath(env) ?? "";
    const { spawn } = await import("node:child_process");
    const { connect } = await import("node:net");
    // An agent process that listens (backlog 1) but does not accept: blocked, without using CPU, for at most 5 s.
    const busy = spawn(
      process.execPath,
      ["-e", `require("node:net").createServer().listen({ path: ${JSON.stringify(path)}, backlog: 1 }, () => { process.stdout.write("ready\\n"); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5000); })`],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const queued: Socket[] = [];
    try {
      await new Promise((resolve) => busy.stdout.once("data", resolve));
      // Fill its queue of pending connections, so that the next connect fails with EAGAIN.
      for (let i = 0; i < 2; i++) {
        const s = connect(path);
        queued.push(s);
        await new Promise((resolve) => s.once("connect", resolve));
      }
      const direct = minter(token("tok-1", inHours(12)));
      expect(await throughAgent({ registry: "a.test", env }, direct.mint)).toEqual(token("tok-1", expect.any(Date)));
      expect([state.spawned.length, direct.calls()]).toEqual([0, 1]);
    } finally {
      for (const s of queued) s.destroy();
      busy.kill();
    }
  });

  it("mints directly, starting nothing, when the socket folder is not private", async () => {
    const dir = socketDir(env);
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const direct = minter(token("tok-1", inHours(12)));
    expect(await throughAgent({ registry: "a.test", env }, direct.mint)).toEqual(token("tok-1", expect.any(Date)));
    expect([state.spawned.length, direct.calls()]).toEqual([0, 1]);
  });
});

/** A scripted agent: answers each connection's lines with `script(line, n)` and records what it was sent. */
async function fakeAgent(script: (request: Request | undefined, connection: number) => Array<Reply | string> | "silent" | "hang up") {
  const path = socketPath(env) ?? "";
  const received: Array<Array<Request | undefined>> = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    const mine: Array<Request | undefined> = [];
    const n = received.push(mine) - 1;
    socket.on("error", () => {});
    socket.on(
      "data",
      lineReader(Request, (message) => {
        mine.push(message);
        const replies = script(message, n);
        if (replies === "silent") return;
        if (replies === "hang up") return void socket.destroy();
        for (const reply of replies) {
          if (reply === "hang up") socket.end();
          else socket.write(typeof reply === "string" ? reply : encode(reply));
        }
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  afterEachClose.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  /** Connections not yet closed (by either side). */
  return Object.assign(received, { open: () => sockets.size });
}
const afterEachClose: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of afterEachClose.splice(0)) await close();
});

describe("a helper following the agent's answers", () => {
  const far = () => Date.now() + 12 * 3600_000;
  const stale = () => ({ secret: "stale", expiresAt: Date.now() + 60_000 });

  it("serves a hit, and mints for one about to expire", async () => {
    const expiresAt = far();
    await fakeAgent(() => [{ t: "hit", secret: "cached", expiresAt }]);
    const unused = minter(token("fresh", inHours(12)));
    expect(await throughAgent({ registry: "a.test", env }, unused.mint)).toEqual(token("cached"));
    expect(unused.calls()).toBe(0);
  });

  it("mints for a hit within the margin", async () => {
    await fakeAgent(() => [{ t: "hit", secret: "cached", expiresAt: Date.now() + MARGIN_MS - 1000 }]);
    expect((await throughAgent({ registry: "a.test", env }, minter(token("fresh")).mint)).secret).toBe("fresh");
  });

  it("holding the lease, puts the token with AWS's expiry, else the one inside the token, else reports a failure", async () => {
    const received = await fakeAgent((message) => (message?.op === "get" ? [{ t: "lease" }] : []));
    const expiresAt = inHours(12);
    await throughAgent({ registry: "a.test", env }, minter(token("aws", expiresAt)).mint);
    const inner = Buffer.from(JSON.stringify({ payload: "x", expiration: 1_900_000_000 })).toString("base64");
    await throughAgent({ registry: "a.test", env }, minter(token(inner)).mint);
    await throughAgent({ registry: "a.test", env }, minter(token("opaque")).mint);
    await vi.waitFor(() => expect(received.map((r) => r.length)).toEqual([2, 2, 2]));
    expect(received.map((r) => r[1])).toEqual([
      { op: "put", secret: "aws", expiresAt: expiresAt.getTime() },
      { op: "put", secret: inner, expiresAt: 1_900_000_000_000 },
      { op: "fail" },
    ]);
  });

  it("holding the lease, reports a failed mint and serves the still-valid token, or passes the failure on", async () => {
    const boom = new Error("AWS unreachable");
    const received = await fakeAgent((message, n) => (message?.op !== "get" ? [] : n === 0 ? [{ t: "lease", stale: stale() }] : [{ t: "lease" }]));
    expect(await throughAgent({ registry: "a.test", env }, minter(boom).mint)).toEqual(token("stale"));
    await expect(throughAgent({ registry: "a.test", env }, minter(boom).mint)).rejects.toBe(boom);
    await vi.waitFor(() => expect(received.map((r) => r[1])).toEqual([{ op: "fail" }, { op: "fail" }]));
  });

  it("waits for the leaseholder's token, or mints when told to, falling back on a still-valid token", async () => {
    const boom = new Error("AWS unreachable");
    const expiresAt = far();
    const answers: Array<Array<Reply | "hang up">> = [
      [{ t: "wait" }, { t: "hit", secret: "landed", expiresAt }],
      [{ t: "wait" }, { t: "mint", stale: stale() }],
      [{ t: "wait" }, { t: "mint", stale: { secret: "expired", expiresAt: Date.now() - 1 } }],
      [{ t: "mint" }],
      [{ t: "wait" }, { t: "ok" }],
      [{ t: "wait" }, "hang up"],
    ];
    await fakeAgent((message, n) => (message?.op === "get" ? (answers[n] ?? []) : []));
    expect(await throughAgent({ registry: "a.test", env }, minter(boom).mint)).toEqual(token("landed"));
    expect(await throughAgent({ registry: "a.test", env }, minter(boom).mint)).toEqual(token("stale"));
    await expect(throughAgent({ registry: "a.test", env }, minter(boom).mint)).rejects.toBe(boom);
    expect(await throughAgent({ registry: "a.test", env }, minter(token("own")).mint)).toEqual(token("own"));
    await expect(throughAgent({ registry: "a.test", env }, minter(boom).mint)).rejects.toBe(boom);
    expect(await throughAgent({ registry: "a.test", env }, minter(token("after-leaseholder-vanished")).mint)).toEqual(token("after-leaseholder-vanished"));
  });

  it("mints directly when the agent answers garbage, hangs up, or stays silent", async () => {
    const agent = await fakeAgent((_, n) => (n === 0 ? ["garbage\n"] : n === 1 ? [{ t: "ok" }, "garbage\n"] : n === 2 ? "hang up" : "silent"));
    for (const secret of ["after-garbage", "after-ok", "after-hang-up", "after-silence"]) {
      const direct = minter(token(secret));
      expect((await throughAgent({ registry: "a.test", env }, direct.mint)).secret).toBe(secret);
      expect(direct.calls()).toBe(1);
    }
    expect(state.spawned).toEqual([]);
    // The helper hung up on each: no connection is left holding the agent.
    await vi.waitFor(() => expect(agent.open()).toBe(0));
  });
});

describe("a helper's waits on the agent, on a fake clock", () => {
  // Only setTimeout is faked: the client's own timers. Sockets and the agent run for real.
  beforeEach(() => void vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] }));
  afterEach(() => void vi.useRealTimers());
  const turn = () => new Promise((resolve) => setImmediate(resolve));

  it("trusts the leaseholder's mint for 5 s, then mints itself", async () => {
    await fakeAgent((message) => (message?.op === "get" ? [{ t: "wait" }] : []));
    const own = minter(token("own"));
    const got = throughAgent({ registry: "a.test", env }, own.mint);
    let waited = 0;
    for (; waited < 10_000 && own.calls() === 0; waited += 100) {
      for (let i = 0; i < 5; i++) await turn();
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(own.calls()).toBe(1);
    expect(waited).toBeGreaterThanOrEqual(5_000);
    expect(await got).toEqual(token("own"));
  });

  it("holding the lease, is done once the agent has its token, without waiting out the 200 ms bound", async () => {
    const received = await fakeAgent((message) => (message?.op === "get" ? [{ t: "lease" }] : []));
    let done = false;
    const got = throughAgent({ registry: "a.test", env }, minter(token("aws", inHours(12))).mint).then((r) => ((done = true), r));
    for (let i = 0; i < 1_000 && !done; i++) await turn();
    expect(done).toBe(true);
    expect(await got).toEqual(token("aws", expect.any(Date)));
    await vi.waitFor(() => expect(received[0]?.[1]).toMatchObject({ op: "put", secret: "aws" }));
  });
});

describe("the socket folder", () => {
  it("is under an absolute XDG_RUNTIME_DIR, else a per-user folder in the temp dir", () => {
    expect(socketDir({ XDG_RUNTIME_DIR: "/run/user/7" })).toBe("/run/user/7/docker-credential-codespaces");
    const fallback = join(tmpdir(), `docker-credential-codespaces-${process.getuid?.()}`);
    expect(socketDir({ XDG_RUNTIME_DIR: "run/user/7" })).toBe(fallback);
    expect(socketDir({})).toBe(fallback);
  });

  it("names the temp-dir folder by uid, root's 0 included, and by 'unknown' where there is no uid", () => {
    const getuid = vi.spyOn(process, "getuid");
    try {
      for (const uid of [0, 1000]) {
        getuid.mockReturnValue(uid);
        expect(socketDir({})).toBe(join(tmpdir(), `docker-credential-codespaces-${uid}`));
      }
    } finally {
      getuid.mockRestore();
    }
    // Windows has no process.getuid.
    const original = Object.getOwnPropertyDescriptor(process, "getuid");
    Object.defineProperty(process, "getuid", { value: undefined, configurable: true });
    try {
      expect(socketDir({})).toBe(join(tmpdir(), "docker-credential-codespaces-unknown"));
    } finally {
      if (original) Object.defineProperty(process, "getuid", original);
    }
  });

  it("is created private when missing, and then holds the socket", () => {
    expect(socketPath(env)).toBe(join(runtime, "docker-credential-codespaces", "agent.sock"));
    expect(lstatSync(socketDir(env)).mode & 0o777).toBe(0o700);
    expect(socketPath(env)).toBe(join(runtime, "docker-credential-codespaces", "agent.sock"));
  });

  it("is refused when it cannot be made, is no folder, is a link, is another user's or is open to others", () => {
    const dir = socketDir(env);
    expect(socketPath({ XDG_RUNTIME_DIR: join(runtime, "missing") })).toBeUndefined();
    writeFileSync(dir, "");
    expect(socketPath(env)).toBeUndefined();
    rmSync(dir);
    mkdirSync(join(runtime, "real"), { mode: 0o700 });
    symlinkSync(join(runtime, "real"), dir);
    expect(socketPath(env)).toBeUndefined();
    rmSync(dir);
    mkdirSync(dir, { mode: 0o700 });
    if (process.getuid?.() === 0) {
      chownSync(dir, 65534, 65534);
      expect(socketPath(env)).toBeUndefined();
      chownSync(dir, 0, 0);
    }
    for (const mode of [0o750, 0o701, 0o600, 0o1700]) {
      chmodSync(dir, mode);
      expect(socketPath(env)).toBe(mode === 0o1700 ? join(dir, "agent.sock") : undefined);
    }
  });
});

describe("token expiry", () => {
  it("serves a token until 5 minutes before it expires, and falls back on it until it does", () => {
    const t = { secret: "s", expiresAt: 10 * MARGIN_MS };
    expect([servable(t, t.expiresAt - MARGIN_MS - 1), servable(t, t.expiresAt - MARGIN_MS)]).toEqual([true, false]);
    expect([stillValid(t, t.expiresAt - 1), stillValid(t, t.expiresAt)]).toEqual([true, false]);
    expect(MARGIN_MS).toBe(300_000);
  });
});

describe("the agent's line reader", () => {
  it("takes a line of exactly the bound, drops a longer one, and reads on after it", () => {
    const messages: Array<Reply | undefined> = [];
    const feed = lineReader(Reply, (m) => messages.push(m));
    const line = encode({ t: "ok" });
    feed(Buffer.from(line.slice(0, -1) + " ".repeat(MAX_LINE_BYTES - line.length) + "\n"));
    feed(Buffer.from("x".repeat(MAX_LINE_BYTES + 1)));
    feed(Buffer.from(encode({ t: "wait" })));
    feed(Buffer.from(`\n${encode({ t: "ok" })}`));
    expect(messages).toEqual([{ t: "ok" }, undefined, { t: "wait" }, undefined, { t: "ok" }]);
  });
});

import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly input?: string | Buffer;
  readonly cwd?: string;
  /** Hard bound on the run; the process group is killed past it. Default 60 s. */
  readonly timeoutMs?: number;
}

/**
 * Runs a program to completion with a bounded wait, capturing both streams.
 * The environment is exactly `env` (nothing of the caller's is inherited
 * unless passed), so no real registry triple of the developer can leak in.
 */
export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const child = spawn(file, [...args], {
    env: { ...(options.env ?? { PATH: process.env["PATH"] ?? "/usr/bin:/bin" }) },
    cwd: options.cwd,
    stdio: ["pipe", "pipe", "pipe"],
    detached: true, // own process group, so a timeout kills its children too
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdin.on("error", () => {});
  child.stdin.end(options.input ?? "");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child, "SIGKILL");
      reject(new Error(`${file} ${args.join(" ")} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Like `run`, but rejects unless the exit code is 0. */
export async function runOk(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await run(file, args, options);
  if (result.code !== 0) {
    throw new Error(`${file} ${args.join(" ")} exited ${result.code ?? result.signal}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
  return result;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** True while `pid` names a live (not zombie) process. */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false; // kill(0 or -n) would address process groups
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // "pid (comm) S ..." — the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
    }
    await sleep(100);
  }
}

/** A long-running child (a daemon) that the harness started and must stop by its PID. */
export interface Daemon {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything it printed so far (both streams), for failure messages. */
  output(): string;
  /** True once the process has exited (and been reaped). */
  exited(): boolean;
}

// Daemons started by this worker and not yet stopped: killed by PID if the
// worker exits without its afterAll having run (a crash, a killed run).
const live = new Set<number>();
let exitHookInstalled = false;
function track(pid: number): void {
  live.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const leftover of live) {
      try {
        process.kill(leftover, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  });
}

export function startDaemon(name: string, file: string, args: readonly string[], env: Readonly<Record<string, string>>): Daemon {
  const child = spawn(file, [...args], { env: { ...env }, stdio: ["ignore", "pipe", "pipe"] });
  if (child.pid === undefined) throw new Error(`${name}: ${file} did not start`);
  track(child.pid);
  let out = "";
  let exited = false;
  const keep = (d: string) => {
    out += d;
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout?.setEncoding("utf8").on("data", keep);
  child.stderr?.setEncoding("utf8").on("data", keep);
  child.on("exit", () => {
    exited = true;
    if (child.pid !== undefined) live.delete(child.pid);
  });
  child.on("error", (error) => {
    exited = true;
    keep(`\n[spawn error] ${String(error)}\n`);
  });
  const pid = child.pid;
  return { name, pid, child, output: () => out, exited: () => exited };
}

/**
 * Stops a daemon by its PID: SIGTERM, a bounded wait, then SIGKILL; throws if
 * it is still alive after that (so a leak fails the suite loudly).
 */
export async function stopDaemon(daemon: Daemon, graceMs = 15_000): Promise<void> {
  if (daemon.exited()) return;
  const gone = new Promise<void>((resolve) => daemon.child.once("exit", () => resolve()));
  try {
    process.kill(daemon.pid, "SIGTERM");
  } catch {
    /* already gone */
  }
  const timedOut = await Promise.race([gone.then(() => false), sleep(graceMs).then(() => true)]);
  if (timedOut) {
    try {
      process.kill(daemon.pid, "SIGKILL");
    } catch {
      /* gone meanwhile */
    }
    await Promise.race([gone, sleep(5_000)]);
  }
  if (!daemon.exited() || isAlive(daemon.pid)) throw new Error(`${daemon.name} (pid ${daemon.pid}) did not stop`);
}

/** Stops a process we did not spawn directly (a daemon's own child) by PID, and checks it is gone. */
export async function stopPid(name: string, pid: number, graceMs = 10_000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  try {
    await waitFor(`${name} (pid ${pid}) to exit`, graceMs, () => (isAlive(pid) ? undefined : true));
  } catch {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
    await waitFor(`${name} (pid ${pid}) to die`, 5_000, () => (isAlive(pid) ? undefined : true));
  }
}

/** A TCP port free on `host` right now (the kernel picks it). */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

/** True if `port` on `host` can be bound now. */
export async function portIsFree(host: string, port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.on("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** Quotes a word for /bin/sh. */
export function shQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

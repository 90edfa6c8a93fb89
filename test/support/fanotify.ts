import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * File-system events seen by fanotify (Debian's `fatrace`), for every mount.
 * Unlike strace this sees writes that Node submits through io_uring
 * (UV_USE_IO_URING=1), which make no write-like syscall at all. It needs root,
 * as the test command has; CI must have it (test/setup/install-deps.sh).
 */
export interface FsEvent {
  readonly pid: number;
  readonly command: string;
  /** fatrace's letters: R read, W write, O open, C close, + create, D delete, < > move. */
  readonly types: string;
  readonly path: string;
}

export function hasFatrace(): boolean {
  try {
    execFileSync("fatrace", ["--help"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** True when an event changed the file system (content written, created, deleted or moved). */
export const isWrite = (e: FsEvent): boolean => /[W+D<>]/.test(e.types);

const LINE = /^(.*)\((\d+)\): (\S+)\s+(.*)$/;

export interface FsWatch {
  /** Stops watching (after seeing its own end marker, so no earlier event is lost) and returns every event; idempotent. */
  stop(): Promise<FsEvent[]>;
}

/**
 * Starts fatrace and returns once it demonstrably sees events: it writes
 * marker files into `scratch` until one shows up (bounded).
 */
export async function watchFileSystem(scratch: string): Promise<FsWatch> {
  const child: ChildProcessWithoutNullStreams = spawn("fatrace", [], { stdio: ["pipe", "pipe", "pipe"] });
  let text = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (text += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));

  let marker = 0;
  const sync = async (what: string) => {
    const file = join(scratch, `.fatrace-${what}-${++marker}`);
    for (let i = 0; i < 200; i++) {
      writeFileSync(file, "x");
      if (text.includes(file)) return;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill("SIGKILL");
    throw new Error(`fatrace did not report ${what} marker within 5 s: ${stderr.trim() || "no output"}`);
  };
  await sync("start");

  let stopped: Promise<FsEvent[]> | undefined;
  const stop = async (): Promise<FsEvent[]> => {
    await sync("end");
    child.kill("SIGTERM");
    await closed;
    return text
      .split("\n")
      .map((l) => LINE.exec(l))
      .filter((m) => m !== null)
      .map(([, command = "", pid = "", types = "", path = ""]) => ({ command, pid: Number(pid), types, path }))
      .filter((e) => !e.path.startsWith(join(scratch, ".fatrace-")));
  };
  // Idempotent, so callers can stop in a finally and again to read the events.
  return { stop: () => (stopped ??= stop()) };
}

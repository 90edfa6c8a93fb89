import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** strace is installed by the test command; only a developer's bare machine may lack it. */
export const hasStrace = (() => {
  try {
    execFileSync("strace", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** Syscalls that change the file system whatever their arguments (bind: a unix socket is a file). */
const MUTATING = new Set([
  "creat", "rename", "renameat", "renameat2", "unlink", "unlinkat", "rmdir", "mkdir", "mkdirat",
  "link", "linkat", "symlink", "symlinkat", "truncate", "ftruncate", "fallocate",
  "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat",
  "utime", "utimes", "utimensat", "futimesat", "mknod", "mknodat",
  "setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr", "bind",
]);
const OPENS = new Set(["open", "openat", "openat2"]);
const WRITE_FLAGS = /\b(O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND|O_TMPFILE)\b/;

export interface TraceSummary {
  /** Trace files found (one per helper invocation). */
  readonly files: string[];
  /** Every traced syscall line, pid-prefixed. */
  readonly lines: string[];
  /** Lines that created, changed, renamed or removed a file, or opened one for writing. */
  readonly writes: string[];
  /** Paths the helper opened (read-only), for a report. */
  readonly opened: string[];
  /** With strace -ff: the traced threads (the file names' last number), to match fanotify events to. */
  readonly pids: number[];
}

/**
 * With threads, strace splits a call into "name(args <unfinished ...>" and a
 * later "<... name resumed>rest" line of the same pid; joins them so that no
 * call is dropped. A call that never resumed is kept as it began.
 */
export function joinSplitCalls(lines: readonly string[]): string[] {
  const pending = new Map<string, string>();
  const out: string[] = [];
  for (const line of lines) {
    const pid = /^(?:\[pid\s+)?(\d+)\]?\s/.exec(line)?.[1] ?? "";
    const unfinished = /^(.*?)\s*<unfinished \.\.\.>$/.exec(line);
    if (unfinished) {
      pending.set(pid, unfinished[1]!);
      continue;
    }
    const resumed = /<\.\.\. [a-z0-9_]+ resumed>\s?(.*)$/.exec(line);
    if (resumed && pending.has(pid)) {
      out.push(`${pending.get(pid)}${resumed[1]}`);
      pending.delete(pid);
      continue;
    }
    out.push(line);
  }
  return [...out, ...pending.values()];
}

/** Reads the strace output files written for prefix `prefix` (one `prefix.<pid>` per helper run). */
export function readTraces(prefix: string): TraceSummary {
  const dir = dirname(prefix);
  const stem = `${basename(prefix)}.`;
  const files = readdirSync(dir)
    .filter((name) => name.startsWith(stem))
    .map((name) => join(dir, name))
    .sort();
  const lines: string[] = [];
  for (const file of files) lines.push(...joinSplitCalls(readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "")));
  const writes: string[] = [];
  const opened = new Set<string>();
  for (const line of lines) {
    const match = /^(?:\[pid\s+)?\d*\]?\s*([a-z0-9_]+)\((.*)$/.exec(line.replace(/^\d+\s+/, ""));
    if (!match) continue;
    const [, syscall = "", rest = ""] = match;
    if (MUTATING.has(syscall)) writes.push(line);
    else if (OPENS.has(syscall)) {
      if (WRITE_FLAGS.test(rest)) writes.push(line);
      const path = /"((?:[^"\\]|\\.)*)"/.exec(rest)?.[1];
      if (path !== undefined) opened.add(path);
    }
  }
  const pids = files.map((file) => Number(/\.(\d+)$/.exec(file)?.[1])).filter((n) => Number.isInteger(n));
  return { files, lines, writes, opened: [...opened].sort(), pids };
}

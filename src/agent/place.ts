import { lstatSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Env } from "../registries.js";

/**
 * Where the agent's socket lives: $XDG_RUNTIME_DIR/docker-credential-codespaces/,
 * else a per-uid directory under the temp dir. The directory is the only
 * access control (Node cannot read a peer's uid), so before every use it must
 * be a real directory, owned by this user, mode 0700; otherwise there is no
 * agent and the helper mints directly.
 */

const DIR_NAME = "docker-credential-codespaces";

export function socketDir(env: Env): string {
  const runtime = env["XDG_RUNTIME_DIR"];
  // Only an absolute XDG_RUNTIME_DIR counts (the XDG spec's rule).
  if (runtime?.startsWith("/")) return join(runtime, DIR_NAME);
  return join(tmpdir(), `${DIR_NAME}-${process.getuid?.() ?? "unknown"}`);
}

/** The socket path, once its directory is verified (created 0700 if missing); undefined when it is unsafe. */
export function socketPath(env: Env): string | undefined {
  const dir = socketDir(env);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch {
    // There already, or cannot be made: the check below decides.
  }
  return safe(dir) ? join(dir, "agent.sock") : undefined;
}

function safe(dir: string): boolean {
  try {
    const s = lstatSync(dir);
    return s.isDirectory() && s.uid === process.getuid?.() && (s.mode & 0o777) === 0o700;
  } catch {
    return false;
  }
}

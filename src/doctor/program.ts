import { execFile } from "node:child_process";
import { constants } from "node:fs";
import { access, realpath, stat } from "node:fs/promises";
import { delimiter, isAbsolute, join } from "node:path";
import { HELPER_NAME } from "../protocol.js";
import type { Env } from "../registries.js";

/**
 * Whether the `docker-credential-codespaces` docker would run (the first on
 * PATH) is this program: the same file as this executable or npm bin script,
 * or else a program that says the same version line (a wrapper or a copy).
 */
export interface ProgramFinding {
  readonly ok: boolean;
  readonly message: string;
}

const VERSION_MS = 5_000;

export async function checkProgramOnPath(env: Env, versionLine: string): Promise<ProgramFinding> {
  const found = await firstOnPath(env["PATH"] ?? "");
  if (found === undefined) {
    return { ok: false, message: `${HELPER_NAME} is not on PATH, so docker cannot run it; put the directory holding it on PATH` };
  }
  const self = await Promise.all([process.execPath, process.argv[1] ?? ""].map((p) => realpath(p).catch(() => p)));
  const target = await realpath(found).catch(() => found);
  if (self.includes(target)) return { ok: true, message: `docker runs this program (${found})` };
  const said = await versionOf(found, env);
  if (said === versionLine) return { ok: true, message: `docker runs ${found}, which reports this program's version` };
  return {
    ok: false,
    message: `docker runs ${found}, which is not this program (it says ${said === undefined ? "nothing usable to `version`" : JSON.stringify(said)}); fix PATH or replace it`,
  };
}

async function firstOnPath(path: string): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    // docker (Go's exec) refuses a program found through a relative entry, "" (the current folder) included.
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, HELPER_NAME);
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      /* next directory */
    }
  }
  return undefined;
}

function versionOf(file: string, env: Env): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(file, ["version"], { env: { ...env }, timeout: VERSION_MS, maxBuffer: 4096 }, (error, stdout) => {
      const line = String(stdout).trim().replace(/\n[^]*/, "").slice(0, 200);
      resolve(error === null && line ? line : undefined);
    });
  });
}

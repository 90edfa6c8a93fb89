import { execFileSync } from "node:child_process";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { assertPrerequisites, makeTempDir, removeDir, repoRoot } from "./env.js";
import { HELPER_CMD_VAR, HELPER_MAIN_VAR } from "./helper-bin.js";

/**
 * Once per e2e run: fail fast when the machine lacks what the suite drives,
 * then build dist/ so the clients run what `npm i -g` would install — unless
 * CREDENTIAL_HELPER_CMD names another build of the helper (the single
 * executable). The build is copied to a private snapshot for the run, so a
 * concurrent rebuild of dist/ (another test run) cannot pull it from under
 * the clients mid-suite.
 */
export default function setup(): () => void {
  assertPrerequisites();
  if (process.env[HELPER_CMD_VAR] || process.env[HELPER_MAIN_VAR]) return () => {};
  execFileSync(process.execPath, ["build/bundle.mjs"], { cwd: repoRoot, stdio: "inherit" });
  const snapshot = makeTempDir("dist");
  cpSync(join(repoRoot, "dist"), snapshot, { recursive: true });
  process.env[HELPER_MAIN_VAR] = join(snapshot, "main.js");
  return () => {
    delete process.env[HELPER_MAIN_VAR];
    removeDir(snapshot);
  };
}

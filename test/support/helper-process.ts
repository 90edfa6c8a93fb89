import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildIdMarker, sourceHash } from "../../build/source-hash.mjs";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** One way of running the helper: the npm bundle under node, or the single executable. */
export interface HelperTarget {
  readonly name: string;
  readonly command: readonly string[];
}

const seaBinary = `${repoRoot}out/linux-x64/docker-credential-codespaces`;

/**
 * The npm bundle always; the x64 single executable when it has been built.
 * In CI it must have been (the test command builds it), so its absence fails
 * the run instead of quietly testing less.
 */
export function helperTargets(): HelperTarget[] {
  const targets: HelperTarget[] = [{ name: "node dist/main.js", command: [process.execPath, `${repoRoot}dist/main.js`] }];
  if (existsSync(seaBinary)) {
    assertFreshExecutable(seaBinary);
    targets.push({ name: "single executable", command: [seaBinary] });
  }
  else if (process.env["CI"]) throw new Error(`CI run without the single executable at ${seaBinary}: run npm run build first`);
  return targets;
}

/**
 * An executable built from other sources than the checkout's would test old
 * code while the suite reports on the new: refuse it. build/sea.mjs embeds the
 * digest of src/, build/ and package.json.
 */
export function assertFreshExecutable(file: string): void {
  const marker = buildIdMarker(sourceHash(repoRoot));
  if (!readFileSync(file).includes(marker)) {
    throw new Error(`${file} was built from other sources than src/ holds now (no "${marker}"): rebuild with npm run build`);
  }
}

export interface HelperResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Environment every helper run starts from: nothing of the developer's own
 * (no real triples, no AWS profile), and no AWS call can leave loopback.
 */
export function baseEnv(): Record<string, string> {
  return {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: "/nonexistent",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: "/nonexistent/aws-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials",
    // Every get mints, and no agent outlives a test; the agent's own tests turn it on.
    DOCKER_CREDENTIAL_CODESPACES_AGENT: "off",
  };
}

/** Runs the helper with `args`, piping `stdin` (closed after writing) and a bounded wait. */
export function runHelper(
  target: HelperTarget,
  args: readonly string[],
  options: { stdin?: string | Buffer; env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<HelperResult> {
  const [file, ...prefix] = target.command as [string, ...string[]];
  const child = spawn(file, [...prefix, ...args], {
    env: { ...baseEnv(), ...options.env },
    cwd: options.cwd ?? repoRoot,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdin.on("error", () => {}); // the helper may exit before reading (list, version)
  child.stdin.end(options.stdin ?? "");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`helper ${args.join(" ")} did not finish within ${options.timeoutMs ?? 15_000} ms`));
    }, options.timeoutMs ?? 15_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

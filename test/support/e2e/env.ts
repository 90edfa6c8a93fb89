import { accessSync, constants, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (with a trailing slash), computed from this file's place. */
export const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

/** The programs the suite drives; test/setup/install-deps.sh installs them. */
const REQUIRED = ["dockerd", "containerd", "runc", "docker-registry", "skopeo", "htpasswd", "openssl", "strace", "fatrace", "unshare", "nsenter", "ip", "mount", "tinyproxy"];

/** Finds an executable on PATH (plus the sbin directories root has). */
export function which(name: string): string | undefined {
  const dirs = [...(process.env["PATH"] ?? "").split(delimiter), "/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin", "/bin"];
  for (const dir of dirs) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Resolves a required program or throws naming the setup script. */
export function requireProgram(name: string): string {
  const found = which(name);
  if (found === undefined) throw new Error(`e2e: ${name} not found; run test/setup/install-deps.sh (as root)`);
  return found;
}

/** The docker CLI under test: $E2E_DOCKER_CLI, else the first `docker` on PATH. */
export function dockerCli(): string {
  return process.env["E2E_DOCKER_CLI"] || requireProgram("docker");
}

/**
 * Why the suite cannot run on this machine, or undefined when it can. The
 * suite needs root (dockerd, mount namespaces, a registry on port 443).
 */
export function missingPrerequisites(): string | undefined {
  if (process.getuid?.() !== 0) return "the e2e suite needs root (dockerd, unshare --mount, port 443)";
  const missing = REQUIRED.filter((name) => which(name) === undefined);
  if (which("docker") === undefined && !process.env["E2E_DOCKER_CLI"]) missing.push("docker");
  if (missing.length > 0) return `missing ${missing.join(", ")}: run test/setup/install-deps.sh`;
  if (!existsSync("/etc/docker")) return "/etc/docker is missing (dockerd's mount point): run test/setup/install-deps.sh";
  return undefined;
}

export function assertPrerequisites(): void {
  const reason = missingPrerequisites();
  if (reason !== undefined) throw new Error(`e2e: ${reason}`);
}

/** A fresh private temp dir; remember to remove it (see `removeDir`). */
export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `dcc-e2e-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * The environment every real client (docker CLI, skopeo) runs with: built
 * from scratch, never from process.env, so no real `*_CONTAINER_REGISTRY_*`
 * triple or AWS identity of the developer reaches the helper, and nothing the
 * helper might do can leave loopback (no metadata service, no AWS profile).
 */
export function clientBaseEnv(home: string, helperBin: string): Record<string, string> {
  return {
    PATH: [helperBin, process.env["PATH"] ?? "", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"].filter(Boolean).join(delimiter),
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_RUNTIME_DIR: join(home, "run"),
    LANG: "C.UTF-8",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: join(home, "no-aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(home, "no-aws-credentials"),
    DOCKER_CLI_HINTS: "false",
    NO_PROXY: "*",
    // No token agent outlives the suite (test/cli/agent.test.ts covers it).
    DOCKER_CREDENTIAL_CODESPACES_AGENT: "off",
  };
}

/** Per-test and per-hook bounds, set in each file so it runs under any vitest config. */
export const TEST_TIMEOUT_MS = 120_000;
export const HOOK_TIMEOUT_MS = 180_000;

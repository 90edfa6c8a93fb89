import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Dockerd } from "./dockerd.js";
import { clientBaseEnv, dockerCli, makeTempDir, removeDir, requireProgram } from "./env.js";
import { HELPER_CMD_VAR, type HelperBin } from "./helper-bin.js";
import { run, runOk, type RunOptions, type RunResult } from "./process.js";
import { triple } from "../triple.js";

export interface Login {
  readonly user: string;
  readonly password: string;
}

/** The registry users the scenarios log in as. */
export const ALICE: Login = { user: "alice", password: "alice-Pa55word-e2e" };
export const BOB: Login = { user: "bob", password: "bob-Pa55word-e2e" };

export interface ClientRunOptions extends Omit<RunOptions, "env"> {
  /** Extra environment (registry triples, AWS endpoint, tracing) on top of the client's own. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * One docker CLI user: a private HOME and DOCKER_CONFIG, talking to the
 * harness's dockerd only, with the helper wrapper first on PATH.
 */
export interface DockerClient {
  readonly home: string;
  readonly configDir: string;
  readonly configPath: string;
  env(extra?: Readonly<Record<string, string>>): Record<string, string>;
  docker(args: readonly string[], options?: ClientRunOptions): Promise<RunResult>;
  skopeo(args: readonly string[], options?: ClientRunOptions): Promise<RunResult>;
  writeConfig(config: unknown): void;
  readConfig(): unknown;
  /** `docker image inspect` succeeds for `ref` and names it in RepoTags. */
  imagePresent(ref: string): Promise<boolean>;
  /** Removes `ref` locally if present (so a later pull really pulls). */
  removeImage(ref: string): Promise<void>;
  cleanup(): void;
}

export function dockerClient(dockerd: Dockerd, helperBin: HelperBin | undefined, name = "client"): DockerClient {
  const home = makeTempDir(name);
  const configDir = join(home, ".docker");
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  mkdirSync(join(home, "run"), { recursive: true, mode: 0o700 });
  const configPath = join(configDir, "config.json");
  const env = (extra: Readonly<Record<string, string>> = {}): Record<string, string> => {
    const base = clientBaseEnv(home, helperBin?.dir ?? "");
    const passThrough = process.env[HELPER_CMD_VAR];
    return {
      ...base,
      ...(passThrough ? { [HELPER_CMD_VAR]: passThrough } : {}),
      DOCKER_HOST: dockerd.dockerHost,
      DOCKER_CONFIG: configDir,
      ...extra,
    };
  };
  const client: DockerClient = {
    home,
    configDir,
    configPath,
    env,
    docker: (args, options = {}) => run(dockerCli(), args, { timeoutMs: 120_000, ...options, env: env(options.env) }),
    skopeo: (args, options = {}) => run(requireProgram("skopeo"), args, { timeoutMs: 60_000, ...options, env: env(options.env) }),
    writeConfig: (config) => writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 }),
    readConfig: () => JSON.parse(readFileSync(configPath, "utf8")) as unknown,
    imagePresent: async (ref) => {
      const result = await client.docker(["image", "inspect", "--format", "{{json .RepoTags}}", ref]);
      if (result.code !== 0) return false;
      const tags = JSON.parse(result.stdout.trim()) as string[];
      return tags.includes(ref);
    },
    removeImage: async (ref) => {
      await client.docker(["image", "rm", "--force", ref]);
    },
    cleanup: () => removeDir(home),
  };
  return client;
}

/** Plaintext `auths` entry, as `docker login` writes without a helper. */
export function plaintextAuth(user: string, password: string): { auth: string } {
  return { auth: Buffer.from(`${user}:${password}`).toString("base64") };
}

/**
 * Puts a tiny image at `ref` (host/repo:tag) into the registry: imports a
 * tarball holding one small file with `docker import` (nothing is
 * downloaded), pushes it with a throwaway DOCKER_CONFIG holding plaintext
 * `auths` (no helper involved), then removes it locally.
 */
export async function seedImage(dockerd: Dockerd, ref: string, login?: Login): Promise<void> {
  const pusher = dockerClient(dockerd, undefined, "pusher");
  try {
    const registryHost = ref.slice(0, ref.indexOf("/"));
    pusher.writeConfig(login ? { auths: { [registryHost]: plaintextAuth(login.user, login.password) } } : {});
    const contextDir = join(pusher.home, "rootfs");
    mkdirSync(contextDir);
    writeFileSync(join(contextDir, "hello.txt"), `hello from ${ref}\n`);
    const tarball = join(pusher.home, "rootfs.tar");
    await runOk(requireProgram("tar"), ["-C", contextDir, "-cf", tarball, "hello.txt"]);
    const imported = await pusher.docker(["import", "--message", "e2e seed", tarball, ref]);
    if (imported.code !== 0) throw new Error(`docker import ${ref}: ${imported.stderr}`);
    const pushed = await pusher.docker(["push", ref]);
    if (pushed.code !== 0) throw new Error(`docker push ${ref}: ${pushed.stdout}\n${pushed.stderr}`);
    await pusher.removeImage(ref);
  } finally {
    pusher.cleanup();
  }
}

/** The `<ID>_CONTAINER_REGISTRY_{SERVER,USER,PASSWORD}` variables Codespaces sets for one registry. */
export function registryTriple(id: string, server: string, login: Login): Record<string, string> {
  return triple(id, server, login.user, login.password);
}

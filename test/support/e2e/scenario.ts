import { afterAll, beforeAll } from "vitest";
import { dockerClient, seedImage, type DockerClient, type Login } from "./clients.js";
import { startDockerd, type Dockerd, type DockerdOptions } from "./dockerd.js";
import { assertPrerequisites, HOOK_TIMEOUT_MS, makeTempDir, removeDir } from "./env.js";
import { createHelperBin, type HelperBin } from "./helper-bin.js";
import { startRegistry, type Registry, type RegistryOptions } from "./registry.js";

/** Anything started for a file that must be shut down after it: daemons, servers. */
export type Resource = { stop(): Promise<void> } | { close(): Promise<void> };

/** One test file's environment: its own dockerd, helper wrapper, registries and clients. */
export interface E2e {
  readonly dockerd: Dockerd;
  readonly helper: HelperBin;
  /** A docker CLI user with the helper on PATH; its home is removed after the file. */
  newClient(name: string): DockerClient;
  /** Registers `resource` to be stopped after the file; returns it. */
  own<T extends Resource>(resource: T): T;
  /** A registry owned by this file (see `own`). */
  startRegistry(options?: RegistryOptions): Promise<Registry>;
  /** Pushes a tiny image to `ref` through this file's dockerd. */
  seedImage(ref: string, login?: Login): Promise<void>;
  /** A temp dir removed after the file (once everything owned has stopped). */
  tempDir(prefix: string): string;
}

export interface E2eOptions {
  readonly dockerd?: DockerdOptions;
  /** Runs in beforeAll once dockerd is up (through the returned E2e): start registries, seed images. */
  readonly setup?: () => Promise<void>;
}

/**
 * Registers the beforeAll/afterAll hooks of an e2e file. Every resource is
 * owned as soon as it has started, so afterAll stops whatever did start even
 * when setup failed halfway; it stops them all (each by PID, with bounded
 * waits in their stop()), then removes dirs, and throws every failure at once.
 */
export function useE2e(options: E2eOptions = {}): E2e {
  let dockerd: Dockerd | undefined;
  let helper: HelperBin | undefined;
  const resources: Resource[] = [];
  const dirs: string[] = [];
  const clients: DockerClient[] = [];

  const started = <T>(what: string, value: T | undefined): T => {
    if (value === undefined) throw new Error(`e2e: ${what} is not started (use it inside a test or setup)`);
    return value;
  };
  const e2e: E2e = {
    get dockerd() {
      return started("dockerd", dockerd);
    },
    get helper() {
      return started("helper bin", helper);
    },
    newClient: (name) => {
      const client = dockerClient(e2e.dockerd, e2e.helper, name);
      clients.push(client);
      return client;
    },
    own: (resource) => {
      resources.push(resource);
      return resource;
    },
    startRegistry: async (registryOptions) => e2e.own(await startRegistry(registryOptions)),
    seedImage: (ref, login) => seedImage(e2e.dockerd, ref, login),
    tempDir: (prefix) => {
      const dir = makeTempDir(prefix);
      dirs.push(dir);
      return dir;
    },
  };

  beforeAll(async () => {
    assertPrerequisites();
    helper = createHelperBin();
    dockerd = e2e.own(await startDockerd(options.dockerd));
    await options.setup?.();
  }, HOOK_TIMEOUT_MS);

  afterAll(async () => {
    const failures: unknown[] = [];
    const attempt = (cleanup: () => void) => {
      try {
        cleanup();
      } catch (error) {
        failures.push(error);
      }
    };
    for (const client of clients) attempt(() => client.cleanup());
    const stops = await Promise.allSettled(resources.map((r) => ("stop" in r ? r.stop() : r.close())));
    for (const result of stops) if (result.status === "rejected") failures.push(result.reason);
    attempt(() => helper?.remove());
    for (const dir of dirs) attempt(() => removeDir(dir));
    if (failures.length > 0) throw new Error(failures.map(String).join("\n"));
  }, HOOK_TIMEOUT_MS);

  return e2e;
}

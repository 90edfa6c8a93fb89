import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import * as z from "zod/mini";
import { authEntry, helperMap, nullableMap } from "../docker-config-shape.js";
import { irregularKind } from "../file-kind.js";
import type { Env } from "../registries.js";

/**
 * The client configuration `doctor` reads, read-only: docker's config.json,
 * the containers auth.json files podman and skopeo read, DOCKER_AUTH_CONFIG
 * and dockerd's daemon.json. Only the fields that route credentials are
 * validated; the rest of each file is ignored.
 */

const clientConfig = z.looseObject({
  credHelpers: helperMap,
  credsStore: z.optional(z.nullable(z.string())),
  auths: nullableMap(authEntry),
});
export type ClientConfig = z.infer<typeof clientConfig>;

const daemonConfig = z.looseObject({ "insecure-registries": z.optional(z.array(z.string())) });

export type Loaded<T> =
  | { readonly state: "missing"; readonly path: string }
  | { readonly state: "invalid"; readonly path: string; readonly reason: string }
  | { readonly state: "ok"; readonly path: string; readonly config: T };

export interface ClientFiles {
  readonly docker: Loaded<ClientConfig>;
  /** Set when DOCKER_AUTH_CONFIG is (its "path" is the variable's name). */
  readonly dockerAuthConfig?: Loaded<ClientConfig>;
  /** The containers auth.json files in the order podman and skopeo search them. */
  readonly containers: readonly Loaded<ClientConfig>[];
  /** Whether $REGISTRY_AUTH_FILE chose the one containers file (no fallback to docker's then). */
  readonly containersExplicit: boolean;
  /** dockerd's insecure-registries, when daemon.json is readable. */
  readonly insecureRegistries: readonly string[];
}

/** `daemonJson` is a parameter for the tests only: doctor reads dockerd's file. */
export async function readClientFiles(env: Env, daemonJson = "/etc/docker/daemon.json"): Promise<ClientFiles> {
  const home = env["HOME"] || homedir();
  const dockerDir = env["DOCKER_CONFIG"] || join(home, ".docker");
  const explicit = env["REGISTRY_AUTH_FILE"] || undefined;
  const containersPaths =
    explicit !== undefined
      ? [explicit]
      : [
          ...(env["XDG_RUNTIME_DIR"] ? [join(env["XDG_RUNTIME_DIR"], "containers", "auth.json")] : []),
          join(env["XDG_CONFIG_HOME"] || join(home, ".config"), "containers", "auth.json"),
        ];
  const [docker, containers, daemon] = await Promise.all([
    load(join(dockerDir, "config.json"), clientConfig),
    Promise.all(containersPaths.map((p) => load(p, clientConfig))),
    load(daemonJson, daemonConfig),
  ]);
  const variable = env["DOCKER_AUTH_CONFIG"];
  return {
    docker,
    ...(variable ? { dockerAuthConfig: parse("DOCKER_AUTH_CONFIG", variable, clientConfig) } : {}),
    containers: containers.filter((c) => c.state !== "missing"),
    containersExplicit: explicit !== undefined,
    insecureRegistries: daemon.state === "ok" ? (daemon.config["insecure-registries"] ?? []) : [],
  };
}

async function load<T>(path: string, schema: z.ZodMiniType<T>): Promise<Loaded<T>> {
  let text: string;
  let handle: FileHandle | undefined;
  try {
    // Non-blocking, and only a regular file is read: a FIFO would hang doctor, /dev/zero would fill memory.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const kind = irregularKind(await handle.stat());
    if (kind !== undefined) return { state: "invalid", path, reason: `is ${kind}, not a config file` };
    text = await handle.readFile("utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR" ? { state: "missing", path } : { state: "invalid", path, reason: `cannot be read (${code ?? "error"})` };
  } finally {
    await handle?.close();
  }
  return text.trim() === "" ? { state: "missing", path } : parse(path, text, schema);
}

function parse<T>(path: string, text: string, schema: z.ZodMiniType<T>): Loaded<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { state: "invalid", path, reason: "is not valid JSON" };
  }
  const parsed = schema.safeParse(json);
  return parsed.success
    ? { state: "ok", path, config: parsed.data }
    : { state: "invalid", path, reason: "is not a configuration docker understands (credHelpers, credsStore or auths has the wrong type)" };
}

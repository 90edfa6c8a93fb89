import { dockerConfigName, normaliseServer } from "../server-url.js";
import type { ClientConfig, ClientFiles } from "./files.js";
import { fail, pass, type Check } from "./report.js";

/**
 * Whether the clients would ask this helper for a registry, and what they
 * would use instead. docker matches credHelpers by the exact name it looks
 * up (`host[:port]`, Docker Hub as its v1 URL) and auths by host after
 * stripping scheme and path; podman and skopeo ignore credsStore.
 */

export const HELPER_SUFFIX = "codespaces";

export function dockerRouting(key: string, files: ClientFiles): Check {
  const CONFIGURE = "run `docker-credential-codespaces configure`";
  const name = dockerConfigName(key);
  const variable = files.dockerAuthConfig;
  if (variable?.state === "ok" && plaintextEntry(variable.config, key) !== undefined) {
    return fail(
      "routing",
      `the DOCKER_AUTH_CONFIG variable holds credentials for ${name}; docker CLI 28.3 and later use them instead of this helper (a plaintext copy in the environment): unset it`,
    );
  }
  const file = files.docker;
  if (file.state === "invalid") return fail("routing", `${file.path} ${file.reason}; docker cannot route ${name} to this helper`);
  if (file.state === "missing") return fail("routing", `${file.path} does not exist, so docker never asks this helper for ${name}; ${CONFIGURE}`);
  const config = file.config;
  const copy = plaintextEntry(config, key);
  const warning = copy === undefined ? "" : `; warning: a plaintext copy of the secret still sits in auths["${copy}"] of ${file.path} (${CONFIGURE} to remove it)`;

  const helper = config.credHelpers?.[name];
  if (helper === HELPER_SUFFIX) return pass("routing", `docker asks this helper: credHelpers["${name}"] in ${file.path}${warning}`);
  if (helper !== undefined) {
    return fail("routing", `docker asks docker-credential-${helper} for ${name} (credHelpers["${name}"] in ${file.path}), not this helper; ${CONFIGURE}`);
  }
  const near = Object.keys(config.credHelpers ?? {}).find((k) => sameRegistry(k, key));
  const nearNote = near === undefined ? "" : ` (credHelpers["${near}"] does not count: docker looks up exactly "${name}")`;
  const store = config.credsStore;
  if (store === HELPER_SUFFIX) {
    return pass("routing", `docker asks this helper through credsStore in ${file.path} (credHelpers is better: with credsStore, docker login to other registries fails)${warning}`);
  }
  if (store) {
    const vscode = store.startsWith("dev-containers-") ? " (VS Code's forwarder to the credentials of your local machine)" : "";
    return fail("routing", `docker asks credsStore "${store}"${vscode} for ${name}, not this helper${nearNote}; ${CONFIGURE}`);
  }
  if (copy !== undefined) {
    return fail("routing", `docker uses the plaintext copy in auths["${copy}"] of ${file.path} for ${name}, not this helper${nearNote}; ${CONFIGURE}`);
  }
  return fail("routing", `nothing in ${file.path} routes ${name} to this helper, so docker pulls anonymously${nearNote}; ${CONFIGURE}`);
}

/** podman, skopeo and buildah: the first containers auth.json with an entry wins; credsStore never counts. */
export function containersRouting(key: string, files: ClientFiles, docker: Check): Check | undefined {
  if (files.containers.length === 0) return undefined;
  const name = "containers routing";
  const fix = "run `docker-credential-codespaces configure` --containers-auth";
  for (const file of files.containers) {
    if (file.state === "invalid") return fail(name, `${file.path} ${file.reason}; podman and skopeo cannot read it`);
    if (file.state !== "ok") continue;
    const helper = file.config.credHelpers?.[key];
    if (helper === HELPER_SUFFIX) return pass(name, `podman and skopeo ask this helper: credHelpers["${key}"] in ${file.path}`);
    if (helper !== undefined) return fail(name, `podman and skopeo ask docker-credential-${helper} for ${key} (credHelpers in ${file.path}), not this helper; ${fix}`);
    const copy = plaintextEntry(file.config, key);
    if (copy !== undefined) {
      return fail(name, `podman and skopeo use the plaintext copy in auths["${copy}"] of ${file.path}, not this helper; ${fix}`);
    }
  }
  const searched = files.containers.map((f) => f.path).join(", ");
  if (files.containersExplicit) return fail(name, `nothing in ${searched} ($REGISTRY_AUTH_FILE) routes ${key} to this helper for podman and skopeo; ${fix}`);
  const viaHelpers = files.docker.state === "ok" && files.docker.config.credHelpers?.[dockerConfigName(key)] === HELPER_SUFFIX;
  return viaHelpers && docker.ok
    ? pass(name, `podman and skopeo find no entry in ${searched} and use credHelpers of ${files.docker.path}`)
    : fail(name, `podman and skopeo find no entry in ${searched} and fall back to ${files.docker.path}, where only credHelpers counts (they ignore credsStore); ${fix}`);
}

/** The auths name holding a usable plaintext login for `key`, if any. */
function plaintextEntry(config: ClientConfig, key: string): string | undefined {
  return Object.entries(config.auths ?? {}).find(
    ([name, entry]) => sameRegistry(name, key) && [entry.auth, entry.password, entry.identitytoken, entry.registrytoken].some((v) => v !== undefined && v !== ""),
  )?.[0];
}

function sameRegistry(name: string, key: string): boolean {
  try {
    return normaliseServer(name) === key;
  } catch {
    return false;
  }
}

import { homedir } from "node:os";
import { join } from "node:path";
import type { Io } from "./cli.js";
import { editConfigFile, type ConfigChange } from "./docker-config.js";
import { HelperError } from "./errors.js";
import type { RegistryTable } from "./registries.js";
import { listedRegistries } from "./registries.js";
import { dockerConfigName } from "./server-url.js";

/** The suffix docker appends to `docker-credential-` to find this helper. */
const HELPER_SUFFIX = "codespaces";
const CONTAINERS_AUTH = "--containers-auth";

interface Options {
  readonly dryRun: boolean;
  /** Path of the containers auth.json to edit too, if asked for. */
  readonly containersAuth?: string;
}

/**
 * `configure`: routes every registry configured in the environment to this
 * helper in docker's config.json (and, on request, in the containers
 * auth.json that podman, skopeo and buildah read), dropping the plaintext
 * copies of those secrets that Codespaces wrote there.
 */
export async function configure(io: Io, table: RegistryTable): Promise<void> {
  const options = parseOptions(io);
  const registries = listedRegistries(table);
  if (registries.length === 0) {
    throw new HelperError(
      "no <ID>_CONTAINER_REGISTRY_SERVER/_USER/_PASSWORD triple is set in this environment; nothing to configure",
    );
  }
  const served = new Set(registries.map((r) => r.key));
  const home = io.env["HOME"] ?? homedir();
  const dockerDir = io.env["DOCKER_CONFIG"] ?? join(home, ".docker");
  const results: ConfigChange[] = [
    await editConfigFile(
      join(dockerDir, "config.json"),
      { helpers: new Map(registries.map((r) => [dockerConfigName(r.key), HELPER_SUFFIX])), served },
      options.dryRun,
    ),
  ];
  if (options.containersAuth !== undefined) {
    // containers-auth.json(5) names Docker Hub "docker.io", which is our key.
    results.push(
      await editConfigFile(
        options.containersAuth,
        { helpers: new Map(registries.map((r) => [r.key, HELPER_SUFFIX])), served },
        options.dryRun,
      ),
    );
  }
  for (const { path, changes } of results) {
    if (changes.length === 0) io.stdout(`${path}: already configured, nothing to change\n`);
    for (const change of changes) io.stdout(`${path}: ${options.dryRun ? "(dry run, not written) " : ""}${change}\n`);
  }
}

function parseOptions(io: Io): Options {
  let dryRun = false;
  let containersAuth: string | undefined;
  for (const arg of io.argv) {
    if (arg === "--dry-run") dryRun = true;
    else if (arg === CONTAINERS_AUTH) containersAuth = defaultContainersAuth(io);
    else if (arg.startsWith(`${CONTAINERS_AUTH}=`) && arg.length > CONTAINERS_AUTH.length + 1) {
      containersAuth = arg.slice(CONTAINERS_AUTH.length + 1);
    } else {
      throw new HelperError(`configure: unknown option ${JSON.stringify(arg)}; use --dry-run and/or ${CONTAINERS_AUTH}[=PATH]`);
    }
  }
  return containersAuth === undefined ? { dryRun } : { dryRun, containersAuth };
}

/** The auth file podman and skopeo read that survives a restart: $REGISTRY_AUTH_FILE, else ~/.config/containers/auth.json. */
function defaultContainersAuth(io: Io): string {
  const explicit = io.env["REGISTRY_AUTH_FILE"];
  if (explicit !== undefined && explicit !== "") return explicit;
  const configHome = io.env["XDG_CONFIG_HOME"] || join(io.env["HOME"] ?? homedir(), ".config");
  return join(configHome, "containers", "auth.json");
}

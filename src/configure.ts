import { userInfo } from "node:os";
import { join } from "node:path";
import type { Io } from "./cli.js";
import { CONFIGURE_HELP } from "./configure-help.js";
import type { Credentials } from "./credentials.js";
import { planConfigEdit, writeConfigPlan, type ConfigEdit } from "./docker-config.js";
import { HelperError } from "./errors.js";
import type { Env, RegistryTable } from "./registries.js";
import { listedRegistries, lookupRegistry } from "./registries.js";
import { dockerConfigName } from "./server-url.js";

/** The suffix docker appends to `docker-credential-` to find this helper. */
const HELPER_SUFFIX = "codespaces";
const CONTAINERS_AUTH = "--containers-auth";

interface Options {
  readonly dryRun: boolean;
  readonly remove: boolean;
  /** Path of the containers auth.json to edit too, if asked for. */
  readonly containersAuth?: string;
}

/**
 * `configure`: routes every registry configured in the environment to this
 * helper in docker's config.json (and, on request, in the containers
 * auth.json that podman, skopeo and buildah read), dropping the plaintext
 * copies of those secrets that Codespaces wrote there. `--remove` undoes the
 * routing: every credHelpers entry naming this helper goes, whatever the
 * environment holds now, since the triples may be gone by then.
 */
export async function configure(io: Io, table: RegistryTable): Promise<void> {
  if (io.argv.some((arg) => arg === "--help" || arg === "-h")) {
    io.stdout(`${CONFIGURE_HELP}\n`);
    return;
  }
  const options = parseOptions(io);
  const [docker, containers] = options.remove
    ? [{ kind: "remove", helper: HELPER_SUFFIX } as const, { kind: "remove", helper: HELPER_SUFFIX } as const]
    : addEdits(io, table);
  // Both files are read and checked before either is written: a refusal leaves both as they were.
  const plans = [await planConfigEdit(join(dockerConfigDir(io.env), "config.json"), docker)];
  if (options.containersAuth !== undefined) plans.push(await planConfigEdit(options.containersAuth, containers));

  for (const plan of plans) {
    if (!options.dryRun) await writeConfigPlan(plan);
    const { path, changes, notes } = plan;
    if (changes.length === 0) io.stdout(`${path}: already ${options.remove ? "without this helper" : "configured"}, nothing to change\n`);
    for (const change of changes) io.stdout(`${path}: ${options.dryRun ? "(dry run, not written) " : ""}${change}\n`);
    for (const note of notes) io.stdout(`${path}: ${note}\n`);
  }
  if (options.remove) io.stdout("plaintext auths entries that configure removed earlier are not restored; docker login again where needed\n");
}

/** The config.json edit and the containers auth.json edit for the registries the environment serves. */
function addEdits(io: Io, table: RegistryTable): [ConfigEdit, ConfigEdit] {
  const registries = listedRegistries(table);
  const why = skipped(table);
  if (registries.length === 0) {
    throw new HelperError(
      why.length > 0
        ? `nothing to configure: ${why.join("; ")}`
        : "no <ID>_CONTAINER_REGISTRY_SERVER/_USER/_PASSWORD triple is set in this environment; nothing to configure",
    );
  }
  for (const line of why) io.stdout(`${line}\n`);
  const served = new Map<string, Credentials>(registries.map((r) => [r.key, { username: r.user, secret: r.password }]));
  return [
    { kind: "add", helpers: new Map(registries.map((r) => [dockerConfigName(r.key), HELPER_SUFFIX])), served },
    // containers-auth.json(5) names Docker Hub "docker.io", which is our key.
    { kind: "add", helpers: new Map(registries.map((r) => [r.key, HELPER_SUFFIX])), served },
  ];
}

/** Why each registry the environment names is not configured: two triples disagree, or its triple lacks a part. */
function skipped(table: RegistryTable): string[] {
  const complete = new Set(table.complete.map((r) => r.key));
  const conflicts = [...complete].flatMap((key) => {
    try {
      lookupRegistry(table, key);
      return [];
    } catch (error) {
      return [`${key} skipped: ${(error as Error).message}`];
    }
  });
  const incomplete = table.incomplete
    .filter((r) => !complete.has(r.key))
    .map((r) => `${r.key} skipped: ${r.missing.join(" and ")} missing or empty`);
  return [...conflicts, ...incomplete];
}

function parseOptions(io: Io): Options {
  let dryRun = false;
  let remove = false;
  let containersAuth: string | undefined;
  for (const arg of io.argv) {
    if (arg === "--dry-run") dryRun = true;
    else if (arg === "--remove") remove = true;
    else if (arg === CONTAINERS_AUTH) containersAuth = defaultContainersAuth(io.env);
    else if (arg.startsWith(`${CONTAINERS_AUTH}=`) && arg.length > CONTAINERS_AUTH.length + 1) {
      containersAuth = arg.slice(CONTAINERS_AUTH.length + 1);
    } else {
      throw new HelperError(
        `configure: unknown option ${JSON.stringify(arg)}; use --dry-run, --remove and/or ${CONTAINERS_AUTH}[=PATH] (see configure --help)`,
      );
    }
  }
  return containersAuth === undefined ? { dryRun, remove } : { dryRun, remove, containersAuth };
}

// As docker and podman read them, an empty variable is an unset one.
const variable = (env: Env, name: string) => env[name] || undefined;

/** The user's home: $HOME, else the password database (as docker does), never the current folder. */
function homeDir(env: Env): string {
  const home = variable(env, "HOME") ?? passwdHome();
  if (home === undefined) throw new HelperError("HOME is not set and this user has no home folder; set DOCKER_CONFIG and run again");
  return home;
}

function passwdHome(): string | undefined {
  try {
    return userInfo().homedir || undefined;
  } catch {
    return undefined; // no entry for this uid
  }
}

/** Docker's config folder: $DOCKER_CONFIG, else ~/.docker. */
function dockerConfigDir(env: Env): string {
  return variable(env, "DOCKER_CONFIG") ?? join(homeDir(env), ".docker");
}

/** The auth file podman and skopeo read that survives a restart: $REGISTRY_AUTH_FILE, else ~/.config/containers/auth.json. */
function defaultContainersAuth(env: Env): string {
  return variable(env, "REGISTRY_AUTH_FILE") ?? join(variable(env, "XDG_CONFIG_HOME") ?? join(homeDir(env), ".config"), "containers", "auth.json");
}

import { createDebug, type Debug } from "./debug.js";
import { parseEcrHost } from "./ecr/host.js";
import { HelperError, NotFoundError } from "./errors.js";
import { formatGet, formatList, HELPER_NAME, parseServerRequest, parseStoreRequest, USAGE } from "./protocol.js";
import type { Env, RegistryTable } from "./registries.js";
import { createRedactor } from "./redact.js";
import { environmentSecrets, incompleteMessage, listedRegistries, lookupRegistry, readRegistries } from "./registries.js";
import { resolveCredentials } from "./resolve.js";
import { dockerConfigName, normaliseServer } from "./server-url.js";
import { readInput } from "./stdin.js";

declare const PACKAGE_VERSION: string;

/** Everything the CLI touches of the outside world, so tests can drive it in-process too. */
export interface Io {
  readonly argv: readonly string[];
  readonly env: Env;
  readonly stdin: AsyncIterable<Uint8Array>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

interface Context {
  readonly io: Io;
  readonly table: RegistryTable;
  readonly debug: Debug;
}

const VERSION_LINE = `${HELPER_NAME} (${HELPER_NAME}) ${PACKAGE_VERSION}`;

/** A verb returns its exit code when it is not simply 0 (doctor's verdict). */
const verbs: Record<string, (ctx: Context) => Promise<number | void>> = {
  get: async ({ io, table, debug }) => {
    const server = parseServerRequest(await readInput(io.stdin));
    const key = normaliseServer(server);
    debug(`get ${JSON.stringify(server)} -> registry ${key}`);
    const credentials = await resolveCredentials(key, table, io.env);
    io.stdout(`${formatGet(server, credentials)}\n`);
  },
  store: async ({ io, table }) => {
    const request = parseStoreRequest(await readInput(io.stdin));
    const key = normaliseServer(request.serverURL);
    const managed = managedBy(table, key);
    if (managed === undefined) {
      throw new HelperError(
        `nothing stored: this helper stores nothing and ${key} is not configured by a <ID>_CONTAINER_REGISTRY_* triple; ` +
          `route it to another store with a "credHelpers" entry for it in ~/.docker/config.json`,
      );
    }
    const found = lookupRegistry(table, key);
    if (found.kind === "incomplete") throw new HelperError(incompleteMessage(found.registry));
    const same =
      found.kind === "configured" &&
      found.registry.user === request.username &&
      found.registry.password === request.secret;
    if (!same) {
      io.stderr(
        `${HELPER_NAME}: nothing stored; ${key} is configured by ${managed}_CONTAINER_REGISTRY_* and ` +
          "the environment's credentials stay in force\n",
      );
    }
  },
  erase: async ({ io, table }) => {
    const key = normaliseServer(parseServerRequest(await readInput(io.stdin)));
    const managed = managedBy(table, key);
    if (managed === undefined) throw new NotFoundError();
    io.stderr(
      `${HELPER_NAME}: nothing erased; ${key} is configured by ${managed}_CONTAINER_REGISTRY_* and ` +
        "stays available while those variables are set\n",
    );
  },
  list: async ({ io, table }) => {
    // An ECR triple's USER is an access key id; the registry login it yields is "AWS".
    const entries = listedRegistries(table).map(
      (r) => [dockerConfigName(r.key), parseEcrHost(r.key) === undefined ? r.user : "AWS"] as const,
    );
    io.stdout(`${formatList(entries)}\n`);
  },
  version: async ({ io }) => {
    io.stdout(`${VERSION_LINE}\n`);
  },
  configure: async ({ io, table }) => {
    const { configure } = await import("./configure.js");
    await configure(io, table);
  },
  doctor: async ({ io, table }) => (await import("./doctor/index.js")).doctor(io, table, VERSION_LINE),
  agent: async ({ io }) => {
    const { agentCommand } = await import("./agent/index.js");
    await agentCommand(io);
  },
};

/** The ID of the triple (complete or not) that names `key`, if any. */
function managedBy(table: RegistryTable, key: string): string | undefined {
  return [...table.complete, ...table.incomplete].find((r) => r.key === key)?.id;
}

/**
 * Runs one helper invocation; returns the exit code. Every failure is one line
 * on stdout; every failure but not-found also on stderr. Everything but the
 * answer itself passes the redactor on its way out.
 */
export async function run(io: Io): Promise<number> {
  const [verb, ...rest] = io.argv;
  if (verb === "-v" || verb === "--version") {
    io.stdout(`${VERSION_LINE}\n`);
    return 0;
  }
  const redact = createRedactor(environmentSecrets(io.env));
  const stderr = (text: string) => io.stderr(redact(text));
  const fail = (line: string) => {
    io.stdout(`${redact(line)}\n`);
    // docker pull drops a helper's failure and goes anonymous, showing only its
    // stderr: a real failure must be said there too, or the user never sees why.
    stderr(`${HELPER_NAME}: ${line}\n`);
  };
  const debug = createDebug(io.env, stderr);
  const name = verb ?? "(no action)";
  try {
    if (verb === undefined) throw new HelperError(USAGE);
    if (verb === "-h" || verb === "--help" || verb === "help") {
      const { helpText } = await import("./help.js");
      const text = helpText(rest[0]);
      if (text === undefined) throw new HelperError(`no help for ${JSON.stringify(rest[0])}; see --help`);
      io.stdout(`${text}\n`);
      return 0;
    }
    const action = Object.hasOwn(verbs, verb) ? verbs[verb] : undefined;
    if (action === undefined) throw new HelperError(`unknown action ${JSON.stringify(verb)}; see --help`);
    const table = readRegistries(io.env);
    for (const { id, reason } of table.ignored) debug(`${id}_CONTAINER_REGISTRY_* ignored: ${reason}`);
    if (verb !== "configure" && verb !== "doctor" && verb !== "agent" && rest.length > 0) throw new HelperError(`${verb} takes no arguments; see --help`);
    return (await action({ io: { ...io, argv: rest, stderr }, table, debug })) ?? 0;
  } catch (error) {
    if (error instanceof HelperError) {
      debug(`${name} failed: ${error.message}`);
      // The not-found sentinel is a fixed text the client compares: never redacted, never on stderr.
      if (error instanceof NotFoundError) io.stdout(`${error.message}\n`);
      else fail(error.message);
    } else {
      debug(`${name} failed unexpectedly: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      fail(`internal error in ${name}; run again with DOCKER_CREDENTIAL_CODESPACES_DEBUG=1 for details`);
    }
    return 1;
  }
}

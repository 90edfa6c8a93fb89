import type { Io } from "../cli.js";
import { HelperError } from "../errors.js";
import { helpText } from "../help.js";
import { createAgents, type Agents } from "../net/agents.js";
import { HELPER_NAME } from "../protocol.js";
import { environmentSecrets, type RegistryTable } from "../registries.js";
import { DOCKER_HUB_KEY } from "../server-url.js";
import { credentialsFor } from "./credentials.js";
import { readClientFiles, type ClientFiles } from "./files.js";
import { checkProgramOnPath } from "./program.js";
import { checkRegistry, isFine } from "./registry/check.js";
import { dockerTreatsAsInsecure } from "./registry/insecure.js";
import { makeReport, pass, fail, registryReport, renderJson, renderLines, type Check, type RegistryReport } from "./report.js";
import { containersRouting, dockerRouting } from "./routing.js";
import { subjectsOf, type Subject } from "./subjects.js";

/** Bound of one registry's whole check (ping, token, retry). */
const REGISTRY_MS = 10_000;
const LOOKUP_MS = 3_000;

interface Options {
  readonly offline: boolean;
  readonly json: boolean;
}

/**
 * `doctor [--offline] [--json]`: says, registry by registry, whether a pull
 * will get this helper's credentials and whether the registry accepts them.
 * Read-only; never prints a secret. Returns the exit code: 0 when all is fine.
 */
export async function doctor(io: Io, table: RegistryTable, versionLine: string): Promise<number> {
  if (io.argv.some((arg) => arg === "--help" || arg === "-h")) {
    // As configure --help: a careless user asks the verb itself.
    io.stdout(`${helpText("doctor")}\n`);
    return 0;
  }
  const options = parseOptions(io.argv);
  const files = await readClientFiles(io.env);
  const subjects = subjectsOf(table, files);
  const secrets = knownSecrets(io, files);
  const agents = options.offline ? undefined : createAgents(io.env);
  const [program, registries] = await Promise.all([
    checkProgramOnPath(io.env, versionLine),
    Promise.all(subjects.map((s) => examine(s, { table, files, io, agents, secrets }))),
  ]);
  const problems = [
    ...(program.ok ? [] : [program.message]),
    ...[files.docker, files.dockerAuthConfig, ...files.containers].flatMap((f) => (f?.state === "invalid" ? [`${f.path} ${f.reason}`] : [])),
  ];
  const notes = [...(program.ok ? [program.message] : []), ...(options.offline ? ["--offline: no token minted, no registry contacted"] : [])];
  const report = makeReport(registries, problems, notes);
  io.stdout(options.json ? renderJson(report, secrets) : renderLines(report, secrets));
  return report.ok ? 0 : 1;
}

interface Run {
  readonly table: RegistryTable;
  readonly files: ClientFiles;
  readonly io: Io;
  /** Absent offline: nothing goes on the network. */
  readonly agents: Agents | undefined;
  /** Grows with every secret a check obtains (minted tokens), for the final scrub. */
  readonly secrets: string[];
}

async function examine(subject: Subject, { table, files, io, agents, secrets }: Run): Promise<RegistryReport> {
  const checks: Check[] = [subject.configuration];
  const { key } = subject;
  if (key === null) return registryReport(null, subject.id, checks);
  const docker = dockerRouting(key, files);
  checks.push(docker);
  const containers = containersRouting(key, files, docker);
  if (containers !== undefined) checks.push(containers);
  const step = await credentialsFor(key, subject.source, table, io.env, agents === undefined);
  if (step.check !== undefined) checks.push(step.check);
  if (step.credentials !== undefined && agents !== undefined) {
    secrets.push(step.credentials.secret);
    // Docker Hub's registry API is not at docker.io but where docker sends it.
    const host = key === DOCKER_HUB_KEY ? "registry-1.docker.io" : key;
    const verdict = await checkRegistry({
      host,
      credentials: step.credentials,
      agents,
      env: io.env,
      insecure: await dockerTreatsAsInsecure(key, host, files.insecureRegistries, LOOKUP_MS),
      timeoutMs: REGISTRY_MS,
      clientId: HELPER_NAME,
    });
    checks.push(isFine(verdict.kind) ? pass("registry", verdict.message) : fail("registry", verdict.message));
  }
  return registryReport(key, subject.id, checks);
}

function parseOptions(argv: readonly string[]): Options {
  let offline = false;
  let json = false;
  for (const arg of argv) {
    if (arg === "--offline") offline = true;
    else if (arg === "--json") json = true;
    else throw new HelperError(`doctor: unknown option ${JSON.stringify(arg)}; use --offline and/or --json`);
  }
  return { offline, json };
}

/** Everything secret this run could come across, for the report's last-guard scrub. */
function knownSecrets(io: Io, files: ClientFiles): string[] {
  const fromFiles = [files.docker, files.dockerAuthConfig, ...files.containers].flatMap((f) =>
    f?.state === "ok" ? Object.values(f.config.auths ?? {}).flatMap((a) => [a.auth, a.password, a.identitytoken, a.registrytoken]) : [],
  );
  // Empty ones need no filter: the redactor drops them itself.
  return [...environmentSecrets(io.env), ...fromFiles].filter((s): s is string => s !== undefined);
}

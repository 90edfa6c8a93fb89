import { parseEcrHost } from "../ecr/host.js";
import type { Registry, RegistryTable } from "../registries.js";
import { lookupRegistry } from "../registries.js";
import { normaliseServer } from "../server-url.js";
import type { ClientFiles } from "./files.js";
import { fail, pass, type Check } from "./report.js";
import { HELPER_SUFFIX } from "./routing.js";

/**
 * What `doctor` reports on: every triple (complete, incomplete or ignored)
 * and every credHelpers entry naming this helper that no triple configures,
 * each with its configuration verdict and, when it can supply credentials,
 * where they come from.
 */
export interface Subject {
  readonly key: string | null;
  readonly id: string | null;
  readonly configuration: Check;
  /** How `get` would answer: a triple, the AWS default chain (ECR without triple), or nothing. */
  readonly source: { readonly kind: "triple"; readonly registry: Registry } | { readonly kind: "default-chain" } | undefined;
}

const NAME = "configuration";

export function subjectsOf(table: RegistryTable, files: ClientFiles): Subject[] {
  const subjects: Subject[] = [];
  for (const registry of table.complete) subjects.push(complete(table, registry));
  for (const { id, key, missing } of table.incomplete) {
    const served = table.complete.find((r) => r.key === key);
    const note = served === undefined ? "" : ` (${key} is served by ${served.id}_CONTAINER_REGISTRY_* instead)`;
    subjects.push({
      key,
      id,
      configuration: fail(NAME, `${id}_CONTAINER_REGISTRY_SERVER names ${key} but ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} missing or empty${note}; set ${missing.length > 1 ? "them" : "it"} in your Codespaces secrets`),
      source: undefined,
    });
  }
  for (const { id, reason } of table.ignored) {
    subjects.push({ key: null, id, configuration: fail(NAME, `${id}_CONTAINER_REGISTRY_* is ignored: ${reason}`), source: undefined });
  }
  const configured = new Set([...table.complete, ...table.incomplete].map((r) => r.key));
  for (const key of routedHere(files)) {
    if (configured.has(key)) continue;
    subjects.push(
      parseEcrHost(key) === undefined
        ? {
            key,
            id: null,
            configuration: fail(NAME, `credHelpers routes ${key} to this helper but no <ID>_CONTAINER_REGISTRY_* triple configures it, so docker pulls anonymously; add the Codespaces secrets or remove the entry`),
            source: undefined,
          }
        : { key, id: null, configuration: pass(NAME, `no triple: ECR tokens for ${key} are minted with the AWS default credential chain`), source: { kind: "default-chain" } },
    );
  }
  return subjects;
}

function complete(table: RegistryTable, registry: Registry): Subject {
  const { id, key } = registry;
  try {
    lookupRegistry(table, key);
  } catch (error) {
    return { key, id, configuration: fail(NAME, (error as Error).message), source: undefined };
  }
  const twins = table.complete.filter((r) => r.key === key && r.id !== id).map((r) => `${r.id}_CONTAINER_REGISTRY_*`);
  const also = twins.length === 0 ? "" : ` (${twins.join(", ")} set${twins.length === 1 ? "s" : ""} the same credentials)`;
  const what = parseEcrHost(key) === undefined ? "" : registry.user === "AWS" ? ", an ECR token (USER=AWS)" : ", AWS keys to mint ECR tokens";
  return { key, id, configuration: pass(NAME, `${id}_CONTAINER_REGISTRY_* is complete${what}; SERVER is registry ${key}${also}`), source: { kind: "triple", registry } };
}

/** Registry keys that docker's or the containers' credHelpers send to this helper. */
function routedHere(files: ClientFiles): string[] {
  const keys: string[] = [];
  for (const file of [files.docker, ...files.containers]) {
    if (file.state !== "ok") continue;
    for (const [name, helper] of Object.entries(file.config.credHelpers ?? {})) {
      if (helper !== HELPER_SUFFIX) continue;
      try {
        keys.push(normaliseServer(name));
      } catch {
        /* a name no client could look up */
      }
    }
  }
  return [...new Set(keys)].sort();
}

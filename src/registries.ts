import * as z from "zod/mini";
import { HelperError } from "./errors.js";
import { proxyPasswords } from "./net/proxy-value.js";
import { normaliseServer } from "./server-url.js";
import { trimAsciiSpace } from "./trim.js";

/**
 * Reads the registries Codespaces configures as environment variable triples
 * `<ID>_CONTAINER_REGISTRY_{SERVER,USER,PASSWORD}` (plus an optional
 * `_SESSION_TOKEN` for temporary AWS keys). Works on the env object it is
 * given, never on process.env, so it is a pure function of its input.
 */

export type Env = Readonly<Record<string, string | undefined>>;

const PARTS = ["SERVER", "USER", "PASSWORD", "SESSION_TOKEN"] as const;
type Part = (typeof PARTS)[number];
const VARIABLE = /^(.+)_CONTAINER_REGISTRY_(SERVER|USER|PASSWORD|SESSION_TOKEN)$/;

/** A triple whose three parts are present and non-empty. */
export interface Registry {
  readonly id: string;
  /** Normalised server key (see server-url). */
  readonly key: string;
  readonly user: string;
  readonly password: string;
  readonly sessionToken?: string;
}

/** A triple that names a server but lacks a part, or holds one that is unusable: it never supplies credentials. */
export interface IncompleteRegistry {
  readonly id: string;
  readonly key: string;
  readonly missing: string[];
  /** Variables whose value was not valid UTF-8 in the environment (Node decodes it to U+FFFD). */
  readonly undecodable: string[];
}

/** A triple without a usable SERVER, and why (for diagnostics only: no values). */
export interface IgnoredTriple {
  readonly id: string;
  readonly reason: string;
}

export interface RegistryTable {
  readonly complete: readonly Registry[];
  readonly incomplete: readonly IncompleteRegistry[];
  readonly ignored: readonly IgnoredTriple[];
}

// Pasted secrets often carry a trailing newline; an all-blank value counts as missing.
// Only ASCII whitespace goes: U+00A0 or U+FEFF may be part of a secret.
const value = z.pipe(
  z.optional(z.string()),
  z.transform((v) => (v === undefined || trimAsciiSpace(v) === "" ? undefined : trimAsciiSpace(v))),
);
const triple = z.object({
  SERVER: value,
  USER: value,
  PASSWORD: value,
  SESSION_TOKEN: value,
});

export function readRegistries(env: Env): RegistryTable {
  const byId = new Map<string, Partial<Record<Part, string>>>();
  for (const [name, raw] of Object.entries(env)) {
    const match = VARIABLE.exec(name);
    if (match === null || raw === undefined) continue;
    const [, id, part] = match as unknown as [string, string, Part];
    const parts = byId.get(id) ?? {};
    parts[part] = raw;
    byId.set(id, parts);
  }

  const complete: Registry[] = [];
  const incomplete: IncompleteRegistry[] = [];
  const ignored: IgnoredTriple[] = [];
  // Sorted so that the answer never depends on the environment's order.
  for (const id of [...byId.keys()].sort()) {
    const t = triple.parse(byId.get(id));
    const prefix = `${id}_CONTAINER_REGISTRY_`;
    if (t.SERVER === undefined) {
      ignored.push({ id, reason: `${prefix}SERVER is missing or empty` });
      continue;
    }
    let key: string;
    try {
      key = normaliseServer(t.SERVER);
    } catch (error) {
      ignored.push({ id, reason: `${prefix}SERVER: ${(error as Error).message}` });
      continue;
    }
    const missing = (["USER", "PASSWORD"] as const).filter((p) => t[p] === undefined).map((p) => prefix + p);
    // Sending a secret with U+FFFD in it would fail as a wrong password, far from its cause.
    const undecodable = (["USER", "PASSWORD", "SESSION_TOKEN"] as const)
      .filter((p) => t[p]?.includes("\ufffd"))
      .map((p) => prefix + p);
    if (t.USER === undefined || t.PASSWORD === undefined || undecodable.length > 0) {
      incomplete.push({ id, key, missing, undecodable });
      continue;
    }
    complete.push({
      id,
      key,
      user: t.USER,
      password: t.PASSWORD,
      ...(t.SESSION_TOKEN === undefined ? {} : { sessionToken: t.SESSION_TOKEN }),
    });
  }
  return { complete, incomplete, ignored };
}

/** Why an incomplete triple supplies nothing, naming its variables: the line `get` and `store` fail with. */
export function incompleteMessage({ id, key, missing, undecodable }: IncompleteRegistry): string {
  const absent = missing.length > 0;
  const names = absent ? missing : undecodable;
  const many = names.length > 1;
  const problem = absent ? "missing or empty" : `not valid UTF-8 (${many ? "they hold" : "it holds"} U+FFFD)`;
  return (
    `${key} is configured by ${id}_CONTAINER_REGISTRY_* but ${names.join(" and ")} ${many ? "are" : "is"} ${problem}; ` +
    `set ${many ? "them" : "it"}${absent ? "" : " again"} in your Codespaces secrets and restart the codespace`
  );
}

/** Every secret value the environment holds, for redaction: triple passwords and session tokens, the AWS secret and session token, proxy passwords. */
export function environmentSecrets(env: Env): string[] {
  return Object.entries(env)
    .filter(([name]) => /_CONTAINER_REGISTRY_(?:PASSWORD|SESSION_TOKEN)$|^AWS_(?:SECRET_ACCESS_KEY|SESSION_TOKEN)$/.test(name))
    .map(([, raw]) => trimAsciiSpace(raw ?? ""))
    .concat(proxyPasswords(env));
}

export type Lookup =
  | { readonly kind: "configured"; readonly registry: Registry }
  | { readonly kind: "incomplete"; readonly registry: IncompleteRegistry }
  | { readonly kind: "none" };

/**
 * The triple that serves `key`. Complete triples win over incomplete ones;
 * two complete triples with different credentials for one registry are an
 * error, since either answer could hand a secret to the wrong account.
 */
export function lookupRegistry(table: RegistryTable, key: string): Lookup {
  const matches = table.complete.filter((r) => r.key === key);
  const [first] = matches;
  if (first !== undefined) {
    const other = matches.find((r) => !sameCredentials(r, first));
    if (other !== undefined) {
      throw new HelperError(
        `${key} is configured twice with different credentials, by ${first.id}_CONTAINER_REGISTRY_* and ` +
          `${other.id}_CONTAINER_REGISTRY_*; remove or correct one of them`,
      );
    }
    return { kind: "configured", registry: first };
  }
  const partial = table.incomplete.find((r) => r.key === key);
  return partial === undefined ? { kind: "none" } : { kind: "incomplete", registry: partial };
}

function sameCredentials(a: Registry, b: Registry): boolean {
  return a.user === b.user && a.password === b.password && a.sessionToken === b.sessionToken;
}

/**
 * Every registry `list` reports, once per key. Conflicting keys are left out:
 * the docker CLI drops all of a build's credentials when one listed `get` fails.
 */
export function listedRegistries(table: RegistryTable): Registry[] {
  return [...new Set(table.complete.map((r) => r.key))].flatMap((key) => {
    try {
      const found = lookupRegistry(table, key);
      return found.kind === "configured" ? [found.registry] : [];
    } catch {
      return [];
    }
  });
}

import type { Credentials } from "../credentials.js";
import { parseEcrHost } from "../ecr/host.js";
import { ecrTokenExpiry } from "../ecr/token.js";
import { HelperError, NotFoundError } from "../errors.js";
import type { Env, RegistryTable } from "../registries.js";
import { resolveCredentials } from "../resolve.js";
import { fail, pass, type Check } from "./report.js";
import type { Subject } from "./subjects.js";

/**
 * The credentials `get` would answer for a subject, found the way `get`
 * finds them (resolveCredentials), plus for ECR a check saying how the token
 * came about and how long it stays valid. Offline, nothing is minted.
 */
export interface CredentialStep {
  readonly check?: Check;
  readonly credentials?: Credentials;
}

/** `key` is the subject's, known here: a subject without one has nothing to resolve. */
export async function credentialsFor(key: string, source: Subject["source"], table: RegistryTable, env: Env, offline: boolean): Promise<CredentialStep> {
  if (source === undefined) return {};
  const NAME = "ecr token";
  if (parseEcrHost(key) === undefined) {
    return source.kind === "triple" ? { credentials: { username: source.registry.user, secret: source.registry.password } } : {};
  }
  const passThrough = source.kind === "triple" && source.registry.user === "AWS";
  if (offline && !passThrough) return {};
  let credentials: Credentials;
  try {
    credentials = await resolveCredentials(key, table, env);
  } catch (error) {
    if (error instanceof NotFoundError) return { check: fail(NAME, `no AWS credentials found for ${key}, so pulls go anonymous`) };
    const message = error instanceof HelperError ? error.message : "minting failed unexpectedly; run `get` with DOCKER_CREDENTIAL_CODESPACES_DEBUG=1 for details";
    return { check: fail(NAME, message) };
  }
  const how = passThrough ? "the token in the PASSWORD is passed through" : source.kind === "triple" ? "a token was minted with the triple's AWS keys" : "a token was minted with the AWS default credential chain";
  return { check: pass(NAME, `${how}; ${validity(ecrTokenExpiry(credentials.secret))}`), credentials };
}

function validity(expiry: Date | undefined): string {
  if (expiry === undefined) return "its expiry cannot be read";
  const minutes = Math.floor((expiry.getTime() - Date.now()) / 60_000);
  return `valid for ${Math.floor(minutes / 60)} h ${minutes % 60} min (until ${expiry.toISOString()})`;
}

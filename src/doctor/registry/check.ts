import * as z from "zod/mini";
import type { Credentials } from "../../credentials.js";
import type { Agents } from "../../net/agents.js";
import type { Env } from "../../registries.js";
import { parseChallenges, type Challenge } from "./challenge.js";
import { get, Unreachable, type Answer } from "./http.js";
import { realmPolicy } from "./realm.js";

/**
 * Tries credentials against a registry the way `docker login` verifies them:
 * `GET /v2/`, then by the challenge either Basic on `/v2/` or a token from
 * the Bearer realm (no scope) used on `/v2/`. Bounded by one deadline; never
 * says a secret, a token or a response body.
 */

export type VerdictKind = "ok" | "open" | "unverified" | "rejected" | "unreachable" | "not-registry" | "failed";

export interface Verdict {
  readonly kind: VerdictKind;
  /** One line, no secret. */
  readonly message: string;
}

export interface RegistryCheck {
  /** `host[:port]` to reach (Docker Hub already mapped to its API host). */
  readonly host: string;
  readonly credentials: Credentials;
  readonly agents: Agents;
  /** For naming a proxy in the way when a request fails. */
  readonly env: Env;
  /** Docker would fall back to plain HTTP (loopback or an insecure registry): try HTTPS unverified, then HTTP. */
  readonly insecure: boolean;
  readonly timeoutMs: number;
  /** Sent as client_id to a token service. */
  readonly clientId: string;
}

/** A verdict is fine when nothing stands in the way of a pull. */
export function isFine(kind: VerdictKind): boolean {
  return kind === "ok" || kind === "open" || kind === "unverified";
}

export async function checkRegistry(check: RegistryCheck): Promise<Verdict> {
  const signal = AbortSignal.timeout(check.timeoutMs);
  try {
    return await verify(check, signal);
  } catch (error) {
    if (error instanceof Unreachable) {
      const late = signal.aborted ? ` (bound: ${check.timeoutMs / 1000} s)` : "";
      return { kind: "unreachable", message: `unreachable: ${error.message}${late}` };
    }
    throw error;
  }
}

async function verify(check: RegistryCheck, signal: AbortSignal): Promise<Verdict> {
  const { base, first } = await ping(check, signal);
  const v2 = new URL("/v2/", base);
  const opts = { agents: check.agents, env: check.env, signal, skipVerify: check.insecure };
  const via = base.protocol === "http:" ? " over plain HTTP, as docker does for an insecure registry" : "";

  if (first.status === 200) {
    return isRegistry(first)
      ? { kind: "open", message: `open registry: ${v2.href} answers without credentials${via}; nothing to verify` }
      : notRegistry(v2, first);
  }
  const challenges = parseChallenges(first.status === 401 ? first.headers["www-authenticate"] : undefined);
  const bearer = challenges.find((c) => c.scheme === "bearer");
  const basic = challenges.find((c) => c.scheme === "basic");
  if (bearer !== undefined) return viaToken(check, v2, bearer, opts, via);
  if (basic !== undefined) {
    const answer = await get(v2, { ...opts, authorization: basicAuth(check.credentials) });
    return afterLogin(v2, answer, `Basic${via}`);
  }
  if (first.status === 401) {
    return { kind: "not-registry", message: `${v2.href} answered 401 without a Basic or Bearer challenge; not a registry docker can log in to` };
  }
  return notRegistry(v2, first);
}

/** `/v2/` over HTTPS, or for an insecure registry HTTPS without verification and then plain HTTP, as docker does. */
async function ping(check: RegistryCheck, signal: AbortSignal): Promise<{ base: URL; first: Answer }> {
  const https = new URL(`https://${check.host}/`);
  try {
    return { base: https, first: await get(new URL("/v2/", https), { agents: check.agents, env: check.env, signal, skipVerify: check.insecure }) };
  } catch (error) {
    if (!check.insecure || !(error instanceof Unreachable) || signal.aborted) throw error;
  }
  const http = new URL(`http://${check.host}/`);
  try {
    return { base: http, first: await get(new URL("/v2/", http), { agents: check.agents, env: check.env, signal }) };
  } catch (error) {
    if (!(error instanceof Unreachable)) throw error;
    throw new Unreachable(`${error.message} (tried HTTPS first, then plain HTTP as docker does for an insecure registry)`);
  }
}

async function viaToken(
  check: RegistryCheck,
  v2: URL,
  bearer: Challenge,
  opts: { agents: Agents; env: Env; signal: AbortSignal; skipVerify: boolean },
  via: string,
): Promise<Verdict> {
  const realmText = bearer.params["realm"];
  let realm: URL;
  try {
    realm = new URL(realmText ?? "");
  } catch {
    return { kind: "not-registry", message: `${v2.href} sent a Bearer challenge without a usable realm` };
  }
  const decision = realmPolicy(check.host, realm);
  if (!decision.allowed) {
    return { kind: "unverified", message: `not verified: ${decision.reason}; doctor sends credentials only to the registry's own domain over HTTPS` };
  }
  const tokenUrl = new URL(realm.href);
  const service = bearer.params["service"];
  if (service !== undefined) tokenUrl.searchParams.set("service", service);
  tokenUrl.searchParams.set("account", check.credentials.username);
  tokenUrl.searchParams.set("client_id", check.clientId);
  tokenUrl.searchParams.set("offline_token", "true");
  const where = `the token service ${realm.origin}${realm.pathname}`;
  let answer: Answer;
  try {
    answer = await get(tokenUrl, { agents: opts.agents, env: opts.env, signal: opts.signal, authorization: basicAuth(check.credentials) });
  } catch (error) {
    if (error instanceof Unreachable) return { kind: "unreachable", message: `${where} is unreachable: ${error.message}` };
    throw error;
  }
  if (answer.status === 401 || answer.status === 403) {
    return { kind: "rejected", message: `credentials rejected: ${where} answered ${answer.status}` };
  }
  if (answer.status !== 200) return { kind: "failed", message: `${where} answered ${answer.status}; try again later` };
  const token = parseToken(answer.body);
  if (token === undefined) return { kind: "failed", message: `${where} answered 200 without a token` };
  const retried = await get(v2, { ...opts, authorization: `Bearer ${token}` });
  if (retried.status === 401 || retried.status === 403) {
    return { kind: "failed", message: `${v2.href} refused the token ${where} issued (${retried.status}); the registry and its token service disagree` };
  }
  return afterLogin(v2, retried, `a token from ${where}${via}`);
}

function afterLogin(v2: URL, answer: Answer, how: string): Verdict {
  if (answer.status === 200) return { kind: "ok", message: `credentials accepted by ${v2.href} (${how})` };
  if (answer.status === 401 || answer.status === 403) {
    return { kind: "rejected", message: `credentials rejected: ${v2.href} answered ${answer.status} (${how})` };
  }
  return { kind: "failed", message: `${v2.href} answered ${answer.status} to the credentials (${how})` };
}

function parseToken(body: string): string | undefined {
  let answer: { token?: string | undefined; access_token?: string | undefined };
  try {
    answer = z.object({ token: z.optional(z.string()), access_token: z.optional(z.string()) }).parse(JSON.parse(body));
  } catch {
    return undefined;
  }
  const token = answer.token || answer.access_token;
  return token && /^[\x21-\x7e]+$/.test(token) ? token : undefined;
}

/** A 200 on /v2/ is a registry if it says so (header) or at least answers JSON. */
function isRegistry(answer: Answer): boolean {
  const version = answer.headers["docker-distribution-api-version"];
  return (typeof version === "string" && version.startsWith("registry/2")) || /json/i.test(String(answer.headers["content-type"]));
}

function notRegistry(v2: URL, answer: Answer): Verdict {
  const what = answer.status === 200 ? "answered 200 but not as a registry API" : `answered ${answer.status}`;
  return { kind: "not-registry", message: `not a registry: ${v2.href} ${what}; check the SERVER value` };
}

function basicAuth(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.secret}`).toString("base64")}`;
}

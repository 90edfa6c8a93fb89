/**
 * Minting ECR registry logins with GetAuthorizationToken (./api.ts), with the
 * keys of a triple or those the AWS credential chain finds. With ./api.ts, the
 * only code that loads AWS SDK parts; the core imports it lazily, for ECR hosts
 * only. Nothing is cached, logged or written: every call asks AWS afresh.
 */
import { writeSync } from "node:fs";
import type { AwsKeys, Minted } from "../credentials.js";
import { DEBUG_VARIABLE } from "../debug.js";
import { HelperError, NoAwsCredentialsError } from "../errors.js";
import { createAgents } from "../net/agents.js";
import type { EcrHost } from "./host.js";
import { type AuthorizationData, getAuthorizationToken } from "./api.js";
import { Context, Deadline, explain, Malformed, redact, seconds } from "./failure.js";
import { passwordOfAuthorizationToken } from "./token.js";

export interface MintLimits {
  /** Whole call, credential lookup included. */
  totalMs: number;
  /** Default chain lookup; its IMDS probes are bounded separately by imdsMs. */
  credentialsMs: number;
  imdsMs: number;
  connectMs: number;
  /** Per attempt, until response headers. */
  requestMs: number;
  maxAttempts: number;
}

export const DEFAULT_LIMITS: Readonly<MintLimits> = {
  totalMs: 14_000,
  credentialsMs: 5_000,
  imdsMs: 1_000,
  connectMs: 3_000,
  requestMs: 4_000,
  maxAttempts: 3,
};

export interface MintRequest {
  host: EcrHost;
  /** Static keys to sign with. Absent: the standard AWS credential chain. */
  keys?: AwsKeys;
  env: Record<string, string | undefined>;
  /** Where `keys` came from, for messages, e.g. "ECR_CONTAINER_REGISTRY_*". */
  source?: string;
  /** The registry host as the user wrote it, for messages; rebuilt from `host` if absent. */
  registry?: string;
  /** Tighter bounds (tests). */
  limits?: Partial<MintLimits>;
}

// The SDK otherwise prints a multi-line "NodeVersionSupportWarning" on Node < 22,
// which would end up on the stderr of every docker pull. This is the SDK's own
// opt-out, read at client construction; set it before any client exists.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";

// Said when this module (and so the SDK) is evaluated: the suites prove with it
// that the static path of every build, the single executable included, never is.
if (process.env[DEBUG_VARIABLE] === "1") writeSync(2, `${DEBUG_VARIABLE}: AWS SDK loaded to mint an ECR token\n`);

// Passed wherever the SDK accepts a logger, so nothing it says reaches stderr
// (e.g. the "multiple credential sources" warning of the default chain).
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export async function mintEcrCredentials(req: MintRequest): Promise<Minted> {
  const limits = { ...DEFAULT_LIMITS, ...req.limits };
  const ctx = new Context(req, configuredEndpoint(req.host, req.env));
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Deadline()), limits.totalMs);
  try {
    const keys = req.keys ?? (await defaultChainKeys(req, ctx, limits, abort.signal));
    ctx.keys = keys;
    const { authorizationToken, expiresAt } = await callApi(req, ctx, keys, limits, abort.signal);
    const password = passwordOfAuthorizationToken(authorizationToken);
    if (password === undefined) {
      throw new HelperError(`${ctx.host}: malformed response from ${ctx.url()}: the authorization token is not base64 of AWS:<password>`);
    }
    return { username: "AWS", secret: password, ...(expiresAt ? { expiresAt } : {}) };
  } finally {
    clearTimeout(timer);
  }
}

/** AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL, read from `env` rather than process.env. */
function configuredEndpoint(host: EcrHost, env: MintRequest["env"]): string | undefined {
  const ignore = env["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.toLowerCase();
  if (ignore === "true") return undefined;
  const specific = host.kind === "public" ? env["AWS_ENDPOINT_URL_ECR_PUBLIC"] : env["AWS_ENDPOINT_URL_ECR"];
  return specific || env["AWS_ENDPOINT_URL"] || undefined;
}

async function defaultChainKeys(req: MintRequest, ctx: Context, limits: MintLimits, signal: AbortSignal): Promise<AwsKeys> {
  // Loaded only here: most mints use a triple's keys and never need the chain.
  const { fromNodeProviderChain } = await import("@aws-sdk/credential-providers");
  const profile = req.env["AWS_PROFILE"];
  const agents = createAgents(req.env);
  const provider = fromNodeProviderChain({
    ...(profile ? { profile } : {}),
    // The chain's own STS, SSO and SSO-OIDC clients: through the same proxy and CAs.
    clientConfig: { requestHandler: { httpAgent: agents.http, httpsAgent: agents.https } },
    logger: silent,
    timeout: limits.imdsMs,
    maxRetries: 0,
  });
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Deadline()), limits.credentialsMs);
    signal.addEventListener("abort", () => reject(new Deadline()), { once: true });
  });
  try {
    const c = await Promise.race([provider(), slow]);
    return {
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}),
    };
  } catch (err) {
    const triple = req.source
      ? `set ${req.source.replace(/\*$/, "USER/PASSWORD")} to an AWS access key id and secret`
      : `set <ID>_CONTAINER_REGISTRY_SERVER=${ctx.host} with _USER/_PASSWORD holding an AWS access key id and secret`;
    const hint = `${triple}, or provide AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO, web identity, or a container/instance role)`;
    if (err instanceof Deadline) {
      throw new HelperError(`${ctx.host}: looking for AWS credentials took longer than ${seconds(limits.credentialsMs)}; ${hint}`);
    }
    const message = err instanceof Error ? ctx.clean(err.message) : "";
    if (/could not load credentials from any providers/i.test(message) || message === "") {
      throw new NoAwsCredentialsError(`${ctx.host}: no AWS credentials found to mint an ECR token; ${hint}`);
    }
    throw new HelperError(`${ctx.host}: could not load AWS credentials: ${redact(message).slice(0, 200)}`);
  } finally {
    clearTimeout(timer);
  }
}

async function callApi(req: MintRequest, ctx: Context, keys: AwsKeys, limits: MintLimits, signal: AbortSignal): Promise<AuthorizationData> {
  try {
    const answer = await getAuthorizationToken({
      host: req.host,
      // Exactly these keys; the call never consults the ambient chain.
      keys,
      endpoint: ctx.endpoint,
      env: req.env,
      agents: createAgents(req.env),
      connectMs: limits.connectMs,
      requestMs: limits.requestMs,
      maxAttempts: limits.maxAttempts,
      signal,
      onUrl: (url) => (ctx.requestUrl = url),
    });
    if (answer === undefined) throw new Malformed();
    return answer;
  } catch (err) {
    throw new HelperError(explain(err, ctx, limits, signal));
  }
}

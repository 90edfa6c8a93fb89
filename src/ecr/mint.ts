/**
 * Minting ECR registry logins with GetAuthorizationToken. The only module that
 * imports the AWS SDK; the core loads it lazily for ECR hosts only.
 * Nothing is cached, logged or written: every call asks AWS afresh.
 */
// Static imports: a bundler splits dynamic imports of these CommonJS packages into
// chunks that lose their named exports, and this whole module is lazy already.
import { ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { ECRPUBLICClient, GetAuthorizationTokenCommand as GetPublicAuthorizationTokenCommand } from "@aws-sdk/client-ecr-public";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import * as z from "zod/mini";
import type { AwsKeys, Credentials } from "../credentials.js";
import { HelperError, NoAwsCredentialsError } from "../errors.js";
import type { EcrHost } from "./host.js";
import { decodeAuthorizationToken } from "./token.js";

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

// Passed wherever the SDK accepts a logger, so nothing it says reaches stderr
// (e.g. the "multiple credential sources" warning of the default chain).
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

const PrivateOutput = z.object({
  authorizationData: z.array(z.object({ authorizationToken: z.string() })).check(z.minLength(1)),
});
const PublicOutput = z.object({
  authorizationData: z.object({ authorizationToken: z.string() }),
});

class Deadline extends Error {}

export async function mintEcrCredentials(req: MintRequest): Promise<Credentials> {
  const limits = { ...DEFAULT_LIMITS, ...req.limits };
  const ctx = new Context(req);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Deadline()), limits.totalMs);
  try {
    const keys = req.keys ?? (await defaultChainKeys(req, ctx, limits, abort.signal));
    const token = await callApi(req, ctx, keys, limits, abort.signal);
    let login;
    try {
      login = decodeAuthorizationToken(token);
    } catch {
      throw new HelperError(`${ctx.host}: malformed response from ${ctx.url()}: the authorization token is not base64 of AWS:<password>`);
    }
    return { username: login.username, secret: login.password };
  } finally {
    clearTimeout(timer);
  }
}

/** Facts the error messages need. */
class Context {
  readonly host: string;
  readonly endpoint: string | undefined;
  requestUrl: string | undefined;
  constructor(private readonly req: MintRequest) {
    this.host = req.registry ?? (req.host.kind === "public" ? "public.ecr.aws" : hostName(req.host));
    this.endpoint = configuredEndpoint(req.host, req.env);
  }
  url(): string {
    return this.requestUrl ?? withoutUserInfo(this.endpoint) ?? `the ${this.api()} API`;
  }
  api(): string {
    return this.req.host.kind === "public" ? "ECR Public" : "ECR";
  }
  /** The variable a part of the keys came from, or a generic phrase. */
  variable(part: "USER" | "PASSWORD" | "SESSION_TOKEN"): string {
    const { source, keys } = this.req;
    if (keys === undefined) {
      const profile = this.req.env["AWS_PROFILE"];
      return `the AWS credentials found by the default chain${profile ? ` (profile ${profile})` : ""}`;
    }
    if (source?.endsWith("*")) return source.slice(0, -1) + part;
    return source ? `the AWS keys from ${source}` : "the configured AWS keys";
  }
  permissions(): string {
    return this.req.host.kind === "public"
      ? "ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken"
      : "ecr:GetAuthorizationToken";
  }
  /** Strips anything secret the message could contain, and makes it one line. */
  clean(text: string): string {
    let out = text;
    const k = this.req.keys;
    for (const s of [k?.secretAccessKey, k?.sessionToken]) if (s) out = out.split(s).join("<redacted>");
    return out.replace(/\s+/g, " ").trim();
  }
}

function withoutUserInfo(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.href;
  } catch {
    return "the configured AWS_ENDPOINT_URL";
  }
}

function hostName(h: Extract<EcrHost, { kind: "private" }>): string {
  return `${h.account}.dkr${h.dualStack ? "-" : "."}ecr${h.fips ? "-fips" : ""}.${h.region}.${h.domain}`;
}

/** AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL, read from `env` rather than process.env. */
function configuredEndpoint(host: EcrHost, env: MintRequest["env"]): string | undefined {
  const ignore = env["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.toLowerCase();
  if (ignore === "true") return undefined;
  const specific = host.kind === "public" ? env["AWS_ENDPOINT_URL_ECR_PUBLIC"] : env["AWS_ENDPOINT_URL_ECR"];
  return specific || env["AWS_ENDPOINT_URL"] || undefined;
}

async function defaultChainKeys(req: MintRequest, ctx: Context, limits: MintLimits, signal: AbortSignal): Promise<AwsKeys> {
  const profile = req.env["AWS_PROFILE"];
  const provider = fromNodeProviderChain({
    ...(profile ? { profile } : {}),
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

async function callApi(req: MintRequest, ctx: Context, keys: AwsKeys, limits: MintLimits, signal: AbortSignal): Promise<string> {
  const endpoint = ctx.endpoint;
  const base = {
    // Exactly these keys; the client never consults the ambient chain.
    credentials: {
      accessKeyId: keys.accessKeyId,
      secretAccessKey: keys.secretAccessKey,
      ...(keys.sessionToken ? { sessionToken: keys.sessionToken } : {}),
    },
    ...(profileOf(req.env)),
    maxAttempts: limits.maxAttempts,
    retryMode: "standard",
    logger: silent,
    requestHandler: {
      connectionTimeout: limits.connectMs,
      requestTimeout: limits.requestMs,
      socketTimeout: limits.requestMs,
      // Without this requestTimeout only logs a warning; socketTimeout is a second bound.
      throwOnRequestTimeout: true,
      logger: silent,
    },
    // The endpoint rules reject a custom endpoint combined with FIPS or dual-stack.
    ...(endpoint
      ? { endpoint, useFipsEndpoint: false, useDualstackEndpoint: false }
      : req.host.kind === "private"
        ? { ...(req.host.fips ? { useFipsEndpoint: true } : {}), ...(req.host.dualStack ? { useDualstackEndpoint: true } : {}) }
        : {}),
  };

  // Records where the request really went, for messages about the network.
  const recordUrl = <A extends { request: unknown }, R>(next: (args: A) => Promise<R>) => (args: A) => {
    const r = args.request as { protocol?: string; hostname?: string; port?: number; path?: string };
    if (r.hostname) ctx.requestUrl = `${r.protocol ?? "https:"}//${r.hostname}${r.port ? `:${r.port}` : ""}${r.path ?? "/"}`;
    return next(args);
  };
  const recordUrlOptions = { step: "finalizeRequest", name: "ecrRecordUrl" } as const;

  try {
    if (req.host.kind === "private") {
      const client = new ECRClient({ ...base, region: req.host.region });
      client.middlewareStack.add(recordUrl, recordUrlOptions);
      try {
        const out = await client.send(new GetAuthorizationTokenCommand({}), { abortSignal: signal });
        const parsed = PrivateOutput.safeParse(out);
        if (!parsed.success) throw new Malformed();
        return parsed.data.authorizationData[0]!.authorizationToken;
      } finally {
        client.destroy();
      }
    }
    // ECR Public's token API lives in us-east-1 only.
    const client = new ECRPUBLICClient({ ...base, region: "us-east-1" });
    client.middlewareStack.add(recordUrl, recordUrlOptions);
    try {
      const out = await client.send(new GetPublicAuthorizationTokenCommand({}), { abortSignal: signal });
      const parsed = PublicOutput.safeParse(out);
      if (!parsed.success) throw new Malformed();
      return parsed.data.authorizationData.authorizationToken;
    } finally {
      client.destroy();
    }
  } catch (err) {
    if (err instanceof HelperError) throw err;
    throw new HelperError(explain(err, ctx, limits, signal));
  }
}

class Malformed extends Error {}

function profileOf(env: MintRequest["env"]): { profile?: string } {
  const profile = env["AWS_PROFILE"];
  return profile ? { profile } : {};
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

const UNKNOWN_KEY = new Set(["UnrecognizedClientException", "InvalidClientTokenId"]);
const BAD_SIGNATURE = new Set(["InvalidSignatureException", "SignatureDoesNotMatch"]);
const DENIED = new Set(["AccessDeniedException", "AccessDenied"]);
const EXPIRED = new Set(["ExpiredTokenException", "ExpiredToken"]);
const SKEW = new Set(["RequestExpired", "RequestTimeTooSkewed", "InvalidSignatureException:expired"]);
const THROTTLED = new Set(["ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"]);
const NETWORK = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "EPROTO", "ERR_INVALID_URL", "ERR_TLS_CERT_ALTNAME_INVALID", "CERT_HAS_EXPIRED", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT"]);

/** One line saying what went wrong and what to do; never a secret. */
function explain(err: unknown, ctx: Context, limits: MintLimits, signal: AbortSignal): string {
  const e = (typeof err === "object" && err !== null ? err : {}) as {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const name = e.name ?? "Error";
  const code = e.code ?? (e as { cause?: { code?: string } }).cause?.code;
  const status = e.$metadata?.httpStatusCode;
  const message = ctx.clean(e.message ?? "");
  const h = ctx.host;
  const tag = `(${name}${status ? `, HTTP ${status}` : ""})`;

  if (signal.aborted || err instanceof Deadline) {
    return `${h}: no answer from ${ctx.url()} within ${seconds(limits.totalMs)}; check network access to AWS and try again`;
  }
  if (err instanceof Malformed || (status !== undefined && status < 300)) {
    return `${h}: malformed response from ${ctx.url()}: GetAuthorizationToken did not return an authorization token`;
  }
  if (UNKNOWN_KEY.has(name)) {
    return `${h}: AWS rejected the access key id in ${ctx.variable("USER")} ${tag}; check that it is correct and the key is still active`;
  }
  if (SKEW.has(name) || (BAD_SIGNATURE.has(name) && /expired|clock/i.test(message))) {
    return `${h}: AWS rejected the request time ${tag}; the system clock is probably wrong`;
  }
  if (BAD_SIGNATURE.has(name)) {
    return `${h}: AWS rejected the signature ${tag}: the secret key in ${ctx.variable("PASSWORD")} does not match its access key id`;
  }
  if (EXPIRED.has(name)) {
    return `${h}: the session token in ${ctx.variable("SESSION_TOKEN")} has expired ${tag}; refresh the temporary AWS credentials`;
  }
  if (DENIED.has(name) || status === 403) {
    const who = /arn:aws[a-z-]*:(?:iam|sts)::\d{12}:[\w+=,.@/-]+/.exec(message)?.[0];
    return `${h}: AWS denied ${who ?? "the identity"} permission to mint a registry token ${tag}; grant it ${ctx.permissions()}`;
  }
  if (THROTTLED.has(name) || status === 429) {
    return `${h}: AWS kept throttling GetAuthorizationToken at ${ctx.url()} after ${limits.maxAttempts} attempts ${tag}; try again shortly`;
  }
  if (name === "TimeoutError" || code === "ETIMEDOUT") {
    return `${h}: ${ctx.url()} did not answer in time ${tag}; check network access to AWS`;
  }
  if (code !== undefined && NETWORK.has(code)) {
    return `${h}: could not reach ${ctx.url()} (${code}); check network access to AWS or AWS_ENDPOINT_URL*`;
  }
  if (/custom endpoint/i.test(message)) {
    return `${h}: a custom ECR endpoint is configured (endpoint_url or AWS_ENDPOINT_URL*) but cannot be combined with this FIPS/dual-stack registry: ${redact(message)}`;
  }
  if (name === "SyntaxError" || /deserializ|parse|JSON/i.test(message)) {
    return `${h}: malformed response from ${ctx.url()} ${tag}`;
  }
  if (status !== undefined && status >= 500) {
    return `${h}: the ${ctx.api()} API at ${ctx.url()} failed ${tag}; try again later`;
  }
  return `${h}: GetAuthorizationToken at ${ctx.url()} failed ${tag}${message ? `: ${redact(message).slice(0, 200)}` : ""}`;
}

/** Access key ids and long base64 runs (secrets, tokens) out of free text. */
function redact(text: string): string {
  return text.replace(/\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b/g, "<key id>").replace(/[A-Za-z0-9/+=]{40,}/g, "<redacted>");
}

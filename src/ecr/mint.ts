/**
 * Minting ECR registry logins with GetAuthorizationToken. The only module that
 * imports the AWS SDK; the core loads it lazily for ECR hosts only.
 * Nothing is cached, logged or written: every call asks AWS afresh.
 */
import { Transform, type Readable } from "node:stream";
import { ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { writeSync } from "node:fs";
import * as z from "zod/mini";
import type { AwsKeys, Minted } from "../credentials.js";
import { DEBUG_VARIABLE } from "../debug.js";
import { HelperError, NoAwsCredentialsError } from "../errors.js";
import { createAgents } from "../net/agents.js";
import type { EcrHost } from "./host.js";
import { Context, Deadline, explain, Malformed, MAX_RESPONSE_BYTES, redact, seconds, TooLarge } from "./failure.js";
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

// expiresAt only lets the agent cache the token: an odd one means "unknown", never a failed mint.
const AuthorizationData = z.object({ authorizationToken: z.string(), expiresAt: z.catch(z.optional(z.date()), undefined) });
type AuthorizationData = z.infer<typeof AuthorizationData>;
const PrivateOutput = z.object({ authorizationData: z.array(AuthorizationData).check(z.minLength(1)) });
const PublicOutput = z.object({ authorizationData: AuthorizationData });

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
  const endpoint = ctx.endpoint;
  const agents = createAgents(req.env);
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
      httpAgent: agents.http,
      httpsAgent: agents.https,
    },
    // The endpoint rules reject a custom endpoint combined with FIPS or dual-stack.
    ...(endpoint
      ? { endpoint, useFipsEndpoint: false, useDualstackEndpoint: false }
      : req.host.kind === "private"
        ? { ...(req.host.fips ? { useFipsEndpoint: true } : {}), ...(req.host.dualStack ? { useDualstackEndpoint: true } : {}) }
        : {}),
  };

  // Records where the request really went, for messages about the network.
  // (The SDK's HttpRequest always has a protocol, host name and path; the port only when not the default.)
  const recordUrl = <A extends { request: unknown }, R>(next: (args: A) => Promise<R>) => (args: A) => {
    const r = args.request as { protocol: string; hostname: string; port?: number; path: string };
    ctx.requestUrl = `${r.protocol}//${r.hostname}${r.port ? `:${r.port}` : ""}${r.path}`;
    return next(args);
  };
  const recordUrlOptions = { step: "finalizeRequest", name: "ecrRecordUrl" } as const;

  // Bounds the response body below the deserializer (low priority: nearer the
  // wire), which would otherwise read any amount into memory.
  const boundBody = <A, R extends { response: unknown }>(next: (args: A) => Promise<R>) => async (args: A) => {
    const out = await next(args);
    // Node's HTTP handler: the body is always the response stream, the headers always an object.
    const response = out.response as { headers: Record<string, string | undefined>; body: Readable };
    const body = response.body;
    // A declared length over the bound fails at once, before any of the body is awaited.
    if (Number(response.headers["content-length"]) > MAX_RESPONSE_BYTES) {
      body.destroy();
      throw new TooLarge();
    }
    response.body = limited(body);
    return out;
  };
  const boundBodyOptions = { step: "deserialize", priority: "low", name: "ecrBoundResponse" } as const;

  // The two APIs differ only in client, command and response shape. ECR
  // Public's token API lives in us-east-1 only.
  let client: { destroy(): void };
  let token: () => Promise<AuthorizationData | undefined>;
  if (req.host.kind === "private") {
    const ecr = new ECRClient({ ...base, region: req.host.region });
    ecr.middlewareStack.add(recordUrl, recordUrlOptions);
    ecr.middlewareStack.add(boundBody, boundBodyOptions);
    token = async () => {
      const out = await ecr.send(new GetAuthorizationTokenCommand({}), { abortSignal: signal });
      return PrivateOutput.safeParse(out).data?.authorizationData[0];
    };
    client = ecr;
  } else {
    const { ECRPUBLICClient, GetAuthorizationTokenCommand: GetPublicAuthorizationTokenCommand } = await import(
      "@aws-sdk/client-ecr-public"
    );
    const ecrPublic = new ECRPUBLICClient({ ...base, region: "us-east-1" });
    ecrPublic.middlewareStack.add(recordUrl, recordUrlOptions);
    ecrPublic.middlewareStack.add(boundBody, boundBodyOptions);
    token = async () => {
      const out = await ecrPublic.send(new GetPublicAuthorizationTokenCommand({}), { abortSignal: signal });
      return PublicOutput.safeParse(out).data?.authorizationData;
    };
    client = ecrPublic;
  }
  try {
    const answer = await token();
    if (answer === undefined) throw new Malformed();
    return answer;
  } catch (err) {
    throw new HelperError(explain(err, ctx, limits, signal));
  } finally {
    client.destroy();
  }
}

/** `body`, failing with TooLarge and hanging up as soon as it passes MAX_RESPONSE_BYTES. */
function limited(body: Readable): Readable {
  let size = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size <= MAX_RESPONSE_BYTES) return done(null, chunk);
      body.destroy();
      done(new TooLarge());
    },
  });
  body.on("error", (error) => limiter.destroy(error));
  return body.pipe(limiter);
}

function profileOf(env: MintRequest["env"]): { profile?: string } {
  const profile = env["AWS_PROFILE"];
  return profile ? { profile } : {};
}

/**
 * Turning whatever the AWS SDK throws into one line that says what went wrong
 * and what to do, with no secret in it.
 */
import type { AwsKeys } from "../credentials.js";
import { createRedactor } from "../redact.js";
import { describeProxyError, describeTlsError, proxyHint } from "../net/problems.js";
import { proxyPasswords, withoutUrlCredentials } from "../net/proxy.js";
import type { EcrHost } from "./host.js";
import type { MintLimits, MintRequest } from "./mint.js";

/** The overall time bound ran out. */
export class Deadline extends Error {}

/** Facts the error messages need. */
export class Context {
  readonly host: string;
  requestUrl: string | undefined;
  /** The keys in use once known: the request's, or those the default chain resolved (for redaction). */
  keys: AwsKeys | undefined;
  constructor(
    private readonly req: MintRequest,
    /** The endpoint override in force, if any. */
    readonly endpoint: string | undefined,
  ) {
    this.host = req.registry ?? (req.host.kind === "public" ? "public.ecr.aws" : hostName(req.host));
    this.keys = req.keys;
  }
  url(): string {
    return this.requestUrl ?? withoutUserInfo(this.endpoint) ?? `the ${this.api()} API`;
  }
  /** host[:port] the request went to, for certificate messages. */
  server(): string {
    try {
      return new URL(this.url()).host;
    } catch {
      return this.url();
    }
  }
  get env(): MintRequest["env"] {
    return this.req.env;
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
  /** Strips every secret the message could contain (before any truncation cuts one in half), and makes it one line. */
  clean(text: string): string {
    const { env } = this.req;
    const redact = createRedactor([
      this.keys?.secretAccessKey,
      this.keys?.sessionToken,
      env["AWS_SECRET_ACCESS_KEY"],
      env["AWS_SESSION_TOKEN"],
      ...proxyPasswords(env),
    ]);
    return withoutUrlCredentials(redact(text)).replace(/\s+/g, " ").trim();
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

/** The API answered 2xx with a body that is not a token. */
export class Malformed extends Error {}

/** The response body passed MAX_RESPONSE_BYTES: no token is that large. */
export class TooLarge extends Error {}

/** A token response is a few KB; anything past this is not one, and is not read further. */
export const MAX_RESPONSE_BYTES = 256 * 1024;

export const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

const UNKNOWN_KEY = new Set(["UnrecognizedClientException", "InvalidClientTokenId"]);
const BAD_SIGNATURE = new Set(["InvalidSignatureException", "SignatureDoesNotMatch"]);
const DENIED = new Set(["AccessDeniedException", "AccessDenied"]);
const EXPIRED = new Set(["ExpiredTokenException", "ExpiredToken"]);
const SKEW = new Set(["RequestExpired", "RequestTimeTooSkewed"]);
const THROTTLED = new Set(["ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"]);
const NETWORK = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EPROTO", "ERR_INVALID_URL"]);

/** One line saying what went wrong and what to do; never a secret. */
export function explain(err: unknown, ctx: Context, limits: MintLimits, signal: AbortSignal): string {
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
  const protocol = ctx.url().startsWith("http:") ? "http:" : "https:";

  if (err instanceof TooLarge) {
    return `${h}: the response from ${ctx.url()} is larger than ${MAX_RESPONSE_BYTES / 1024} KiB, which no token is; check AWS_ENDPOINT_URL* and any proxy in between`;
  }
  if (signal.aborted || err instanceof Deadline) {
    return `${h}: no answer from ${ctx.url()} within ${seconds(limits.totalMs)}; check network access to AWS and try again${proxyHint(ctx.env, protocol)}`;
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
  // The SDK names a reset "TimeoutError" too (code ECONNRESET, "socket hang up"): the code tells them apart.
  if (code === "ECONNRESET" || code === "EPIPE") {
    return `${h}: ${ctx.url()} closed the connection without an answer (${code}); check network access to AWS or AWS_ENDPOINT_URL*`;
  }
  if (name === "TimeoutError" || code === "ETIMEDOUT") {
    return `${h}: ${ctx.url()} did not answer in time ${tag}; check network access to AWS${proxyHint(ctx.env, protocol)}`;
  }
  const problem = describeProxyError(err, ctx.env, protocol) ?? describeTlsError(err, ctx.server());
  if (problem !== undefined) return `${h}: ${problem}`;
  if (code !== undefined && NETWORK.has(code)) {
    return `${h}: could not reach ${ctx.url()} (${code}); check network access to AWS or AWS_ENDPOINT_URL*${proxyHint(ctx.env, protocol)}`;
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
export function redact(text: string): string {
  return withoutUrlCredentials(text).replace(/\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b/g, "<key id>").replace(/[A-Za-z0-9/+=]{40,}/g, "<redacted>");
}

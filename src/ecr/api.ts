/**
 * One GetAuthorizationToken call (awsJson1_1), assembled from the SDK's own parts: each API's
 * endpoint rules, the SigV4 signer, the Node HTTP handler and the standard retry strategy. The
 * generated clients are left out: their configuration and middleware stack cost more start-up
 * time than the call itself, and a docker pull waits for it.
 */
import { defaultEndpointResolver as privateEndpoint } from "@aws-sdk/client-ecr/dist-es/endpoint/endpointResolver.js";
import { defaultEndpointResolver as publicEndpoint } from "@aws-sdk/client-ecr-public/dist-es/endpoint/endpointResolver.js";
import { Sha256 } from "@smithy/core/checksum";
import { isClockSkewError, isThrottlingError, isTransientError, StandardRetryStrategy } from "@smithy/core/retry";
import { HttpRequest } from "@smithy/core/transport";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Readable } from "node:stream";
import * as z from "zod/mini";
import type { AwsKeys } from "../credentials.js";
import type { Agents } from "../net/agents.js";
import type { Env } from "../registries.js";
import { MAX_RESPONSE_BYTES, TooLarge } from "./failure.js";
import type { EcrHost } from "./host.js";

export interface ApiCall {
  host: EcrHost;
  keys: AwsKeys;
  /** AWS_ENDPOINT_URL* in force, if any: it replaces the endpoint rules. */
  endpoint: string | undefined;
  env: Env;
  agents: Agents;
  connectMs: number;
  requestMs: number;
  maxAttempts: number;
  signal: AbortSignal;
  /** Told the URL before each attempt, for messages about the network. */
  onUrl: (url: string) => void;
}

export interface AuthorizationData {
  authorizationToken: string;
  expiresAt?: Date;
}

/** What each API differs in: ECR Public's token API lives in us-east-1 only. */
const API = {
  private: { service: "ecr", target: "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken", resolve: privateEndpoint },
  public: { service: "ecr-public", target: "SpencerFrontendService.GetAuthorizationToken", resolve: publicEndpoint },
} as const;

// expiresAt (epoch seconds) only lets the agent cache the token: an odd one means "unknown".
const Data = z.object({
  authorizationToken: z.string(),
  expiresAt: z.catch(z.optional(z.number().check(z.positive())), undefined),
});
const PrivateOutput = z.object({ authorizationData: z.array(Data).check(z.minLength(1)) });
const PublicOutput = z.object({ authorizationData: Data });
const ErrorBody = z.object({
  __type: z.optional(z.string()),
  code: z.optional(z.string()),
  message: z.optional(z.string()),
  Message: z.optional(z.string()),
});

/**
 * An error answer, shaped as the SDK shapes them (name, message, $metadata, $response) for
 * explain(), src/net/problems.ts (a proxy's 401 is told by its WWW-Authenticate) and the retry rules.
 */
class ServiceError extends Error {
  readonly $metadata: { httpStatusCode: number; clockSkewCorrected?: true };
  readonly $response: { statusCode: number; headers: Record<string, string> };
  constructor(name: string, message: string, status: number, headers: Record<string, string>) {
    super(message);
    this.name = name;
    this.$metadata = { httpStatusCode: status };
    this.$response = { statusCode: status, headers };
  }
}

/**
 * The URL the call goes to: the override, else the API's endpoint rules for the registry's region,
 * FIPS and dual-stack when the registry's host name or AWS_USE_FIPS_ENDPOINT /
 * AWS_USE_DUALSTACK_ENDPOINT (read from `env`, as the SDK reads them) ask for them.
 */
function endpointUrl(host: EcrHost, endpoint: string | undefined, env: Env): URL {
  const setting = (name: string) => env[name]?.toLowerCase() === "true";
  const region = host.kind === "private" ? host.region : "us-east-1";
  const fips = (host.kind === "private" && host.fips) || setting("AWS_USE_FIPS_ENDPOINT");
  const dualStack = (host.kind === "private" && host.dualStack) || setting("AWS_USE_DUALSTACK_ENDPOINT");
  // The rules refuse a custom endpoint combined with FIPS or dual-stack: the override wins.
  const params = endpoint ? { Region: region, UseFIPS: false, UseDualStack: false, Endpoint: endpoint } : { Region: region, UseFIPS: fips, UseDualStack: dualStack };
  return new URL(API[host.kind].resolve(params).url.href);
}

/** The authorization data, or undefined when a 2xx answer holds none. Throws what the SDK would throw. */
export async function getAuthorizationToken(call: ApiCall): Promise<AuthorizationData | undefined> {
  const api = API[call.host.kind];
  const region = call.host.kind === "private" ? call.host.region : "us-east-1";
  const url = endpointUrl(call.host, call.endpoint, call.env);
  const signer = new SignatureV4({ service: api.service, region, credentials: call.keys, sha256: Sha256 });
  const http = new NodeHttpHandler({
    connectionTimeout: call.connectMs,
    requestTimeout: call.requestMs,
    socketTimeout: call.requestMs,
    // Without this requestTimeout only logs a warning; socketTimeout is a second bound.
    throwOnRequestTimeout: true,
    // Only the agent the URL needs: the HTTPS one loads the system certificate store.
    ...(url.protocol === "https:" ? { httpsAgent: call.agents.https } : { httpAgent: call.agents.http }),
  });
  const retries = new StandardRetryStrategy(call.maxAttempts);
  let token = await retries.acquireInitialRetryToken(api.service);
  let clockOffsetMs = 0;
  try {
    for (;;) {
      const request = new HttpRequest({
        method: "POST",
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        headers: { host: url.host, "content-type": "application/x-amz-json-1.1", "x-amz-target": api.target },
        body: "{}",
      });
      call.onUrl(`${url.protocol}//${url.host}${url.pathname}`);
      try {
        const signed = await signer.sign(request, { signingDate: new Date(Date.now() + clockOffsetMs) });
        const { response } = await http.handle(signed as HttpRequest, { abortSignal: call.signal });
        const body = await readBounded(response.body as Readable, response.headers);
        if (response.statusCode >= 300) {
          const error = serviceError(body, response.headers, response.statusCode);
          // As the SDK does: a request AWS found too old or too new is signed again
          // with the server's clock (its Date header), and retried.
          const offset = serverClockOffset(response.headers["date"], clockOffsetMs);
          if (offset !== undefined && isClockSkewError(error as never)) {
            clockOffsetMs = offset;
            error.$metadata.clockSkewCorrected = true;
          }
          throw error;
        }
        return parseOutput(call.host, body);
      } catch (error) {
        // The SDK's classification decides: an abort or an oversized answer is a client error, not retried.
        try {
          token = await retries.refreshRetryTokenForRetry(token, { errorType: errorType(error), error } as never);
        } catch {
          throw error;
        }
      }
    }
  } finally {
    http.destroy();
  }
}

function parseOutput(host: EcrHost, body: string): AuthorizationData | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    // Not JSON: json stays undefined, which neither schema accepts.
  }
  const data = host.kind === "private" ? PrivateOutput.safeParse(json).data?.authorizationData[0] : PublicOutput.safeParse(json).data?.authorizationData;
  if (data === undefined) return undefined;
  const { authorizationToken, expiresAt } = data;
  return { authorizationToken, ...(expiresAt === undefined ? {} : { expiresAt: new Date(expiresAt * 1000) }) };
}

/** The error the SDK's awsJson1_1 protocol would throw for this answer. */
function serviceError(body: string, headers: Record<string, string>, status: number): ServiceError {
  let parsed: z.infer<typeof ErrorBody> = {};
  try {
    parsed = ErrorBody.safeParse(JSON.parse(body)).data ?? {};
  } catch {
    // Not JSON (a proxy's page, say): the status alone tells what happened.
  }
  const raw = headers["x-amzn-errortype"] ?? parsed.code ?? parsed.__type ?? "";
  // "aws.protocoltests#Name:http://..." and "Name,Other" both mean Name.
  const name = raw.split(",")[0]!.split(":")[0]!.split("#").pop() || `HTTP${status}Error`;
  return new ServiceError(name, parsed.message ?? parsed.Message ?? "", status, headers);
}

/** The server's clock (its Date header) minus ours, when it is 5 minutes or more off from `offsetMs`, the one in use. */
function serverClockOffset(date: string | undefined, offsetMs: number): number | undefined {
  // No or no readable Date header: NaN, and no comparison with NaN holds.
  const server = Date.parse(date ?? "");
  const now = Date.now();
  return Math.abs(server - (now + offsetMs)) >= 5 * 60_000 ? server - now : undefined;
}

/** As the SDK's retry middleware classifies: its standard strategy retries only throttling and transient errors. */
function errorType(error: unknown): "THROTTLING" | "TRANSIENT" | "CLIENT_ERROR" {
  const e = error as Parameters<typeof isThrottlingError>[0];
  if (isThrottlingError(e)) return "THROTTLING";
  if (isTransientError(e)) return "TRANSIENT";
  return "CLIENT_ERROR";
}

/** The body as text, failing with TooLarge and hanging up as soon as it passes MAX_RESPONSE_BYTES. */
async function readBounded(body: Readable, headers: Record<string, string>): Promise<string> {
  // A declared length over the bound fails at once, before any of the body is read (none declared: NaN, read on).
  if (Number(headers["content-length"]) > MAX_RESPONSE_BYTES) {
    body.destroy();
    throw new TooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_RESPONSE_BYTES) {
      body.destroy();
      throw new TooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

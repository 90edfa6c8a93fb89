/**
 * A loopback fake of the ECR and ECR Public GetAuthorizationToken APIs
 * (awsJson1_1). It checks SigV4 signatures the way AWS does, so a test only
 * gets a token when the client signed with the right secret for the right
 * service, and each token names the key, region and service that minted it.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { listenOnLoopback } from "./loopback.js";

export interface FakeEcrKey {
  accessKeyId: string;
  secretAccessKey: string;
  /** When set, requests must carry exactly this X-Amz-Security-Token. */
  sessionToken?: string;
  /** Replaces the minted registry password (e.g. to test odd shapes). */
  password?: string;
}

export type FakeEcrFault =
  | { kind: "unknown-key" }
  | { kind: "access-denied" }
  | { kind: "expired-token" }
  | { kind: "throttle"; times: number }
  | { kind: "hang" }
  /** Accept the connection, read the request, then close it without a response. */
  | { kind: "close" }
  /** Answer 200 with a JSON body of about `bytes` bytes, sent in chunks (Content-Length declared only if asked). */
  | { kind: "huge"; bytes: number; declareLength?: boolean }
  | { kind: "malformed"; body?: string }
  | { kind: "server-error" }
  /** Answer 400 with this error type and message (e.g. one that echoes what the client sent). */
  | { kind: "error"; type: string; message: string }
  /** Answer exactly this (a proxy's error page, an error named only in a header). */
  | { kind: "raw"; status: number; body: string; headers?: Record<string, string> };

export interface FakeEcrRequest {
  accessKeyId: string;
  region: string;
  service: string;
  target: string;
}

export interface FakeEcr {
  url: string;
  requests: FakeEcrRequest[];
  /** Body bytes the last "huge" answer got written before the client stopped reading. */
  hugeBytesSent: number;
  setFault(fault: FakeEcrFault | undefined): void;
  /** Connections clients still hold open (keep-alive ones included). */
  openConnections(): Promise<number>;
  close(): Promise<void>;
}

const TARGETS: Record<string, { service: string; api: "private" | "public" }> = {
  "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken": { service: "ecr", api: "private" },
  "SpencerFrontendService.GetAuthorizationToken": { service: "ecr-public", api: "public" },
};

const TOKEN_LIFETIME_S = 12 * 60 * 60;

/** The payload and expiry inside a password minted by the fake. */
export function fakePasswordPayload(password: string): { payload: string; expiration: number } {
  return JSON.parse(Buffer.from(password, "base64").toString("utf8"));
}

/** What `payload` a token minted by the fake for this key, region and service carries. */
export function fakePayloadFor(accessKeyId: string, region: string, service: string): string {
  return `${accessKeyId}/${region}/${service}`;
}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();

function canonicalHeaders(req: IncomingMessage, names: string[]): string | undefined {
  let out = "";
  for (const name of names) {
    const raw = req.headers[name];
    if (raw === undefined) return undefined;
    const value = (Array.isArray(raw) ? raw.join(",") : raw).trim().replace(/\s+/g, " ");
    out += `${name}:${value}\n`;
  }
  return out;
}

function canonicalQuery(search: URLSearchParams): string {
  const enc = (s: string) =>
    encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return [...search.entries()]
    .map(([k, v]) => [enc(k), enc(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

type Verdict =
  | { ok: true; key: FakeEcrKey; record: FakeEcrRequest }
  | { ok: false; type: string; message: string; record?: FakeEcrRequest };

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/** 20240102T030405Z as milliseconds since the epoch. */
const amzTime = (text: string) => Date.parse(text.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z"));

/** A JSON object, as an awsJson1_1 request body must be. */
function isJsonObject(body: Buffer): boolean {
  try {
    const value: unknown = JSON.parse(body.toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

function verify(req: IncomingMessage, body: Buffer, keys: FakeEcrKey[], forceUnknown: boolean, nowMs: number, skewType: string): Verdict {
  const target = String(req.headers["x-amz-target"] ?? "");
  const api = TARGETS[target];
  if (!api) return { ok: false, type: "UnknownOperationException", message: "Unknown operation" };
  // The awsJson1_1 protocol: this content type and a JSON object body, or AWS refuses to read the request.
  if (req.method !== "POST" || req.headers["content-type"] !== "application/x-amz-json-1.1" || !isJsonObject(body)) {
    return { ok: false, type: "SerializationException", message: "Start of structure or map found where not expected." };
  }
  const m = AUTH.exec(String(req.headers.authorization ?? ""));
  if (!m) return { ok: false, type: "MissingAuthenticationTokenException", message: "Missing Authentication Token" };
  const [, accessKeyId = "", date = "", region = "", service = "", signedList = "", signature = ""] = m;
  const record = { accessKeyId, region, service, target };
  const key = keys.find((k) => k.accessKeyId === accessKeyId);
  const invalidToken = { ok: false as const, type: "UnrecognizedClientException", message: "The security token included in the request is invalid.", record };
  if (forceUnknown || !key) return invalidToken;
  if (service !== api.service) {
    return { ok: false, type: "InvalidSignatureException", message: `Credential should be scoped to correct service: '${api.service}'.`, record };
  }
  if (api.api === "public" && region !== "us-east-1") {
    return { ok: false, type: "InvalidSignatureException", message: `Credential should be scoped to a valid region.`, record };
  }
  const amzDate = String(req.headers["x-amz-date"] ?? "");
  if (!amzDate.startsWith(date)) {
    return { ok: false, type: "InvalidSignatureException", message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.", record };
  }
  // AWS refuses a request signed more than 5 minutes away from its own clock.
  const skew = amzTime(amzDate) - nowMs;
  if (!(Math.abs(skew) <= 5 * 60_000)) {
    const stamp = new Date(nowMs).toISOString().replace(/[-:]|\.\d+/g, "");
    const message = skewType === "InvalidSignatureException" ? `Signature expired: ${amzDate} is now ${skew < 0 ? "earlier" : "later"} than ${stamp} (5 min.)` : "The difference between the request time and the current time is too large.";
    return { ok: false, type: skewType, message, record };
  }
  const signed = signedList.split(";");
  if (!signed.includes("host") || !signed.includes("x-amz-date")) {
    return { ok: false, type: "InvalidSignatureException", message: "'Host' or 'x-amz-date' must be a signed header.", record };
  }
  const token = req.headers["x-amz-security-token"];
  if (key.sessionToken !== undefined) {
    if (token !== key.sessionToken || !signed.includes("x-amz-security-token")) return invalidToken;
  } else if (token !== undefined) {
    return invalidToken;
  }
  const headers = canonicalHeaders(req, signed);
  if (headers === undefined) {
    return { ok: false, type: "InvalidSignatureException", message: "A signed header is missing.", record };
  }
  const url = new URL(req.url ?? "/", "http://fake");
  const canonical = [req.method, url.pathname, canonicalQuery(url.searchParams), headers, signedList, sha256(body)].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
  let k = hmac(`AWS4${key.secretAccessKey}`, date);
  for (const part of [region, service, "aws4_request"]) k = hmac(k, part);
  const expected = Buffer.from(createHmac("sha256", k).update(toSign).digest("hex"));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return {
      ok: false,
      type: "InvalidSignatureException",
      message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
      record,
    };
  }
  return { ok: true, key, record };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/x-amz-json-1.1",
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": "00000000-0000-4000-8000-000000000000",
  });
  res.end(text);
}

const error = (res: ServerResponse, type: string, message: string, status = 400) =>
  send(res, status, { __type: type, message });

export interface FakeEcrOptions {
  keys: FakeEcrKey[];
  fault?: FakeEcrFault;
  /** Lifetime of minted tokens (default 12 hours). */
  lifetimeS?: number;
  /** Answer each request only after this long (a slow AWS, to make gets overlap). */
  delayMs?: number;
  /** How far the fake's clock (its Date header, the time it checks signatures against) is ahead of the real one. */
  clockOffsetMs?: number;
  /** The error a request signed too far from that clock gets (AWS services differ; default InvalidSignatureException). */
  skewType?: string;
  /** Serve HTTPS with this certificate (PEM files) instead of plain HTTP. */
  tls?: { certPath: string; keyPath: string };
}

export async function startFakeEcr(opts: FakeEcrOptions): Promise<FakeEcr> {
  let fault = opts.fault;
  let throttled = 0;
  const requests: FakeEcrRequest[] = [];

  const handle: RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => setTimeout(answer, opts.delayMs ?? 0));
    const answer = () => {
      const body = Buffer.concat(chunks);
      if (fault?.kind === "hang") return; // never answer; close() destroys the socket
      if (fault?.kind === "close") return void req.socket.destroy();
      const now = Date.now() + (opts.clockOffsetMs ?? 0);
      res.setHeader("date", new Date(now).toUTCString());
      const v = verify(req, body, opts.keys, fault?.kind === "unknown-key", now, opts.skewType ?? "InvalidSignatureException");
      if (v.record) requests.push(v.record);
      if (!v.ok) return error(res, v.type, v.message);
      const { record, key } = v;
      const arn = `arn:aws:iam::111122223333:user/${record.accessKeyId}`;
      switch (fault?.kind) {
        case "access-denied": {
          const action = record.service === "ecr" ? "ecr:GetAuthorizationToken" : "ecr-public:GetAuthorizationToken";
          return error(res, "AccessDeniedException", `User: ${arn} is not authorized to perform: ${action} on resource: * because no identity-based policy allows the ${action} action`);
        }
        case "expired-token":
          return error(res, "ExpiredTokenException", "The security token included in the request is expired");
        case "throttle":
          if (throttled < fault.times) {
            throttled++;
            return error(res, "ThrottlingException", "Rate exceeded");
          }
          break;
        case "malformed":
          return send(res, 200, fault.body ?? { authorizationData: [{ authorizationToken: "bm90LWEtdG9rZW4=", expiresAt: 1 }] });
        case "server-error":
          return error(res, "ServerException", "Internal error", 500);
        case "error":
          return error(res, fault.type, fault.message);
        case "raw":
          res.writeHead(fault.status, fault.headers ?? {});
          return void res.end(fault.body);
        case "huge":
          return sendHuge(res, fault.bytes, fault.declareLength === true);
      }
      const expiration = Math.floor(Date.now() / 1000) + (opts.lifetimeS ?? TOKEN_LIFETIME_S);
      const password =
        key.password ??
        Buffer.from(
          JSON.stringify({ payload: fakePayloadFor(record.accessKeyId, record.region, record.service), version: "2", type: "DATA_KEY", expiration }),
        ).toString("base64");
      const data = { authorizationToken: Buffer.from(`AWS:${password}`).toString("base64"), expiresAt: expiration };
      if (record.service === "ecr") {
        return send(res, 200, { authorizationData: [{ ...data, proxyEndpoint: `https://111122223333.dkr.ecr.${record.region}.amazonaws.com` }] });
      }
      return send(res, 200, { authorizationData: data });
    };
  };
  const server = opts.tls
    ? createTlsServer({ cert: readFileSync(opts.tls.certPath), key: readFileSync(opts.tls.keyPath) }, handle)
    : createServer(handle);

  /** `{"authorizationData":[{"authorizationToken":"AAAA…"}]}` streamed with backpressure, counting what the socket took. */
  function sendHuge(res: ServerResponse, bytes: number, declareLength: boolean): void {
    const head = '{"authorizationData":[{"authorizationToken":"';
    const tail = '"}]}';
    const chunk = Buffer.alloc(64 * 1024, "A");
    let left = Math.max(0, bytes - head.length - tail.length);
    fake.hugeBytesSent = 0;
    res.writeHead(200, {
      "content-type": "application/x-amz-json-1.1",
      ...(declareLength ? { "content-length": head.length + left + tail.length } : {}),
    });
    res.on("error", () => {});
    res.socket?.on("error", () => {});
    const pump = (): void => {
      while (left > 0 && !res.destroyed) {
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= piece.length;
        fake.hugeBytesSent += piece.length;
        if (!res.write(piece)) return void res.once("drain", pump);
      }
      if (!res.destroyed) res.end(tail);
    };
    res.write(head);
    pump();
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const fake: FakeEcr = {
    url: `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`,
    requests,
    hugeBytesSent: 0,
    setFault(f) {
      fault = f;
      throttled = 0;
    },
    openConnections() {
      return new Promise<number>((resolve, reject) => server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return fake;
}

/** A loopback port that accepts connections and never answers (an unresponsive IMDS or API). */
export function startBlackhole(): Promise<{ url: string; close(): Promise<void> }> {
  return listenOnLoopback(createServer(() => {}));
}

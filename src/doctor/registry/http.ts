import type { IncomingHttpHeaders } from "node:http";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Agents } from "../../net/agents.js";
import { describeProxyError, describeTlsError } from "../../net/problems.js";
import type { Env } from "../../registries.js";

/** What came back: status, headers and at most {@link MAX_BODY} bytes of body. */
export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface GetOptions {
  readonly agents: Agents;
  readonly env: Env;
  readonly signal: AbortSignal;
  readonly authorization?: string;
  /** Accept any certificate (what docker does over HTTPS for an insecure registry). */
  readonly skipVerify?: boolean;
}

/** A failure before any HTTP answer, already in words: DNS, refused, TLS, timeout. */
export class Unreachable extends Error {}

const MAX_BODY = 64 * 1024;

/** One GET, no redirects followed, bounded by `signal`; rejects with {@link Unreachable} only. */
export function get(url: URL, options: GetOptions): Promise<Answer> {
  const https = url.protocol === "https:";
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(
      url,
      {
        method: "GET",
        agent: https ? options.agents.https : options.agents.http,
        signal: options.signal,
        headers: {
          accept: "application/json",
          "user-agent": "docker-credential-codespaces-doctor",
          ...(options.authorization === undefined ? {} : { authorization: options.authorization }),
        },
        ...(https && options.skipVerify ? { rejectUnauthorized: false } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") });
        res.on("data", (chunk: Buffer) => {
          if (size >= MAX_BODY) return;
          chunks.push(chunk.subarray(0, MAX_BODY - size));
          size += chunk.length;
          if (size >= MAX_BODY) {
            res.destroy();
            done();
          }
        });
        res.on("end", done);
        res.on("error", (error) => reject(new Unreachable(describe(error, url, options))));
      },
    );
    req.on("error", (error) => reject(new Unreachable(describe(error, url, options))));
    req.end();
  });
}

const NETWORK: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host name not found (DNS)",
  EAI_AGAIN: "host name lookup failed (DNS)",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "connection timed out",
  EPROTO: "TLS handshake failed (is it plain HTTP?)",
  ERR_SSL_WRONG_VERSION_NUMBER: "TLS handshake failed: the server does not speak TLS (is it plain HTTP?)",
};

function describe(error: unknown, url: URL, { signal, env }: GetOptions): string {
  const e = error as NodeJS.ErrnoException & { reason?: unknown };
  const code = e.code ?? "";
  const where = url.origin;
  if (signal.aborted) return `${where}: no answer in time`;
  const named = describeProxyError(e, env, url.protocol === "http:" ? "http:" : "https:") ?? describeTlsError(e, url.host);
  if (named !== undefined) return named;
  const network = NETWORK[code] ?? (/wrong version number/i.test(e.message ?? "") ? NETWORK["ERR_SSL_WRONG_VERSION_NUMBER"] : undefined);
  return `${where}: ${network ?? "request failed"}${code ? ` (${code})` : ""}`;
}

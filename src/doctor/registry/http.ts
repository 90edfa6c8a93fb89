import type { IncomingHttpHeaders } from "node:http";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Agents } from "../../net/agents.js";
import { describeProxyError, describeTlsError } from "../../net/problems.js";
import type { Env } from "../../registries.js";

/** What came back: status, headers and at most 64 KiB of body. */
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

/** One GET, no redirects followed, bounded by `signal`; rejects with {@link Unreachable} only. */
export function get(url: URL, options: GetOptions): Promise<Answer> {
  const https = url.protocol === "https:";
  const MAX_BODY = 64 * 1024;
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(
      url,
      {
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
        // Once the cap is reached the response is destroyed, so no chunk follows.
        res.on("data", (chunk: Buffer) => {
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

function describe(error: unknown, url: URL, { signal, env }: GetOptions): string {
  const e = error as NodeJS.ErrnoException & { reason?: unknown };
  const code = e.code ?? "";
  const where = url.origin;
  if (signal.aborted) return `${where}: no answer in time`;
  // get() is only given http: and https: URLs (the registry's, or a realm that realmPolicy allowed).
  const named = describeProxyError(e, env, url.protocol as "http:" | "https:") ?? describeTlsError(e, url.host);
  if (named !== undefined) return named;
  const words: Record<string, string> = {
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
  const network = words[code] ?? (/wrong version number/i.test(String(e.message)) ? words["ERR_SSL_WRONG_VERSION_NUMBER"] : undefined);
  return `${where}: ${network ?? "request failed"}${code ? ` (${code})` : ""}`;
}

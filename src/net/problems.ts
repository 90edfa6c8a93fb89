/**
 * One-line descriptions of network failures that are not AWS's answer: a
 * certificate the client refused, a proxy that is down or refused us. Each
 * names the host and what to do; none contains a proxy password.
 */
import type { Env } from "../registries.js";
import { isIp, proxyEnvSupported, proxySetting } from "./proxy.js";
import { systemStoreSupported } from "./system-ca.js";

interface NodeError {
  code?: string;
  address?: string;
  hostname?: string;
  port?: number;
  statusCode?: number;
  cause?: NodeError;
  /** An SDK error for an HTTP answer, e.g. a forwarding proxy's 407. */
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

const asNodeError = (err: unknown): NodeError => (typeof err === "object" && err !== null ? (err as NodeError) : {});
const codeOf = (err: unknown): string | undefined => asNodeError(err).code ?? asNodeError(err).cause?.code;

const UNKNOWN_CA = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "CERT_UNTRUSTED",
]);

/** The TLS certificate problem behind `err` with a hint, or undefined if it is not one. */
export function describeTlsError(err: unknown, host: string): string | undefined {
  const code = codeOf(err);
  if (code === undefined) return undefined;
  if (UNKNOWN_CA.has(code)) return `the TLS certificate of ${host} is signed by an unknown certificate authority (${code}); ${caHint()}`;
  if (code === "DEPTH_ZERO_SELF_SIGNED_CERT") return `${host} presents a self-signed TLS certificate (${code}); ${caHint()}`;
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") {
    const when = code === "CERT_HAS_EXPIRED" ? "has expired" : "is not valid yet";
    return `the TLS certificate of ${host} ${when} (${code}); check the system clock, and the certificate of the server or of a TLS-inspecting proxy`;
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return `the TLS certificate presented for ${host} is for another host name (${code}); check AWS_ENDPOINT_URL* and any TLS-inspecting proxy`;
  }
  return undefined;
}

function caHint(): string {
  const extra = "or point NODE_EXTRA_CA_CERTS at the CA's PEM file";
  return systemStoreSupported()
    ? `if your network re-signs TLS with a company CA, install it in the system store (/usr/local/share/ca-certificates, then update-ca-certificates) ${extra}`
    : `if your network re-signs TLS with a company CA, point NODE_EXTRA_CA_CERTS at its PEM file (Node ${process.versions.node} does not read the system store)`;
}

const CONNECT_FAILURES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT"]);

/**
 * `err` as a proxy problem: the proxy cannot be reached, wants credentials,
 * or could not connect onwards. Undefined when the proxy is not involved
 * (always so on Node lines that ignore proxy variables: nothing goes to it).
 */
export function describeProxyError(err: unknown, env: Env, protocol: "https:" | "http:"): string | undefined {
  const proxy = proxySetting(env, protocol);
  if (proxy === undefined) return undefined;
  const e = asNodeError(err);
  const code = codeOf(err);
  const status = e.statusCode ?? e.cause?.statusCode ?? e.$metadata?.httpStatusCode;
  const from = `the proxy ${proxy.url} (${proxy.variable})`;
  // AWS APIs never challenge for Basic auth: a 401 with one, on a forwarded
  // http:// request, is a proxy that answers 401 instead of 407 (tinyproxy).
  const challenged = status === 401 && e.$response?.headers?.["www-authenticate"] !== undefined;
  if (code === "ERR_PROXY_TUNNEL" || status === 407 || challenged) {
    if (status === 407 || status === 401) {
      return `${from} refused the request for lack of valid credentials (HTTP ${status}); set ${proxy.variable}=http://user:password@host:port with the proxy's credentials`;
    }
    return `${from} could not open a connection onwards${status ? ` (HTTP ${status})` : ""}; check the proxy, or list the host in NO_PROXY if it must be reached directly`;
  }
  if (code === undefined || !CONNECT_FAILURES.has(code)) return undefined;
  const where = e.address ?? e.hostname ?? e.cause?.address ?? e.cause?.hostname;
  const port = e.port ?? e.cause?.port;
  const sameHost = where === proxy.hostname || (where !== undefined && !isIp(proxy.hostname) && code !== "ENOTFOUND");
  if (!sameHost || (port !== undefined && port !== proxy.port)) return undefined;
  return `could not reach ${from} (${code}); check that the proxy is running, or fix or unset ${proxy.variable}`;
}

/**
 * What to add to a time-out or an unreachable endpoint when a proxy is set:
 * that it is in the way (unless NO_PROXY covers the host), or that this Node
 * line ignores it.
 */
export function proxyHint(env: Env, protocol: "https:" | "http:", node = process.versions.node): string {
  const proxy = proxySetting(env, protocol);
  if (proxy === undefined) return "";
  if (!proxyEnvSupported(node)) {
    return `; note that Node ${node} ignores ${proxy.variable} (proxies need Node >= 22.21 or 24.5, or the single executable)`;
  }
  return `; requests go through the proxy ${proxy.url} (${proxy.variable}) unless NO_PROXY covers the host: check it too`;
}

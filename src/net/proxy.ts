/**
 * Proxy settings from the environment, shaped for Node's `proxyEnv` agent
 * option, and the facts about them that messages need. Never a password.
 */
import { isIPv4, isIPv6 } from "node:net";
import { HelperError } from "../errors.js";
import type { Env } from "../registries.js";
import { proxyValue } from "./proxy-value.js";

export { proxyPasswords } from "./proxy-value.js";

type ProxyEnv = Record<"HTTP_PROXY" | "HTTPS_PROXY" | "NO_PROXY", string | undefined>;

/** Node >= 24.5 and 22.21 agents take `proxyEnv`; older ones ignore it and connect directly. */
export function proxyEnvSupported(version = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 24 || (major === 24 && minor >= 5) || (major === 22 && minor >= 21);
}

/**
 * What to hand Node: the proxies as the variables name them (lower case wins,
 * as in curl and Node), and NO_PROXY rewritten into the forms Node matches.
 * Undefined when no proxy is configured.
 */
export function proxyEnv(env: Env): ProxyEnv | undefined {
  const http = usableProxy(env, "http_proxy") ?? usableProxy(env, "HTTP_PROXY");
  const https = usableProxy(env, "https_proxy") ?? usableProxy(env, "HTTPS_PROXY");
  if (!http && !https) return undefined;
  const noProxy = env["no_proxy"] || env["NO_PROXY"];
  return { HTTP_PROXY: http, HTTPS_PROXY: https, NO_PROXY: noProxy ? normaliseNoProxy(noProxy) : undefined };
}

/**
 * A proxy variable's value that Node can use. Node's agent would throw its
 * own error quoting the whole URL, password and all: say which variable
 * instead, never its value.
 */
function usableProxy(env: Env, name: string): string | undefined {
  const value = proxyValue(env, name);
  if (value !== undefined && !URL.canParse(value)) {
    throw new HelperError(`${name} is not a usable proxy URL; fix it (http://[user:password@]host:port, special characters percent-encoded) or unset it`);
  }
  return value;
}

/**
 * NO_PROXY in the usual forms (curl, Go) rewritten into what Node matches:
 * a bare domain also covers its subdomains (".example.com" in Node), an IPv4
 * CIDR becomes the address range Node understands. Kept as they are: "*",
 * ".suffix", "*.suffix", host:port, IP literals. IPv6 CIDR is not supported by Node.
 */
export function normaliseNoProxy(list: string): string {
  const out: string[] = [];
  for (const raw of list.split(/[\s,]+/)) {
    const entry = raw.toLowerCase().replace(/^\[(.*)\]$/, "$1");
    if (entry === "") continue;
    const range = ipv4CidrRange(entry);
    if (range) out.push(range);
    // A domain: dotted labels, the last with a letter (not an IP, not an IP range).
    else if (/^([a-z0-9-]+\.)+[a-z0-9-]*[a-z][a-z0-9-]*$/.test(entry)) out.push(`.${entry}`);
    else out.push(entry);
  }
  return out.join(",");
}

function ipv4CidrRange(entry: string): string | undefined {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(entry);
  if (!m || !isIPv4(m[1]!) || Number(m[2]) > 32) return undefined;
  const bits = Number(m[2]);
  const ip = m[1]!.split(".").reduce((n, part) => n * 256 + Number(part), 0);
  const size = 2 ** (32 - bits);
  const start = Math.floor(ip / size) * size;
  const dotted = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
  return `${dotted(start)}-${dotted(start + size - 1)}`;
}

export interface ProxySetting {
  /** The variable it came from, e.g. "HTTPS_PROXY". */
  readonly variable: string;
  /** The URL without user or password. */
  readonly url: string;
  readonly hostname: string;
  readonly port: number;
}

/** The proxy for https:// (or http://) requests, for messages. */
export function proxySetting(env: Env, protocol: "https:" | "http:"): ProxySetting | undefined {
  const names = protocol === "https:" ? ["https_proxy", "HTTPS_PROXY"] : ["http_proxy", "HTTP_PROXY"];
  const variable = names.find((n) => proxyValue(env, n));
  if (variable === undefined) return undefined;
  try {
    const u = new URL(proxyValue(env, variable)!);
    u.username = "";
    u.password = "";
    const hostname = u.hostname.replace(/^\[(.*)\]$/, "$1");
    return { variable, url: u.href, hostname, port: Number(u.port) || (u.protocol === "https:" ? 443 : 80) };
  } catch {
    return { variable, url: `the URL in ${variable}`, hostname: "", port: 0 };
  }
}

/** Strips user:password@ from every URL in `text`. */
export function withoutUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, "$1");
}

export const isIp = (host: string) => isIPv4(host) || isIPv6(host);

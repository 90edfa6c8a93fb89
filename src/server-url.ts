import { HelperError } from "./errors.js";

/**
 * The one normaliser for registry server strings. Both what a client asks for
 * and every `<ID>_CONTAINER_REGISTRY_SERVER` value go through it, and two
 * servers are the same registry only when their keys are equal: no substring,
 * suffix or prefix matching anywhere.
 */

/** Canonical key of Docker Hub, whatever spelling a client or secret uses. */
export const DOCKER_HUB_KEY = "docker.io";
/** How docker's config.json (and `list`) names Docker Hub. */
export const DOCKER_HUB_URL = "https://index.docker.io/v1/";

const DOCKER_HUB_HOSTS = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

// Host characters a registry reference can carry: DNS labels, IPv4, bracketed
// IPv6 and a port. Anything else ('%', '\\', '@', spaces …) is refused rather
// than interpreted, so lookalikes cannot parse into another host.
const AUTHORITY = /^(?:[a-z0-9._-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;
const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/**
 * `host[:port]` (lower case, IPv6 in brackets, default port dropped), with the
 * Docker Hub spellings folded into {@link DOCKER_HUB_KEY}.
 * @throws HelperError naming what is wrong with the string
 */
export function normaliseServer(raw: string): string {
  const input = raw.trim();
  if (input === "") throw new HelperError("invalid server URL: it is empty");
  const scheme = SCHEME.exec(input)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== "http" && scheme !== "https") {
    throw new HelperError(`invalid server URL: scheme "${scheme}" is not http or https`);
  }
  const rest = scheme === undefined ? input : input.slice(scheme.length + 3);
  const authority = rest.split(/[/?#]/, 1)[0] ?? "";
  if (authority.includes("@")) {
    throw new HelperError("invalid server URL: user information (user@host) is not allowed in a server");
  }
  if (!AUTHORITY.test(authority)) {
    throw new HelperError("invalid server URL: expected host[:port], optionally with http:// or https://");
  }
  let url: URL;
  try {
    url = new URL(`${scheme ?? "https"}://${authority}`);
  } catch {
    throw new HelperError("invalid server URL: the host is not a valid host name or IP address");
  }
  // One trailing dot names the same DNS host; "host:443" is the same registry as "host".
  const host = url.hostname.replace(/\.$/, "");
  const port = url.port === "443" ? "" : url.port;
  if (host === "" || host.startsWith(".") || host.includes("..")) {
    throw new HelperError("invalid server URL: the host is not a valid host name or IP address");
  }
  if (port === "" && DOCKER_HUB_HOSTS.has(host)) return DOCKER_HUB_KEY;
  return port === "" ? host : `${host}:${port}`;
}

/** The name docker's config.json uses for a registry key: Docker Hub's URL, else the key itself. */
export function dockerConfigName(key: string): string {
  return key === DOCKER_HUB_KEY ? DOCKER_HUB_URL : key;
}

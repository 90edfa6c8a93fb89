import { HelperError } from "./errors.js";
import { trimAsciiSpace } from "./trim.js";

/**
 * The one normaliser for registry server strings. Both what a client asks for
 * and every `<ID>_CONTAINER_REGISTRY_SERVER` value go through it, and two
 * servers are the same registry only when their keys are equal: no substring,
 * suffix or prefix matching anywhere.
 *
 * It folds only spellings that docker and containerd (Go) send to the same
 * host and port. It does not hand the host to a URL parser: the WHATWG parser
 * reads `127.1`, `2130706433` or `0x7f000001` as 127.0.0.1, Go does not.
 */

/** Canonical key of Docker Hub, whatever spelling a client or secret uses. */
export const DOCKER_HUB_KEY = "docker.io";
/** How docker's config.json (and `list`) names Docker Hub. */
export const DOCKER_HUB_URL = "https://index.docker.io/v1/";

const DOCKER_HUB_HOSTS = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

// Host characters a registry reference can carry: DNS labels, IPv4, bracketed
// IPv6 and a port, ASCII only (checked before any case folding, so that no
// Unicode letter can lower-case into ASCII). Anything else ('%', '\\', '@',
// spaces …) is refused rather than interpreted, so lookalikes cannot parse
// into another host.
const AUTHORITY = /^(?<host>[a-z0-9._-]+|\[(?<ipv6>[0-9a-f:.]+)\])(?::(?<port>[0-9]{1,5}))?$/i;
const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
// A label other parsers (WHATWG URL, inet_aton) read as a number: decimal, or 0x hex.
const NUMERIC_LABEL = /^(?:[0-9]+|0x[0-9a-f]*)$/i;
const DOTTED_QUAD = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;
const DEFAULT_PORT = 443;

const NOT_A_HOST = "invalid server URL: the host is not a valid host name or IP address";

/**
 * `host[:port]` (lower case, IPv6 in brackets, default port dropped), with the
 * Docker Hub spellings folded into {@link DOCKER_HUB_KEY}.
 * @throws HelperError naming what is wrong with the string
 */
export function normaliseServer(raw: string): string {
  const input = trimAsciiSpace(raw);
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
  const parts = AUTHORITY.exec(authority)?.groups;
  if (parts?.["host"] === undefined) {
    throw new HelperError("invalid server URL: expected host[:port], optionally with http:// or https://");
  }
  const host = parts["ipv6"] === undefined ? hostName(parts["host"]) : ipv6(parts["ipv6"]);
  const port = parts["port"] === undefined ? DEFAULT_PORT : Number(parts["port"]);
  if (port < 1 || port > 65535) throw new HelperError(NOT_A_HOST);
  if (port !== DEFAULT_PORT) return `${host}:${port}`;
  return DOCKER_HUB_HOSTS.has(host) ? DOCKER_HUB_KEY : host;
}

/** A DNS name (lower case, one trailing dot dropped) or a canonical dotted quad. */
function hostName(text: string): string {
  const dotted = text.endsWith(".");
  const name = (dotted ? text.slice(0, -1) : text).toLowerCase();
  const labels = name.split(".");
  if (labels.some((label) => label === "")) throw new HelperError(NOT_A_HOST);
  // No top-level domain is numeric: a numeric last label means an IPv4 address,
  // and only its canonical form is one. Other spellings are refused, not guessed.
  if (NUMERIC_LABEL.test(labels[labels.length - 1]!) && (dotted || !DOTTED_QUAD.test(name))) {
    throw new HelperError(
      `invalid server URL: ${JSON.stringify(text)} is not an IPv4 address written as a dotted quad (like 10.0.0.8); ` +
        "write the address as four decimal numbers, or use a host name",
    );
  }
  return name;
}

/** One spelling per IPv6 address (RFC 5952, as the URL parser prints it), in brackets. */
function ipv6(address: string): string {
  try {
    return new URL(`https://[${address}]/`).hostname;
  } catch {
    throw new HelperError(NOT_A_HOST);
  }
}

/** The name docker's config.json uses for a registry key: Docker Hub's URL, else the key itself. */
export function dockerConfigName(key: string): string {
  return key === DOCKER_HUB_KEY ? DOCKER_HUB_URL : key;
}

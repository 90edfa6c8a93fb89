import { isIP } from "node:net";

/**
 * Where `doctor` may send a registry's credentials to get a token. `docker
 * login` sends them to whatever realm the registry's challenge names;
 * `doctor` runs unasked, so it is stricter: HTTPS only (plain HTTP on
 * loopback), and only to the registry's own host or a host under the
 * registry's parent domain (auth.docker.io for registry-1.docker.io). The
 * parent must keep at least two labels, so a bare top-level domain (ghcr.io
 * → io) never counts; the registry host already receives the credentials
 * itself under Basic, so this only keeps them from unrelated hosts.
 */
export type RealmDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

export function realmPolicy(registryHost: string, realm: URL): RealmDecision {
  const realmHost = hostOf(realm.hostname);
  if (realm.protocol !== "https:" && !(realm.protocol === "http:" && isLoopback(realmHost))) {
    return { allowed: false, reason: `the token service ${realm.origin} is not HTTPS` };
  }
  const registry = hostOf(registryHost);
  if (realmHost === registry) return { allowed: true };
  const parent = parentDomain(registry);
  if (parent !== undefined && (realmHost === parent || realmHost.endsWith(`.${parent}`))) return { allowed: true };
  return {
    allowed: false,
    reason: `the token service ${realm.origin} is neither ${registry} nor under ${parent ?? registry}`,
  };
}

/** The host without port, brackets, trailing dot or upper case. */
function hostOf(host: string): string {
  let h = host.toLowerCase();
  if (h.startsWith("[")) h = h.slice(1, h.indexOf("]"));
  else if (isIP(h) === 0) h = h.replace(/:\d+$/, "");
  return h.replace(/\.$/, "");
}

/** `a.b.c` → `b.c`; nothing for IP addresses or hosts of fewer than three labels. */
function parentDomain(host: string): string | undefined {
  if (isIP(host) !== 0) return undefined;
  const labels = host.split(".");
  return labels.length >= 3 ? labels.slice(1).join(".") : undefined;
}

/** 127.0.0.0/8, ::1 and localhost: traffic that never leaves the machine. */
export function isLoopback(host: string): boolean {
  const h = hostOf(host);
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  return h === "::1" || /^::ffff:127\./.test(h);
}

import * as tls from "node:tls";

let done = false;

/**
 * Adds the system's trust store (/etc/ssl/certs, where company roots are
 * installed) to Node's default CAs, as docker and Go programs trust it.
 * "default" already holds the bundled roots and NODE_EXTRA_CA_CERTS, so both
 * keep working. Done once, on the first network call, never at start-up:
 * reading the store costs milliseconds the static path must not pay.
 * Node lines without these APIs (20, early 22) keep the bundled roots plus
 * NODE_EXTRA_CA_CERTS.
 */
export function trustSystemCertificates(): void {
  if (done) return;
  done = true;
  const api = tls as Partial<{
    getCACertificates(type: "default" | "system"): string[];
    setDefaultCACertificates(certs: readonly string[]): void;
  }>;
  if (!api.getCACertificates || !api.setDefaultCACertificates) return;
  try {
    const system = api.getCACertificates("system");
    if (system.length > 0) api.setDefaultCACertificates([...api.getCACertificates("default"), ...system]);
  } catch {
    // An unreadable or malformed system store leaves Node's own roots in force.
  }
}

/** Whether this Node reads the system store at all (for hints in messages). */
export function systemStoreSupported(): boolean {
  return typeof (tls as { setDefaultCACertificates?: unknown }).setDefaultCACertificates === "function";
}

import { readFileSync } from "node:fs";
import * as tls from "node:tls";
import type { Env } from "../registries.js";

/**
 * Where Linux distributions keep the system trust store as one PEM bundle
 * (the files Go's crypto/x509, and so docker, read). SSL_CERT_FILE, OpenSSL's
 * override, comes first.
 */
const BUNDLES = [
  "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Gentoo, Arch
  "/etc/pki/tls/certs/ca-bundle.crt", // Fedora, RHEL
  "/etc/ssl/ca-bundle.pem", // openSUSE
  "/etc/pki/tls/cacert.pem", // OpenELEC
  "/etc/ssl/cert.pem", // Alpine
];

type CaApi = Partial<{
  getCACertificates(type: "default" | "system"): string[];
  setDefaultCACertificates(certs: readonly string[]): void;
}>;

let done = false;

/**
 * Adds the system's trust store (where company roots are installed) to
 * Node's default CAs, as docker and Go programs trust it. "default" already
 * holds the bundled roots and NODE_EXTRA_CA_CERTS, so both keep working.
 * Done once, on the first network call, never at start-up; and only the
 * certificates Node does not already have are added, because parsing the
 * whole store again costs tens of ms of every mint. Node lines without
 * setDefaultCACertificates (20, early 22) keep bundled + NODE_EXTRA_CA_CERTS.
 */
export function trustSystemCertificates(env: Env): void {
  if (done) return;
  done = true;
  const api = tls as CaApi;
  if (!api.getCACertificates || !api.setDefaultCACertificates) return;
  try {
    const system = systemBundle(env) ?? api.getCACertificates("system");
    const defaults = api.getCACertificates("default");
    // Compared by body: Debian's store and Node's differ in text for every certificate.
    const known = new Set(defaults.map(body));
    const added = system.filter((pem) => !known.has(body(pem)));
    if (added.length > 0) api.setDefaultCACertificates([...defaults, ...added]);
  } catch {
    // An unreadable or malformed store leaves Node's own roots in force.
  }
}

/** The certificates of the first system bundle file that exists, or undefined. */
function systemBundle(env: Env): string[] | undefined {
  for (const file of [env["SSL_CERT_FILE"], ...BUNDLES]) {
    if (!file) continue;
    let text: string;
    try {
      text = readFileSync(file, "latin1");
    } catch {
      continue;
    }
    return text.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  }
  return undefined;
}

/**
 * A PEM certificate without white space, for comparing across line-ending and wrapping styles
 * (header and footer are the same in every one). About 2 ms over Node's roots and Debian's store.
 */
const body = (pem: string) => pem.replace(/\s+/g, "");

/** Whether this Node reads the system store at all (for hints in messages). */
export function systemStoreSupported(): boolean {
  return typeof (tls as CaApi).setDefaultCACertificates === "function";
}

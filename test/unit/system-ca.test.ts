import { describe, beforeEach, afterEach, expect, it, vi } from "vitest";

// The system store is merged through node:tls's CA API (Node >= 22.19 / 24.5). Stand-ins for that API
// and for the files read run the merge on every Node line and on any machine, and a fresh module per
// test resets its once-per-process flag.
const pem = (name: string, eol = "\n") =>
  ["-----BEGIN CERTIFICATE-----", `MIIB${name}AAAAbbbbCCCCddddEEEEffff`, `${name}GGGGhhhhIIIIjjjjKKKK==`, "-----END CERTIFICATE-----"].join(eol);
const A = pem("Aa");
const B = pem("Bb");
const C = pem("Cc");
const D = pem("Dd");

let files: Map<string, string>;
let set: Array<readonly string[]>;
let defaults: string[];
let system: string[] | Error;
let setThrows: boolean;
beforeEach(() => {
  files = new Map();
  set = [];
  defaults = [A, B];
  system = [];
  setThrows = false;
  vi.resetModules();
  vi.doMock("node:tls", () => ({
    getCACertificates: (type: string) => {
      if (type === "default") return defaults;
      if (type !== "system") throw new Error(`no such store: ${type}`);
      if (system instanceof Error) throw system;
      return system;
    },
    setDefaultCACertificates: (certs: readonly string[]) => {
      if (setThrows) throw new Error("bad certificate");
      set.push(certs);
    },
  }));
  vi.doMock("node:fs", () => ({
    readFileSync: (path: string, encoding: string) => {
      const text = files.get(path);
      if (text === undefined || encoding !== "latin1") throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
      return text;
    },
  }));
});
afterEach(() => {
  vi.doUnmock("node:tls");
  vi.doUnmock("node:fs");
});

async function trust(env: Record<string, string | undefined> = {}) {
  vi.resetModules();
  const { trustSystemCertificates } = await import("../../src/net/system-ca.js");
  trustSystemCertificates(env);
  return trustSystemCertificates;
}

describe("trusting the system certificate store", () => {
  it("adds, once, only the certificates Node does not have (same text, or same body in other line endings)", async () => {
    files.set("/etc/ssl/certs/ca-certificates.crt", `# comment\n${A}\n\n${pem("Bb", "\r\n")}\n${C}\ntrailing text\n`);
    const again = await trust();
    expect(set).toEqual([[A, B, C]]);
    files.set("/etc/ssl/certs/ca-certificates.crt", D);
    again({});
    expect(set).toHaveLength(1);
  });

  it("reads SSL_CERT_FILE first, then the distributions' bundles in turn, then Node's view of the system store", async () => {
    files.set("/etc/ssl/cert.pem", D);
    files.set("/tmp/company.pem", C);
    await trust({ SSL_CERT_FILE: "/tmp/company.pem" });
    await trust({ SSL_CERT_FILE: "/tmp/missing.pem" });
    files.set("/etc/pki/tls/certs/ca-bundle.crt", C);
    await trust({ SSL_CERT_FILE: "" });
    files.clear();
    system = [D];
    await trust();
    expect(set).toEqual([
      [A, B, C],
      [A, B, D],
      [A, B, C],
      [A, B, D],
    ]);
  });

  it("finds the bundle where each distribution keeps it", async () => {
    const bundles = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/ca-bundle.pem", "/etc/pki/tls/cacert.pem", "/etc/ssl/cert.pem"];
    for (const path of bundles) {
      files.clear();
      files.set(path, C);
      await trust();
    }
    expect(set).toEqual(bundles.map(() => [A, B, C]));
  });

  it("changes nothing when the store holds only what Node has, or no certificate at all", async () => {
    files.set("/tmp/same.pem", `${B}\n${A}\n`);
    files.set("/tmp/crlf.pem", pem("Aa", "\r\n"));
    // The same certificate with its base64 wrapped at another width.
    files.set("/tmp/wrapped.pem", A.replace(/(AAAAbbbbCCCCddddEEEEffff)\n/, "$1"));
    files.set("/tmp/empty.pem", "no certificates here\n");
    system = [C];
    for (const SSL_CERT_FILE of ["/tmp/same.pem", "/tmp/crlf.pem", "/tmp/wrapped.pem", "/tmp/empty.pem"]) await trust({ SSL_CERT_FILE });
    expect(set).toEqual([]);
  });

  it("keeps Node's own roots, and throws nothing, when the store cannot be read or merged", async () => {
    system = new Error("unreadable store");
    await expect(trust()).resolves.toBeTypeOf("function");
    setThrows = true;
    files.set("/tmp/new.pem", C);
    await expect(trust({ SSL_CERT_FILE: "/tmp/new.pem" })).resolves.toBeTypeOf("function");
    expect(set).toEqual([]);
  });

  it("leaves a Node line without the CA API alone, and says whether this one reads the system store", async () => {
    const { systemStoreSupported } = await import("../../src/net/system-ca.js");
    expect(systemStoreSupported()).toBe(true);
    let asked = 0;
    vi.doMock("node:tls", () => ({ getCACertificates: () => [C, asked++][0], setDefaultCACertificates: undefined }));
    files.set("/tmp/new.pem", C);
    const trustOld = await trust({ SSL_CERT_FILE: "/tmp/new.pem" });
    expect(asked).toBe(0);
    const { systemStoreSupported: oldSupported } = await import("../../src/net/system-ca.js");
    expect(oldSupported()).toBe(false);
    expect(trustOld).toBeTypeOf("function");
  });

  it("points a certificate problem at the system store where Node reads it, else at NODE_EXTRA_CA_CERTS alone", async () => {
    const unknownCa = Object.assign(new Error("x"), { code: "SELF_SIGNED_CERT_IN_CHAIN" });
    const { describeTlsError } = await import("../../src/net/problems.js");
    expect(describeTlsError(unknownCa, "h")).toBe(
      "the TLS certificate of h is signed by an unknown certificate authority (SELF_SIGNED_CERT_IN_CHAIN); if your network re-signs TLS with a company CA, install it in the system store (/usr/local/share/ca-certificates, then update-ca-certificates) or point NODE_EXTRA_CA_CERTS at the CA's PEM file",
    );
    vi.doMock("node:tls", () => ({ getCACertificates: undefined, setDefaultCACertificates: undefined }));
    vi.resetModules();
    const old = await import("../../src/net/problems.js");
    expect(old.describeTlsError(unknownCa, "h")).toBe(
      `the TLS certificate of h is signed by an unknown certificate authority (SELF_SIGNED_CERT_IN_CHAIN); if your network re-signs TLS with a company CA, point NODE_EXTRA_CA_CERTS at its PEM file (Node ${process.versions.node} does not read the system store)`,
    );
  });
});

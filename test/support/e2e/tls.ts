import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { requireProgram } from "./env.js";
import { runOk } from "./process.js";

export interface TestCa {
  readonly certPath: string;
  readonly keyPath: string;
  readonly dir: string;
}

export interface ServerCert {
  readonly certPath: string;
  readonly keyPath: string;
}

/** A throwaway CA (2 days, EC P-256) made with the openssl CLI in `dir`. */
export async function makeTestCa(dir: string): Promise<TestCa> {
  const openssl = requireProgram("openssl");
  const certPath = join(dir, "ca.crt");
  const keyPath = join(dir, "ca.key");
  await runOk(openssl, [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", keyPath, "-out", certPath, "-days", "2", "-subj", "/CN=docker-credential-codespaces e2e test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  return { certPath, keyPath, dir };
}

/** A server certificate signed by `ca` for the given DNS names and IP addresses. */
export async function issueServerCert(ca: TestCa, name: string, names: { dns?: readonly string[]; ips?: readonly string[] }): Promise<ServerCert> {
  const openssl = requireProgram("openssl");
  const keyPath = join(ca.dir, `${name}.key`);
  const csrPath = join(ca.dir, `${name}.csr`);
  const certPath = join(ca.dir, `${name}.crt`);
  const extPath = join(ca.dir, `${name}.ext`);
  const san = [...(names.dns ?? []).map((d) => `DNS:${d}`), ...(names.ips ?? []).map((ip) => `IP:${ip}`)].join(",");
  writeFileSync(
    extPath,
    `subjectAltName=${san}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`,
  );
  const cn = names.dns?.[0] ?? names.ips?.[0] ?? "localhost";
  await runOk(openssl, ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyPath, "-out", csrPath, "-subj", `/CN=${cn}`]);
  await runOk(openssl, [
    "x509", "-req", "-in", csrPath, "-CA", ca.certPath, "-CAkey", ca.keyPath, "-CAcreateserial",
    "-out", certPath, "-days", "2", "-extfile", extPath,
  ]);
  return { certPath, keyPath };
}

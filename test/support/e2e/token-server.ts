import { createPrivateKey, randomUUID, sign, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Login } from "./clients.js";
import type { TestCa } from "./tls.js";

/**
 * A loopback token service for the distribution registry's token auth
 * (docs/spec/auth/token.md and jwt.md of distribution): it checks Basic
 * credentials and issues ES256 JWTs whose header carries the signing
 * certificate in `x5c`; the registry trusts them through
 * `auth.token.rootcertbundle` holding that same certificate.
 */

export interface TokenRequest {
  readonly account: string | null;
  readonly service: string | null;
  readonly clientId: string | null;
  readonly offlineToken: string | null;
  readonly scope: string | null;
  /** The Basic user name sent (never the password). */
  readonly user: string | null;
  readonly granted: boolean;
}

export interface TokenServer {
  /** The realm URL to configure in the registry. */
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** The certificate the registry must trust (rootcertbundle). */
  readonly rootCertBundle: string;
  readonly requests: TokenRequest[];
  /** Every token issued, so tests can check none was printed. */
  readonly issued: string[];
  close(): Promise<void>;
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");

export async function startTokenServer(options: { users: readonly Login[]; signer: TestCa; address?: string }): Promise<TokenServer> {
  const address = options.address ?? "127.0.0.1";
  const service = "doctor-e2e-registry";
  const issuer = "doctor-e2e-token-service";
  const key = createPrivateKey(readFileSync(options.signer.keyPath));
  const der = new X509Certificate(readFileSync(options.signer.certPath)).raw.toString("base64");
  const requests: TokenRequest[] = [];
  const issued: string[] = [];

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://token.invalid");
    const [scheme, encoded] = (req.headers.authorization ?? "").split(" ");
    const decoded = scheme === "Basic" && encoded ? Buffer.from(encoded, "base64").toString("utf8") : "";
    const colon = decoded.indexOf(":");
    const user = colon < 0 ? null : decoded.slice(0, colon);
    const granted = colon >= 0 && options.users.some((u) => u.user === user && u.password === decoded.slice(colon + 1));
    const q = (name: string) => url.searchParams.get(name);
    requests.push({ account: q("account"), service: q("service"), clientId: q("client_id"), offlineToken: q("offline_token"), scope: q("scope"), user, granted });
    if (url.pathname !== "/token") {
      res.writeHead(404).end();
      return;
    }
    if (!granted) {
      res.writeHead(401, { "content-type": "application/json", "www-authenticate": 'Basic realm="doctor-e2e-token"' });
      res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }));
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: "JWT", alg: "ES256", x5c: [der] };
    const claims = { iss: issuer, sub: user, aud: q("service") ?? "", exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access: [] };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    // JOSE ES256 signatures are r||s, not DER.
    const signature = sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
    const token = `${input}.${b64url(signature)}`;
    issued.push(token);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date(now * 1000).toISOString() }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, address, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://${address}:${port}/token`,
    service,
    issuer,
    rootCertBundle: options.signer.certPath,
    requests,
    issued,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent as HttpAgent, createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import type { Duplex } from "node:stream";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { checkRegistry, type RegistryCheck } from "../../src/doctor/registry/check.js";
import { createAgents } from "../../src/net/agents.js";
import { issueServerCert, makeTestCa } from "../support/e2e/tls.js";
import { closedLoopbackPort } from "../support/loopback.js";

// The verdicts the real-registry suite (test/e2e/doctor.test.ts) cannot
// provoke from the distribution registry: odd answers from a loopback server.

const SECRET = "unit-Secret-Value-1";
let server: Server | undefined;
const seen: { path: string; authorization: string | undefined }[] = [];

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server?.closeAllConnections();
  server = undefined;
  seen.length = 0;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse, origin: string) => void): Promise<string> {
  let origin = "";
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? "", authorization: req.headers.authorization });
    handler(req, res, origin);
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", () => resolve()));
  origin = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return origin;
}

/** Runs the check; whatever the verdict, it never carries the secret or the Basic header made of it. */
const check = async (host: string, extra: Partial<RegistryCheck> = {}) => {
  const verdict = await checkRegistry({ host, credentials: { username: "me", secret: SECRET }, agents: createAgents({}), env: {}, insecure: true, timeoutMs: 5_000, clientId: "test", ...extra });
  expect(verdict.message).not.toContain(SECRET);
  expect(verdict.message).not.toContain(Buffer.from(`me:${SECRET}`).toString("base64"));
  return verdict;
};

describe("checkRegistry verdicts", () => {
  it("200 with the registry header: open registry, no credentials sent", async () => {
    const host = await serve((_q, res) => res.writeHead(200, { "docker-distribution-api-version": "registry/2.0" }).end("{}"));
    expect(await check(host)).toEqual({ kind: "open", message: `open registry: http://${host}/v2/ answers without credentials over plain HTTP, as docker does for an insecure registry; nothing to verify` });
    expect(seen.map((s) => s.authorization)).toEqual([undefined]);
  });

  it("200 with an HTML page: not a registry", async () => {
    const host = await serve((_q, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html></html>"));
    expect((await check(host)).kind).toBe("not-registry");
  });

  it("401 without a challenge: not a registry docker can log in to, no credentials sent", async () => {
    const host = await serve((_q, res) => res.writeHead(401).end());
    expect(await check(host)).toMatchObject({ kind: "not-registry", message: expect.stringContaining("without a Basic or Bearer challenge") });
    expect(seen).toHaveLength(1);
  });

  it("a realm on another domain: not verified, and nothing is sent there or to the registry", async () => {
    const host = await serve((_q, res) => res.writeHead(401, { "www-authenticate": 'Bearer realm="https://auth.elsewhere.test/token",service="x"' }).end());
    expect(await check(host)).toEqual({
      kind: "unverified",
      message: "not verified: the token service https://auth.elsewhere.test is neither 127.0.0.1 nor under 127.0.0.1; doctor sends credentials only to the registry's own domain over HTTPS",
    });
    expect(seen.map((s) => s.authorization)).toEqual([undefined]);
  });

  it("a realm answering 200 without a token, and one whose token the registry refuses", async () => {
    let token = "";
    const host = await serve((req, res, origin) => {
      if (req.url?.startsWith("/token")) return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(token ? { token } : {}));
      res.writeHead(401, { "www-authenticate": `Bearer realm="http://${origin}/token"` }).end();
    });
    expect(await check(host)).toMatchObject({ kind: "failed", message: expect.stringContaining("answered 200 without a token") });
    token = "issued.token.value";
    expect(await check(host)).toMatchObject({ kind: "failed", message: expect.stringContaining("refused the token") });
    expect(seen.filter((s) => s.path.startsWith("/token")).every((s) => s.authorization === `Basic ${Buffer.from(`me:${SECRET}`).toString("base64")}`)).toBe(true);
  });

  it("a server that accepts and never answers (not even the TLS handshake): unreachable within the bound", async () => {
    const sockets: Socket[] = [];
    const silent = createNetServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
    const host = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      expect(await check(host, { timeoutMs: 300, insecure: false })).toEqual({ kind: "unreachable", message: `unreachable: https://${host}: no answer in time (bound: 0.3 s)` });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("a challenge only counts on a 401, and only a Basic or Bearer one", async () => {
    let answer: { status: number; challenge: string } = { status: 404, challenge: 'Basic realm="r"' };
    const host = await serve((_q, res) => res.writeHead(answer.status, { "www-authenticate": answer.challenge }).end());
    expect(await check(host)).toEqual({ kind: "not-registry", message: `not a registry: http://${host}/v2/ answered 404; check the SERVER value` });
    answer = { status: 401, challenge: "Negotiate abc, Digest realm=r" };
    expect(await check(host)).toEqual({ kind: "not-registry", message: `http://${host}/v2/ answered 401 without a Basic or Bearer challenge; not a registry docker can log in to` });
    expect(seen.map((s) => s.authorization)).toEqual([undefined, undefined]);
  });

  it("a 200 whose version header is not registry/2 and that is not JSON is no registry", async () => {
    const host = await serve((_q, res) => res.writeHead(200, { "docker-distribution-api-version": "other/1", "content-type": "text/html" }).end("x"));
    expect((await check(host)).kind).toBe("not-registry");
  });

  it("a fault in the helper itself is thrown, not reported as an unreachable registry", async () => {
    let realmPort = 0;
    // An agent that breaks when asked for a connection (to the realm's port, or to any).
    const broken = () =>
      Object.assign(new HttpAgent(), {
        createConnection(this: HttpAgent, options: { port?: number | string }, callback: (err: Error | null, stream: Duplex) => void) {
          if (realmPort === 0 || Number(options.port) === realmPort) throw new TypeError("helper bug");
          return HttpAgent.prototype.createConnection.call(this, options, callback);
        },
      });
    const host = await serve((req, res, origin) => {
      if (req.url?.startsWith("/token")) return void res.writeHead(200).end("{}");
      res.writeHead(401, { "www-authenticate": `Bearer realm="http://${origin.replace(/:\d+$/, `:${realmPort}`)}/token"` }).end();
    });
    const agents = () => ({ https: createAgents({}).https, http: broken() });
    await expect(check(host, { agents: agents() })).rejects.toThrow("helper bug");
    realmPort = await closedLoopbackPort();
    await expect(check(host, { agents: agents() })).rejects.toThrow("helper bug");
  });

  it("a secure (non-insecure) registry is never tried over plain HTTP", async () => {
    const host = await serve((_q, res) => res.writeHead(200, { "docker-distribution-api-version": "registry/2.0" }).end("{}"));
    expect(await check(host, { insecure: false })).toMatchObject({ kind: "unreachable", message: expect.stringContaining(`https://${host}: TLS handshake failed`) });
    expect(seen).toEqual([]);
  });
});

describe("checkRegistry: logging in as docker login does", () => {
  const BASIC = `Basic ${Buffer.from(`me:${SECRET}`).toString("base64")}`;
  const plain = " over plain HTTP, as docker does for an insecure registry";

  it("Basic: the credentials go to /v2/ and are accepted, rejected, or answered with an error", async () => {
    let status = 200;
    const host = await serve((req, res) => {
      if (req.headers.authorization === undefined) return void res.writeHead(401, { "www-authenticate": 'Basic realm="r"' }).end();
      res.writeHead(status).end();
    });
    expect(await check(host)).toEqual({ kind: "ok", message: `credentials accepted by http://${host}/v2/ (Basic${plain})` });
    expect(seen.map((s) => [s.path, s.authorization])).toEqual([
      ["/v2/", undefined],
      ["/v2/", BASIC],
    ]);
    for (status of [401, 403]) {
      expect(await check(host)).toEqual({ kind: "rejected", message: `credentials rejected: http://${host}/v2/ answered ${status} (Basic${plain})` });
    }
    status = 500;
    expect(await check(host)).toEqual({ kind: "failed", message: `http://${host}/v2/ answered 500 to the credentials (Basic${plain})` });
  });

  it("asks for JSON and names itself", async () => {
    const headers: Record<string, string | string[] | undefined>[] = [];
    const host = await serve((req, res) => {
      headers.push(req.headers);
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end("{}");
    });
    // A 200 in JSON is a registry even without its version header.
    expect(await check(host)).toMatchObject({ kind: "open" });
    expect(headers.at(-1)).toMatchObject({ accept: "application/json", "user-agent": "docker-credential-codespaces-doctor" });
  });

  it("not a registry: another status, or a 200 that is no registry API", async () => {
    let answer = { status: 404, type: "text/plain" };
    const host = await serve((_q, res) => res.writeHead(answer.status, { "content-type": answer.type }).end("x"));
    expect(await check(host)).toEqual({ kind: "not-registry", message: `not a registry: http://${host}/v2/ answered 404; check the SERVER value` });
    answer = { status: 200, type: "text/html" };
    expect(await check(host)).toEqual({ kind: "not-registry", message: `not a registry: http://${host}/v2/ answered 200 but not as a registry API; check the SERVER value` });
  });

  describe("Bearer: a token from the realm, then /v2/ with it", () => {
    let token: { status: number; body: string };
    let registry: number;
    const queries: URLSearchParams[] = [];
    const bearerHost = (challenge: (origin: string) => string) =>
      serve((req, res, origin) => {
        const url = new URL(req.url ?? "/", `http://${origin}`);
        if (url.pathname === "/token") {
          queries.push(url.searchParams);
          return void res.writeHead(token.status, { "content-type": "application/json" }).end(token.body);
        }
        if (req.headers.authorization === "Bearer issued-token") return void res.writeHead(registry).end();
        res.writeHead(401, { "www-authenticate": challenge(origin) }).end();
      });
    afterEach(() => {
      queries.length = 0;
    });

    it("asks for an offline token for the account, names the service and client, and logs in with it", async () => {
      token = { status: 200, body: JSON.stringify({ access_token: "issued-token" }) };
      registry = 200;
      const host = await bearerHost((origin) => `Bearer realm="http://${origin}/token",service="reg.test"`);
      const where = `the token service http://${host}/token`;
      expect(await check(host)).toEqual({ kind: "ok", message: `credentials accepted by http://${host}/v2/ (a token from ${where}${plain})` });
      expect([...queries[0]!.entries()]).toEqual([
        ["service", "reg.test"],
        ["account", "me"],
        ["client_id", "test"],
        ["offline_token", "true"],
      ]);
      expect(seen.map((s) => s.authorization)).toEqual([undefined, BASIC, "Bearer issued-token"]);
      registry = 500;
      expect(await check(host)).toEqual({ kind: "failed", message: `http://${host}/v2/ answered 500 to the credentials (a token from ${where}${plain})` });
    });

    it("without a service parameter, none is sent", async () => {
      token = { status: 200, body: JSON.stringify({ token: "issued-token", access_token: "other" }) };
      registry = 200;
      const host = await bearerHost((origin) => `Bearer realm="http://${origin}/token"`);
      expect(await check(host)).toMatchObject({ kind: "ok" });
      expect(queries[0]!.has("service")).toBe(false);
    });

    it("a registry that refuses the token its own token service issued", async () => {
      token = { status: 200, body: JSON.stringify({ token: "issued-token" }) };
      const host = await bearerHost((origin) => `Bearer realm="http://${origin}/token"`);
      for (registry of [401, 403]) {
        expect(await check(host)).toEqual({
          kind: "failed",
          message: `http://${host}/v2/ refused the token the token service http://${host}/token issued (${registry}); the registry and its token service disagree`,
        });
      }
    });

    it("the token service refuses the credentials, fails, or sends no usable token", async () => {
      registry = 200;
      const host = await bearerHost((origin) => `Bearer realm="http://${origin}/token"`);
      const where = `the token service http://${host}/token`;
      for (const status of [401, 403]) {
        token = { status, body: "" };
        expect(await check(host)).toEqual({ kind: "rejected", message: `credentials rejected: ${where} answered ${status}` });
      }
      token = { status: 503, body: "" };
      expect(await check(host)).toEqual({ kind: "failed", message: `${where} answered 503; try again later` });
      for (const body of ["not json", JSON.stringify({ token: "has space" }), JSON.stringify({ token: "" }), JSON.stringify({ token: 5 }), JSON.stringify({ token: "a", pad: "x".repeat(70 * 1024) })]) {
        token = { status: 200, body };
        expect(await check(host)).toEqual({ kind: "failed", message: `${where} answered 200 without a token` });
      }
    });

    it("a challenge without a usable realm, and a realm that does not answer", async () => {
      const host = await bearerHost(() => 'Bearer service="x"');
      expect(await check(host)).toEqual({ kind: "not-registry", message: `http://${host}/v2/ sent a Bearer challenge without a usable realm` });
      const port = await closedLoopbackPort();
      const dead = await bearerHost(() => `Bearer realm="http://127.0.0.1:${port}/token"`);
      expect(await check(dead)).toEqual({
        kind: "unreachable",
        message: `the token service http://127.0.0.1:${port}/token is unreachable: http://127.0.0.1:${port}: connection refused (ECONNREFUSED)`,
      });
    });
  });

  it("nothing listening: unreachable over both HTTPS and plain HTTP, each tried as docker does", async () => {
    const host = `127.0.0.1:${await closedLoopbackPort()}`;
    expect(await check(host)).toEqual({
      kind: "unreachable",
      message: `unreachable: http://${host}: connection refused (ECONNREFUSED) (tried HTTPS first, then plain HTTP as docker does for an insecure registry)`,
    });
    expect(await check(host, { insecure: false })).toEqual({ kind: "unreachable", message: `unreachable: https://${host}: connection refused (ECONNREFUSED)` });
  });
});

describe("checkRegistry over HTTPS, with a certificate no CA vouches for", () => {
  let tlsDir: string;
  let registry: HttpsServer;
  let host: string;
  const paths: string[] = [];
  beforeAll(async () => {
    tlsDir = mkdtempSync(join(tmpdir(), "doctor-tls-"));
    const cert = await issueServerCert(await makeTestCa(tlsDir), "registry", { ips: ["127.0.0.1"] });
    const good = `Basic ${Buffer.from(`me:${SECRET}`).toString("base64")}`;
    registry = createHttpsServer({ cert: readFileSync(cert.certPath), key: readFileSync(cert.keyPath) }, (req, res) => {
      paths.push(req.url ?? "");
      if (req.headers.authorization === good) return void res.writeHead(200).end();
      res.writeHead(401, { "www-authenticate": 'Basic realm="r"' }).end();
    });
    await new Promise<void>((resolve) => registry.listen(0, "127.0.0.1", () => resolve()));
    host = `127.0.0.1:${(registry.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    registry.closeAllConnections();
    await new Promise<void>((resolve) => registry.close(() => resolve()));
    rmSync(tlsDir, { recursive: true, force: true });
  });

  it("an insecure registry is checked over HTTPS without verifying the certificate, as docker does", async () => {
    expect(await check(host)).toEqual({ kind: "ok", message: `credentials accepted by https://${host}/v2/ (Basic)` });
    expect(paths).toEqual(["/v2/", "/v2/"]);
  });

  it("a secure one is not: the certificate is refused and nothing is sent", async () => {
    const verdict = await check(host, { insecure: false });
    expect(verdict.kind).toBe("unreachable");
    expect(verdict.message).toMatch(new RegExp(`^unreachable: .*${host.replace(/\./g, "\\.")}`));
  });
});

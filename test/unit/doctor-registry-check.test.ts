import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { checkRegistry, type RegistryCheck } from "../../src/doctor/registry/check.js";
import { createAgents } from "../../src/net/agents.js";

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

  it("a secure (non-insecure) registry is never tried over plain HTTP", async () => {
    const host = await serve((_q, res) => res.writeHead(200, { "docker-distribution-api-version": "registry/2.0" }).end("{}"));
    expect(await check(host, { insecure: false })).toMatchObject({ kind: "unreachable", message: expect.stringContaining(`https://${host}: TLS handshake failed`) });
    expect(seen).toEqual([]);
  });
});

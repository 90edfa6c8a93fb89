import { Agent as HttpAgent, createServer, type Server, type ServerResponse } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { get, Unreachable, type GetOptions } from "../../src/doctor/registry/http.js";
import { createAgents } from "../../src/net/agents.js";
import type { Env } from "../../src/registries.js";
import { closedLoopbackPort } from "../support/loopback.js";

// get() on its own: how much of a body it keeps, and the one line each way a
// request can fail says (doctor prints it after "unreachable: ").

let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(handler: (res: ServerResponse) => void): Promise<URL> {
  server = createServer((_req, res) => handler(res));
  server.on("connection", (socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", () => resolve()));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/`);
}

const options = (extra: Partial<GetOptions> = {}): GetOptions => ({ agents: createAgents({}), env: {}, signal: AbortSignal.timeout(3_000), ...extra });

/** Agents whose every connection fails at once with `error`, as a socket would. */
function failingAgents(error: object): GetOptions["agents"] {
  const fail = (_options: unknown, callback: (err: unknown) => void) => void process.nextTick(() => callback(error));
  return { http: Object.assign(new HttpAgent(), { createConnection: fail }), https: Object.assign(new HttpsAgent(), { createConnection: fail }) };
}

const failure = async (url: URL, extra: Partial<GetOptions>): Promise<string> => {
  const error: unknown = await get(url, options(extra)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Unreachable);
  return (error as Error).message;
};

describe("get: the body it keeps", () => {
  it("keeps a body sent in several chunks whole", async () => {
    const url = await serve((res) => {
      res.writeHead(200);
      res.write("a".repeat(1000));
      setImmediate(() => res.end("b".repeat(1000)));
    });
    const answer = await get(url, options());
    expect(answer).toMatchObject({ status: 200, body: "a".repeat(1000) + "b".repeat(1000) });
  });

  it("stops at 64 KiB, and answers then even if the server never ends the body", async () => {
    for (const size of [64 * 1024, 70 * 1024]) {
      const url = await serve((res) => {
        res.writeHead(200);
        res.write("x".repeat(size));
      });
      expect((await get(url, options())).body).toBe("x".repeat(64 * 1024));
      for (const socket of sockets.splice(0)) socket.destroy();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = undefined;
    }
  });
});

describe("get: why a request failed, in one line", () => {
  it("a connection cut in the middle of the body", async () => {
    const url = await serve((res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("partial", () => res.socket?.destroy());
    });
    expect(await failure(url, {})).toBe(`${url.origin}: connection reset (ECONNRESET)`);
  });

  it.each([
    ["ECONNREFUSED", "connection refused"],
    ["ECONNRESET", "connection reset"],
    ["ENOTFOUND", "host name not found (DNS)"],
    ["EAI_AGAIN", "host name lookup failed (DNS)"],
    ["EHOSTUNREACH", "host unreachable"],
    ["ENETUNREACH", "network unreachable"],
    ["ETIMEDOUT", "connection timed out"],
    ["EPROTO", "TLS handshake failed (is it plain HTTP?)"],
    ["ERR_SSL_WRONG_VERSION_NUMBER", "TLS handshake failed: the server does not speak TLS (is it plain HTTP?)"],
    ["EWHATEVER", "request failed"],
  ])("%s: %s", async (code, words) => {
    const url = new URL("https://registry.test:5000/v2/");
    expect(await failure(url, { agents: failingAgents(Object.assign(new Error("x"), { code })) })).toBe(`https://registry.test:5000: ${words} (${code})`);
  });

  it("without a code: a wrong TLS version named by its message, anything else as a failed request", async () => {
    const url = new URL("https://registry.test/v2/");
    expect(await failure(url, { agents: failingAgents(new Error("ssl3_get_record:Wrong Version Number")) })).toBe(
      "https://registry.test: TLS handshake failed: the server does not speak TLS (is it plain HTTP?)",
    );
    expect(await failure(url, { agents: failingAgents(new Error("something else")) })).toBe("https://registry.test: request failed");
    expect(await failure(url, { agents: failingAgents({}) })).toBe("https://registry.test: request failed");
  });

  it("a refused connection to the proxy of the URL's scheme names that proxy, and only that one", async () => {
    const port = await closedLoopbackPort();
    const proxy = `http://127.0.0.1:${port}`;
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED", address: "127.0.0.1", port });
    const agents = failingAgents(refused);
    const says = (url: string, env: Env) => failure(new URL(url), { agents, env });
    const named = (variable: string) => `could not reach the proxy ${proxy}/ (${variable}) (ECONNREFUSED); check that the proxy is running, or fix or unset ${variable}`;
    expect(await says("http://registry.test/v2/", { HTTP_PROXY: proxy })).toBe(named("HTTP_PROXY"));
    expect(await says("https://registry.test/v2/", { HTTPS_PROXY: proxy })).toBe(named("HTTPS_PROXY"));
    expect(await says("http://registry.test/v2/", { HTTPS_PROXY: proxy })).toBe("http://registry.test: connection refused (ECONNREFUSED)");
    expect(await says("https://registry.test/v2/", { HTTP_PROXY: proxy })).toBe("https://registry.test: connection refused (ECONNREFUSED)");
  });

  it("a certificate no CA vouches for is named as such", async () => {
    const error = Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
    expect(await failure(new URL("https://registry.test:5000/v2/"), { agents: failingAgents(error) })).toMatch(
      /^registry\.test:5000 presents a self-signed TLS certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\); /,
    );
  });
});

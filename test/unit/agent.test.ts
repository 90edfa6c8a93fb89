import { mkdtempSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { lookupKey } from "../../src/agent/client.js";
import { parseEcrHost } from "../../src/ecr/host.js";
import { mintEcrCredentials } from "../../src/ecr/mint.js";
import { startFakeEcr } from "../support/fake-ecr.js";
import { encode, lineReader, MAX_LINE_BYTES, Reply, Request } from "../../src/agent/message.js";

const KEYS = { accessKeyId: "AKIAFAKEKEY000000001", secretAccessKey: "secret-one" };
const REGISTRY = "111111111111.dkr.ecr.us-east-1.amazonaws.com";

describe("agent lookup key", () => {
  const key = (over: Partial<Parameters<typeof lookupKey>[0]> = {}) => lookupKey({ registry: REGISTRY, keys: KEYS, env: {}, ...over });

  it("is a SHA-256 digest that names no secret", () => {
    expect(key()).toMatch(/^[0-9a-f]{64}$/);
    expect(key()).toBe(key());
  });

  it("changes with the registry, every part of the keys, and every AWS_* setting or HOME", () => {
    const variants = [
      key(),
      key({ registry: "222222222222.dkr.ecr.us-east-1.amazonaws.com" }),
      key({ keys: { ...KEYS, secretAccessKey: "secret-two" } }),
      key({ keys: { ...KEYS, accessKeyId: "AKIAFAKEKEY000000002" } }),
      key({ keys: { ...KEYS, sessionToken: "session" } }),
      key({ keys: undefined }),
      key({ keys: undefined, env: { AWS_PROFILE: "dev" } }),
      key({ keys: undefined, env: { AWS_ROLE_ARN: "arn:aws:iam::1:role/r" } }),
      key({ keys: undefined, env: { AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://127.0.0.1/creds" } }),
      key({ keys: undefined, env: { HOME: "/home/other" } }),
    ];
    expect(new Set(variants).size).toBe(variants.length);
  });

  it("reads an unset variable and an empty session token as absent", () => {
    expect(key({ env: { AWS_PROFILE: undefined, HOME: undefined } })).toBe(key({ env: {} }));
    expect(key({ keys: { ...KEYS, sessionToken: "" } })).toBe(key());
  });

  it("ignores other variables and the order of the environment", () => {
    const env = { AWS_PROFILE: "dev", AWS_REGION: "eu-west-1" };
    expect(key({ env: { ...env, PATH: "/bin", GH_CONTAINER_REGISTRY_PASSWORD: "x" } })).toBe(key({ env }));
    expect(key({ env: { AWS_REGION: "eu-west-1", AWS_PROFILE: "dev" } })).toBe(key({ env }));
  });
});

describe("agent message format", () => {
  const read = <T>(schema: Parameters<typeof lineReader<T>>[0], ...chunks: string[]) => {
    const messages: Array<T | undefined> = [];
    const feed = lineReader(schema, (m) => messages.push(m));
    for (const chunk of chunks) feed(Buffer.from(chunk));
    return messages;
  };

  it("round-trips each message, across chunk boundaries", () => {
    const line = encode({ op: "put", secret: "token", expiresAt: 1_700_000_000_000 });
    expect(read(Request, line.slice(0, 7), line.slice(7))).toEqual([{ op: "put", secret: "token", expiresAt: 1_700_000_000_000 }]);
    expect(read(Reply, encode({ t: "wait" }) + encode({ t: "hit", secret: "s", expiresAt: 5 }))).toEqual([
      { t: "wait" },
      { t: "hit", secret: "s", expiresAt: 5 },
    ]);
  });

  it.each([
    ["not JSON", "garbage\n"],
    ["an unknown op", '{"op":"dump"}\n'],
    ["a key that is not a digest", '{"op":"get","key":"../../etc"}\n'],
    ["an empty secret", '{"op":"put","secret":"","expiresAt":1}\n'],
  ])("rejects %s", (_, line) => {
    expect(read(Request, line)).toEqual([undefined]);
  });

  it("rejects a line longer than the bound without buffering it", () => {
    expect(read(Reply, "x".repeat(MAX_LINE_BYTES + 1))).toEqual([undefined]);
  });
});

describe("what the agent learns from a mint", () => {
  it("is AWS's expiresAt, so that the token is served until 5 minutes before it", async () => {
    const fake = await startFakeEcr({ keys: [KEYS], lifetimeS: 3600 });
    try {
      const host = parseEcrHost(REGISTRY);
      if (host === undefined) throw new Error("not an ECR host");
      const before = Date.now();
      const minted = await mintEcrCredentials({ host, keys: KEYS, env: { AWS_ENDPOINT_URL_ECR: fake.url, AWS_EC2_METADATA_DISABLED: "true" } });
      const expiresAt = minted.expiresAt?.getTime() ?? 0;
      expect(expiresAt).toBeGreaterThan(before + 3590_000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000);
    } finally {
      await fake.close();
    }
  });
});

// The modules' constants are evaluated when a module is loaded. Loading them afresh inside a test
// makes the test the one that evaluates them (and so, under Stryker, the one run against their mutants).
describe("the agent's modules, as a helper loads them", () => {
  const fresh = async () => {
    vi.resetModules();
    return {
      message: await import("../../src/agent/message.js"),
      expiry: await import("../../src/agent/expiry.js"),
      place: await import("../../src/agent/place.js"),
      client: await import("../../src/agent/client.js"),
      server: await import("../../src/agent/server.js"),
    };
  };
  const digest = "0123456789abcdef".repeat(4);

  it("accept each request and reply of the wire format, exactly", async () => {
    const { message } = await fresh();
    const parse = (schema: typeof message.Request | typeof message.Reply, value: unknown) => {
      const messages: unknown[] = [];
      message.lineReader(schema as typeof message.Reply, (m) => messages.push(m))(Buffer.from(`${JSON.stringify(value)}\n`));
      return messages[0];
    };
    const token = { secret: "s", expiresAt: 5 };
    const requests = [{ op: "get", key: digest }, { op: "put", ...token }, { op: "fail" }, { op: "status" }, { op: "stop" }];
    for (const r of requests) expect(parse(message.Request, r)).toEqual(r);
    const replies = [
      { t: "hit", ...token },
      { t: "lease" },
      { t: "lease", stale: token },
      { t: "wait" },
      { t: "mint", stale: token },
      { t: "status", pid: 1, tokens: 2, leases: 3, idleExitMs: 4 },
      { t: "ok" },
    ];
    for (const r of replies) expect(parse(message.Reply, r)).toEqual(r);
    for (const key of [digest.toUpperCase(), `x${digest}`, `${digest}0`, digest.slice(1), "0"]) expect(parse(message.Request, { op: "get", key })).toBeUndefined();
    expect(parse(message.Request, { op: "put", expiresAt: 5 })).toBeUndefined();
    expect(parse(message.Reply, { t: "hit", secret: "s" })).toBeUndefined();
    expect(parse(message.Reply, { t: "get" })).toBeUndefined();
    expect(message.MAX_LINE_BYTES).toBe(65_536);
  });

  it("serve a token until 5 minutes before it expires", async () => {
    const { expiry } = await fresh();
    const now = 1_000_000_000;
    expect(expiry.servable({ secret: "s", expiresAt: now + 5 * 60_000 + 1 }, now)).toBe(true);
    expect(expiry.servable({ secret: "s", expiresAt: now + 5 * 60_000 }, now)).toBe(false);
  });

  it("read the idle time from DOCKER_CREDENTIAL_CODESPACES_AGENT_IDLE, else 30 minutes", async () => {
    const { server } = await fresh();
    expect(server.idleMs({ DOCKER_CREDENTIAL_CODESPACES_AGENT_IDLE: "61" })).toBe(61_000);
    expect(server.idleMs({})).toBe(30 * 60_000);
  });

  it("put the socket in docker-credential-codespaces/ under XDG_RUNTIME_DIR, and use none with DOCKER_CREDENTIAL_CODESPACES_AGENT=off", async () => {
    const { place, client } = await fresh();
    const runtime = mkdtempSync(join(tmpdir(), "agent-fresh-"));
    try {
      const mint = async () => ({ username: "AWS", secret: "direct" });
      expect(await client.throughAgent({ registry: "r", env: { XDG_RUNTIME_DIR: runtime, DOCKER_CREDENTIAL_CODESPACES_AGENT: "off" } }, mint)).toEqual({ username: "AWS", secret: "direct" });
      expect(existsSync(join(runtime, "docker-credential-codespaces"))).toBe(false);
      expect(place.socketPath({ XDG_RUNTIME_DIR: runtime })).toBe(join(runtime, "docker-credential-codespaces", "agent.sock"));
    } finally {
      rmSync(runtime, { recursive: true, force: true });
    }
  });
});

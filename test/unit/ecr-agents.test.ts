import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseEcrHost } from "../../src/ecr/host.js";
import { mintEcrCredentials } from "../../src/ecr/mint.js";
import { startFakeEcr, type FakeEcr } from "../support/fake-ecr.js";
import { startFakeSts, type FakeSts } from "../support/fake-sts.js";

// Every request of a mint, the default chain's STS call included, goes through the agents of
// net/agents (proxy and CA settings live there), and the ECR client's connection does not outlive the mint.
// The real agents are handed out and recorded, with the connections each one opened.
const made = vi.hoisted(() => [] as Array<{ agents: { http: unknown; https: unknown }; connections: number; sockets: Array<{ destroyed: boolean }> }>);
vi.mock("../../src/net/agents.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/net/agents.js")>();
  return {
    createAgents: (env: Record<string, string | undefined>) => {
      const agents = real.createAgents(env);
      const record = { agents, connections: 0, sockets: [] as Array<{ destroyed: boolean }> };
      for (const agent of [agents.http, agents.https] as unknown as Array<{ createConnection: (...a: unknown[]) => unknown }>) {
        const open = agent.createConnection.bind(agent);
        agent.createConnection = (...args: unknown[]) => {
          record.connections++;
          const socket = open(...args) as { destroyed: boolean };
          record.sockets.push(socket);
          return socket;
        };
      }
      made.push(record);
      return agents;
    },
  };
});

const ROLE_KEYS = { accessKeyId: "ASIAFAKEROLEKEY00001", secretAccessKey: "role-secret/RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR", sessionToken: "role-session" };
let dir: string;
let sts: FakeSts;
let ecr: FakeEcr;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ecr-agents-"));
  writeFileSync(join(dir, "token"), "web-token");
  sts = await startFakeSts({ token: "web-token", keys: ROLE_KEYS });
  ecr = await startFakeEcr({ keys: [ROLE_KEYS] });
});
afterAll(async () => {
  await sts.close();
  await ecr.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the connections of a mint", () => {
  it("go through the helper's agents, the default chain's STS call included, and the ECR one is closed after it", async () => {
    const env = {
      HOME: dir,
      AWS_CONFIG_FILE: join(dir, "config"),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, "credentials"),
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_ENDPOINT_URL_STS: sts.url,
      AWS_ENDPOINT_URL_ECR: ecr.url,
      AWS_ROLE_ARN: "arn:aws:iam::111122223333:role/fake",
      AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, "token"),
    };
    // Parts of the SDK read only process.env.
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    try {
      const host = parseEcrHost("123456789012.dkr.ecr.us-east-1.amazonaws.com");
      if (host === undefined) throw new Error("not ECR");
      const minted = await mintEcrCredentials({ host, env });
      expect(minted.username).toBe("AWS");
      expect(sts.calls).toEqual(["AssumeRoleWithWebIdentity"]);
      expect(ecr.requests.map((r) => r.accessKeyId)).toEqual([ROLE_KEYS.accessKeyId]);
      // One pair for the chain, one for the ECR client: each opened the one connection it needed.
      expect(made.map((m) => m.connections)).toEqual([1, 1]);
      // The ECR client is destroyed after its call, and its keep-alive connection with it. (The chain's
      // own STS client belongs to the SDK, which keeps its connection until the process exits.)
      expect(made[1]!.sockets.map((socket) => socket.destroyed)).toEqual([true]);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Identity } from "../../src/agent/client.js";
import { runInProcess } from "../support/fake-io.js";
import { triple } from "../support/triple.js";

// What the core hands the agent lookup: the agent keys its cache by a hash of this identity, so a
// triple's keys must be in it (a changed secret is then a different entry). Both the agent client
// and the minter are recorders here; their own behaviour is tested in agent*.test.ts and ecr-mint.test.ts.
const seen = vi.hoisted(() => [] as Identity[]);
vi.mock("../../src/agent/client.js", () => ({
  throughAgent: async (identity: Identity, mint: () => Promise<unknown>) => {
    seen.push(identity);
    return mint();
  },
}));
vi.mock("../../src/ecr/mint.js", () => ({
  mintEcrCredentials: async () => ({ username: "AWS", secret: "minted" }),
}));
beforeEach(() => {
  seen.length = 0;
});

const PRIVATE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

describe("the agent lookup gets the identity a mint would use", () => {
  it("a triple's registry, keys and environment", async () => {
    const env = { ...triple("ECR", PRIVATE, "AKIAKEY", "aws-secret"), ECR_CONTAINER_REGISTRY_SESSION_TOKEN: "tok" };
    expect((await runInProcess(["get"], { stdin: PRIVATE, env })).code).toBe(0);
    expect(seen).toEqual([{ registry: PRIVATE, env, keys: { accessKeyId: "AKIAKEY", secretAccessKey: "aws-secret", sessionToken: "tok" } }]);
  });

  it("no keys for the default chain (its environment is the identity)", async () => {
    const env = { AWS_PROFILE: "dev" };
    expect((await runInProcess(["get"], { stdin: PRIVATE, env })).code).toBe(0);
    expect(seen).toEqual([{ registry: PRIVATE, env }]);
  });
});

import { describe, expect, it, vi } from "vitest";
import { runInProcess } from "../support/fake-io.js";
import { triple } from "../support/triple.js";

// Start-up is a feature: the static verbs must not evaluate the AWS SDK or the
// mint module. Each of those modules is replaced by a wrapper that records when
// it is evaluated, so a static `import "./ecr/mint.js"` anywhere fails here.
const loaded = vi.hoisted(() => new Set<string>());
vi.mock("../../src/ecr/mint.js", async (original) => {
  loaded.add("src/ecr/mint.ts");
  return original();
});
// The SDK packages are stubs: evaluating them is what is detected, and the
// real ones would cost every mutant run a second of loading.
const stub = vi.hoisted(() => (name: string) => {
  loaded.add(name);
  class Refused {
    constructor() {
      throw new Error(`${name} is a stub in this test`);
    }
  }
  const refuse = () => {
    throw new Error(`${name} is a stub in this test`);
  };
  return { SignatureV4: Refused, NodeHttpHandler: Refused, defaultEndpointResolver: refuse, fromNodeProviderChain: () => () => Promise.reject(new Error("stub")) };
});
// Every AWS package the mint path imports (src/ecr/api.ts, src/ecr/mint.ts).
vi.mock("@aws-sdk/client-ecr/dist-es/endpoint/endpointResolver.js", () => stub("@aws-sdk/client-ecr"));
vi.mock("@aws-sdk/client-ecr-public/dist-es/endpoint/endpointResolver.js", () => stub("@aws-sdk/client-ecr-public"));
vi.mock("@smithy/signature-v4", () => stub("@smithy/signature-v4"));
vi.mock("@smithy/node-http-handler", () => stub("@smithy/node-http-handler"));
vi.mock("@aws-sdk/credential-providers", () => stub("@aws-sdk/credential-providers"));
vi.mock("../../src/net/agents.js", async (original) => {
  loaded.add("src/net/agents.ts");
  return original();
});

const ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const env = { ...triple("GH", "ghcr.io", "u", "p"), ...triple("ECR", ECR, "AKIAEXAMPLE", "aws-secret") };

describe("the static path loads no AWS code", () => {
  it.each([
    ["get", "ghcr.io", 0],
    ["get", "quay.io", 1],
    ["get", "public.ecr.aws.evil", 1],
    ["list", "", 0],
    ["store", JSON.stringify({ ServerURL: ECR, Username: "AWS", Secret: "x" }), 0],
    ["erase", ECR, 0],
    ["version", "", 0],
  ] as const)("%s %j", async (verb, stdin, code) => {
    const r = await runInProcess([verb], { stdin, env });
    expect(r.code).toBe(code);
    expect([...loaded]).toEqual([]);
  });

  it("an ECR USER=AWS pass-through loads nothing either", async () => {
    const r = await runInProcess(["get"], { stdin: ECR, env: triple("E", ECR, "AWS", "token") });
    expect(r.stdout).toContain('"Secret":"token"');
    expect([...loaded]).toEqual([]);
  });

  // Negative control, last: the detector does see a mint load the SDK.
  it("control: minting does load it, so the check above can fail", async () => {
    const r = await runInProcess(["get"], { stdin: ECR, env });
    expect(r.code).toBe(1); // a stub refused to resolve the endpoint
    expect(loaded).toContain("src/ecr/mint.ts");
    expect(loaded).toContain("@aws-sdk/client-ecr");
    expect(loaded).toContain("@smithy/signature-v4");
  });
});

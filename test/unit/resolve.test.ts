import { beforeEach, describe, expect, it, vi } from "vitest";
import type { MintRequest } from "../../src/ecr/mint.js";
import { HelperError, NoAwsCredentialsError } from "../../src/errors.js";
import { runInProcess } from "../support/fake-io.js";
import { triple } from "../support/triple.js";

// How the core hands ECR hosts to the minter, in-process: the minter is replaced
// by a recorder (its own behaviour is test/unit/ecr-mint.test.ts's business).
const minted = vi.hoisted(() => ({ requests: [] as unknown[], fail: undefined as Error | undefined }));
vi.mock("../../src/ecr/mint.js", () => ({
  mintEcrCredentials: async (req: MintRequest) => {
    minted.requests.push(req);
    if (minted.fail) throw minted.fail;
    return { username: "AWS", secret: `minted-for-${req.registry}` };
  },
}));
beforeEach(() => {
  minted.requests.length = 0;
  minted.fail = undefined;
});

const PRIVATE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const get = (server: string, env: Record<string, string>) => runInProcess(["get"], { stdin: server, env });

describe("ECR hosts go to the minter", () => {
  it("with exactly the triple's keys, its source and the host", async () => {
    const r = await get(PRIVATE, triple("ECR", PRIVATE, "AKIAKEY", "aws-secret"));
    expect(r).toEqual({ code: 0, stdout: `${JSON.stringify({ ServerURL: PRIVATE, Username: "AWS", Secret: `minted-for-${PRIVATE}` })}\n`, stderr: "" });
    expect(minted.requests).toEqual([
      {
        registry: PRIVATE,
        host: { kind: "private", account: "123456789012", region: "eu-west-1", fips: false, dualStack: false, domain: "amazonaws.com" },
        env: triple("ECR", PRIVATE, "AKIAKEY", "aws-secret"),
        source: "ECR_CONTAINER_REGISTRY_*",
        keys: { accessKeyId: "AKIAKEY", secretAccessKey: "aws-secret" },
      },
    ]);
  });

  it("with the session token of temporary keys", async () => {
    const env = { ...triple("ECR", PRIVATE, "ASIAKEY", "aws-secret"), ECR_CONTAINER_REGISTRY_SESSION_TOKEN: "tok" };
    await get(PRIVATE, env);
    expect(minted.requests).toEqual([expect.objectContaining({ keys: { accessKeyId: "ASIAKEY", secretAccessKey: "aws-secret", sessionToken: "tok" } })]);
  });

  it("without keys (the default chain) when no triple names the host", async () => {
    const env = { PATH: "/usr/bin" };
    expect((await get(PRIVATE, env)).code).toBe(0);
    expect(minted.requests).toEqual([{ registry: PRIVATE, host: expect.objectContaining({ kind: "private" }), env }]);
  });

  it("a non-ECR host without a triple is not found and never minted", async () => {
    expect(await get("quay.io", {})).toEqual({ code: 1, stdout: "credentials not found in native keychain\n", stderr: "" });
    expect(minted.requests).toEqual([]);
  });

  it("ECR Public with no AWS identity at all is not found (anonymous pulls work)", async () => {
    minted.fail = new NoAwsCredentialsError("public.ecr.aws: no AWS credentials found");
    expect(await get("public.ecr.aws", {})).toEqual({ code: 1, stdout: "credentials not found in native keychain\n", stderr: "" });
  });

  it.each([
    ["a private registry with no AWS identity", PRIVATE, new NoAwsCredentialsError("no AWS credentials found")],
    ["ECR Public with credentials that fail", "public.ecr.aws", new HelperError("public.ecr.aws: the access key id is unknown")],
  ])("%s is a real failure, said on stdout and stderr", async (_, host, error) => {
    minted.fail = error;
    expect(await get(host, {})).toEqual({ code: 1, stdout: `${error.message}\n`, stderr: `docker-credential-codespaces: ${error.message}\n` });
  });

  it("an ECR triple's failure is never turned into not found", async () => {
    minted.fail = new NoAwsCredentialsError("x");
    expect((await get("public.ecr.aws", triple("P", "public.ecr.aws", "AKIAKEY", "s"))).stdout).toBe("x\n");
  });
});

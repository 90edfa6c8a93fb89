import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseEcrHost } from "../../src/ecr/host.js";
import { mintEcrCredentials } from "../../src/ecr/mint.js";

// Every other ECR test points the call at a loopback fake with an endpoint
// override, which bypasses the endpoint rules. Here no override is set: the
// HTTP handler records the URL the request was built for and stops there, so
// nothing ever connects.
const resolved = vi.hoisted(() => [] as string[]);
const STOP = "stopped before sending";

vi.mock("@smithy/node-http-handler", async (original) => {
  const real = await original<typeof import("@smithy/node-http-handler")>();
  class NodeHttpHandler extends real.NodeHttpHandler {
    override async handle(request: { protocol?: string; hostname?: string; port?: number; path?: string }): Promise<never> {
      const { protocol, hostname, port, path } = request;
      resolved.push(`${protocol}//${hostname}${port ? `:${port}` : ""}${path}`);
      throw new Error(STOP);
    }
  }
  return { ...real, NodeHttpHandler };
});

const ENDPOINT_VARIABLES = ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL_ECR_PUBLIC", "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT", "AWS_REGION", "AWS_PROFILE"];
beforeEach(() => {
  resolved.length = 0;
  for (const name of ENDPOINT_VARIABLES) vi.stubEnv(name, undefined);
  vi.stubEnv("AWS_CONFIG_FILE", "/nonexistent/aws-config");
  vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials");
});
afterEach(() => vi.unstubAllEnvs());

const keys = { accessKeyId: "AKIAFAKEENDPOINT0001", secretAccessKey: "fake-endpoint-secret/EEEEEEEEEEEEEEEEEEEEEEE" };

/** The URL the SDK would have called for `registry`, with no endpoint override in force. */
async function endpointFor(registry: string, env: Record<string, string> = {}): Promise<string> {
  const host = parseEcrHost(registry);
  if (host === undefined) throw new Error(`not ECR: ${registry}`);
  const failed = mintEcrCredentials({ host, keys, env: { AWS_EC2_METADATA_DISABLED: "true", ...env }, limits: { maxAttempts: 1 } });
  await expect(failed).rejects.toThrow();
  expect(resolved).toHaveLength(1);
  // The failure names the URL the request went to, as the SDK resolved it.
  await expect(failed).rejects.toThrow(`${registry}: GetAuthorizationToken at ${resolved[0]} failed (Error): ${STOP}`);
  return resolved[0]!;
}

describe("the endpoint rules' URL for each ECR host form (no override)", () => {
  it.each([
    ["123456789012.dkr.ecr.us-east-1.amazonaws.com", "https://api.ecr.us-east-1.amazonaws.com/"],
    ["123456789012.dkr.ecr-fips.us-east-1.amazonaws.com", "https://api.ecr-fips.us-east-1.amazonaws.com/"],
    ["123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "https://api.ecr-fips.us-gov-west-1.amazonaws.com/"],
    ["123456789012.dkr-ecr.us-east-1.on.aws", "https://ecr.us-east-1.api.aws/"],
    ["123456789012.dkr-ecr-fips.us-east-1.on.aws", "https://ecr-fips.us-east-1.api.aws/"],
    ["123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "https://api.ecr.cn-north-1.amazonaws.com.cn/"],
    ["public.ecr.aws", "https://api.ecr-public.us-east-1.amazonaws.com/"],
  ])("%s -> %s", async (registry, url) => {
    expect(await endpointFor(registry)).toBe(url);
  });
});

describe("FIPS and dual-stack settings, read from the env the helper was given", () => {
  const PRIV = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
  it.each([
    ["AWS_USE_FIPS_ENDPOINT=true", { AWS_USE_FIPS_ENDPOINT: "true" }, "https://api.ecr-fips.us-east-1.amazonaws.com/"],
    ["AWS_USE_DUALSTACK_ENDPOINT=TRUE", { AWS_USE_DUALSTACK_ENDPOINT: "TRUE" }, "https://ecr.us-east-1.api.aws/"],
    ["both", { AWS_USE_FIPS_ENDPOINT: "true", AWS_USE_DUALSTACK_ENDPOINT: "true" }, "https://ecr-fips.us-east-1.api.aws/"],
    ["false leaves the standard endpoint", { AWS_USE_FIPS_ENDPOINT: "false", AWS_USE_DUALSTACK_ENDPOINT: "false" }, "https://api.ecr.us-east-1.amazonaws.com/"],
  ])("%s", async (_, env, url) => {
    expect(await endpointFor(PRIV, env)).toBe(url);
  });
});

describe("endpoint overrides, read from the env the helper was given", () => {
  const PRIV = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
  const A = "http://127.0.0.1:1/";
  const B = "http://127.0.0.1:2/";
  it.each([
    ["AWS_ENDPOINT_URL_ECR wins over AWS_ENDPOINT_URL", PRIV, { AWS_ENDPOINT_URL_ECR: A, AWS_ENDPOINT_URL: B }, A],
    ["AWS_ENDPOINT_URL alone", PRIV, { AWS_ENDPOINT_URL: B }, B],
    ["ECR's variable is not ECR Public's", "public.ecr.aws", { AWS_ENDPOINT_URL_ECR: A, AWS_ENDPOINT_URL: B }, B],
    ["AWS_ENDPOINT_URL_ECR_PUBLIC for ECR Public", "public.ecr.aws", { AWS_ENDPOINT_URL_ECR_PUBLIC: A, AWS_ENDPOINT_URL: B }, A],
    ["ECR Public's variable is not ECR's", PRIV, { AWS_ENDPOINT_URL_ECR_PUBLIC: A }, "https://api.ecr.us-east-1.amazonaws.com/"],
    ["an empty specific variable falls through", PRIV, { AWS_ENDPOINT_URL_ECR: "", AWS_ENDPOINT_URL: B }, B],
    ["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=TRUE ignores them all", PRIV, { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "TRUE", AWS_ENDPOINT_URL_ECR: A, AWS_ENDPOINT_URL: B }, "https://api.ecr.us-east-1.amazonaws.com/"],
    ["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false does not", PRIV, { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "false", AWS_ENDPOINT_URL_ECR: A }, A],
  ])("%s", async (_, registry, env, url) => {
    expect(await endpointFor(registry, env)).toBe(url);
  });
});

describe("the profile named in the env the helper was given", () => {
  // Documented (README, AWS ECR): the token call takes endpoint settings from the environment and
  // the registry's host name only; the profile still names the keys for the credential chain.
  it("does not take endpoint settings from the config file (here dual-stack) for the token call", async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "ecr-endpoint-profile-"));
    try {
      const file = join(dir, "config");
      writeFileSync(file, "[profile dev]\nuse_dualstack_endpoint = true\n");
      vi.stubEnv("AWS_CONFIG_FILE", file);
      expect(await endpointFor("123456789012.dkr.ecr.us-east-1.amazonaws.com", { AWS_PROFILE: "dev" })).toBe("https://api.ecr.us-east-1.amazonaws.com/");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});


import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { credentialsFor } from "../../src/doctor/credentials.js";
import { freshEachTest } from "../support/fresh.js";
import { readRegistries, type Env } from "../../src/registries.js";
import { fakePasswordPayload, fakePayloadFor, startFakeEcr, type FakeEcr } from "../support/fake-ecr.js";
import { closedLoopbackPort } from "../support/loopback.js";
import { triple } from "../support/triple.js";

// The online half of doctor's ECR token check (minting against a loopback
// fake of ECR, the agent off), and the daemon.json doctor reads for
// insecure registries, which the in-process doctor suites cannot point at a
// temp file.

const KEY = { accessKeyId: "AKIAFAKEDOCTORAAAAAA", secretAccessKey: "doctorSecret/aaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
const PRIVATE = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
const PUBLIC = "public.ecr.aws";

let fake: FakeEcr;
let home: string;
let deadUrl: string;

beforeAll(async () => {
  fake = await startFakeEcr({ keys: [KEY] });
  home = mkdtempSync(join(tmpdir(), "doctor-credentials-"));
  deadUrl = `http://127.0.0.1:${await closedLoopbackPort()}`;
});
afterEach(() => vi.unstubAllEnvs());
afterAll(async () => {
  await fake.close();
  rmSync(home, { recursive: true, force: true });
});

/** An environment whose AWS chain can only reach the fake; mirrored into process.env, which parts of the SDK read. */
function envFor(extra: Record<string, string> = {}): Env {
  const env: Record<string, string | undefined> = {
    HOME: home,
    DOCKER_CONFIG: join(home, ".docker"),
    REGISTRY_AUTH_FILE: join(home, "auth.json"),
    XDG_RUNTIME_DIR: home,
    AWS_CONFIG_FILE: join(home, "aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(home, "aws-credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_ENDPOINT_URL_ECR: fake.url,
    AWS_ENDPOINT_URL_ECR_PUBLIC: fake.url,
    AWS_ENDPOINT_URL: deadUrl,
    DOCKER_CREDENTIAL_CODESPACES_AGENT: "off",
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
    AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
    ...extra,
  };
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  return env;
}

/** The check and what the token's expiry line must say, read back from the minted token itself. */
const validFor = (secret: string) => {
  const expiry = new Date(fakePasswordPayload(secret).expiration * 1000);
  const minutes = Math.floor((expiry.getTime() - Date.now()) / 60_000);
  return `valid for ${Math.floor(minutes / 60)} h ${minutes % 60} min (until ${expiry.toISOString()})`;
};

describe("doctor's ECR token check, online", () => {
  it("mints with the triple's AWS keys and says how long the token is valid", async () => {
    const env = envFor(triple("E", PRIVATE, KEY.accessKeyId, KEY.secretAccessKey));
    const table = readRegistries(env);
    const step = await credentialsFor(PRIVATE, { kind: "triple", registry: table.complete[0]! }, table, env, false);
    expect(step.credentials?.username).toBe("AWS");
    expect(fakePasswordPayload(step.credentials!.secret).payload).toBe(fakePayloadFor(KEY.accessKeyId, "us-east-1", "ecr"));
    expect(step.check).toEqual({ name: "ecr token", ok: true, message: `a token was minted with the triple's AWS keys; ${validFor(step.credentials!.secret)}` });
  });

  it("mints with the AWS default credential chain for an ECR registry without a triple", async () => {
    const env = envFor({ AWS_ACCESS_KEY_ID: KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey });
    const step = await credentialsFor(PRIVATE, { kind: "default-chain" }, readRegistries(env), env, false);
    expect(step.check).toEqual({
      name: "ecr token",
      ok: true,
      message: `a token was minted with the AWS default credential chain; ${validFor(step.credentials!.secret)}`,
    });
  });

  it("without any AWS identity: ECR Public goes anonymous, a private registry fails with get's line", async () => {
    const env = envFor();
    const table = readRegistries(env);
    expect(await credentialsFor(PUBLIC, { kind: "default-chain" }, table, env, false)).toEqual({
      check: { name: "ecr token", ok: false, message: `no AWS credentials found for ${PUBLIC}, so pulls go anonymous` },
    });
    const step = await credentialsFor(PRIVATE, { kind: "default-chain" }, table, env, false);
    expect(step.credentials).toBeUndefined();
    expect(step.check?.ok).toBe(false);
    expect(step.check?.message.startsWith(`${PRIVATE}: `)).toBe(true);
  });

  it("offline, nothing is minted and nothing is said", async () => {
    const env = envFor(triple("E", PRIVATE, KEY.accessKeyId, KEY.secretAccessKey));
    const table = readRegistries(env);
    fake.requests.length = 0;
    expect(await credentialsFor(PRIVATE, { kind: "triple", registry: table.complete[0]! }, table, env, true)).toEqual({});
    expect(await credentialsFor(PRIVATE, { kind: "default-chain" }, table, env, true)).toEqual({});
    expect(fake.requests).toEqual([]);
  });

  it("a registry that is not ECR answers the triple as it is, with no check", async () => {
    const env = envFor(triple("G", "ghcr.io", "me", "ghcr-Secret-1"));
    const table = readRegistries(env);
    expect(await credentialsFor("ghcr.io", { kind: "triple", registry: table.complete[0]! }, table, env, false)).toEqual({
      credentials: { username: "me", secret: "ghcr-Secret-1" },
    });
    expect(await credentialsFor("ghcr.io", undefined, table, env, false)).toEqual({});
  });
});

describe("dockerd's insecure registries, from daemon.json", () => {
  // Loaded afresh per test: the daemon.json schema is set when the module loads.
  const files = freshEachTest(() => import("../../src/doctor/files.js"));
  const read = (text: string | undefined) => {
    const path = join(home, "daemon.json");
    rmSync(path, { force: true });
    if (text !== undefined) writeFileSync(path, text);
    return files.readClientFiles(envFor(), path);
  };

  it("are the file's insecure-registries list, and none when the file is missing, lacks the list or is not valid", async () => {
    expect((await read('{"insecure-registries": ["10.0.0.0/8", "registry.test:5000"], "debug": true}')).insecureRegistries).toEqual([
      "10.0.0.0/8",
      "registry.test:5000",
    ]);
    expect((await read('{"debug": true}')).insecureRegistries).toEqual([]);
    expect((await read('{"insecure-registries": "10.0.0.0/8"}')).insecureRegistries).toEqual([]);
    expect((await read(undefined)).insecureRegistries).toEqual([]);
  });
});

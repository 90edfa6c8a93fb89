import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { AwsKeys } from "../../src/credentials.js";
import { type EcrHost, parseEcrHost } from "../../src/ecr/host.js";
import { type MintRequest, mintEcrCredentials } from "../../src/ecr/mint.js";
import { ecrTokenExpiry } from "../../src/ecr/token.js";
import { HelperError, NOT_FOUND_MESSAGE } from "../../src/errors.js";
import { MAX_RESPONSE_BYTES } from "../../src/ecr/failure.js";
import { type FakeEcr, fakePasswordPayload, fakePayloadFor, startBlackhole, startFakeEcr } from "../support/fake-ecr.js";

const KEY_A = { accessKeyId: "AKIAFAKEAAAAAAAAAAAA", secretAccessKey: "secretA/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
const KEY_B = { accessKeyId: "AKIAFAKEBBBBBBBBBBBB", secretAccessKey: "secretB/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" };
const KEY_S = { accessKeyId: "ASIAFAKESSSSSSSSSSSS", secretAccessKey: "secretS/sssssssssssssssssssssssssssssssss", sessionToken: "session-token-SSSS" };
const AMBIENT = { accessKeyId: "AKIAFAKEAMBIENTXXXXX", secretAccessKey: "secretAmbient/xxxxxxxxxxxxxxxxxxxxxxxxxxx" };

const USE1 = host("123456789012.dkr.ecr.us-east-1.amazonaws.com");
const EUW1 = host("210987654321.dkr.ecr.eu-west-1.amazonaws.com");
const PUBLIC = host("public.ecr.aws");
const SOURCE = "ECR_CONTAINER_REGISTRY_*";

function host(name: string): EcrHost {
  const h = parseEcrHost(name);
  if (!h) throw new Error(`not ECR: ${name}`);
  return h;
}

/** A loopback port with nothing listening: any request to it is refused. */
async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

let fake: FakeEcr;
let deadUrl: string;
let home: string;
const warnings: string[] = [];

/** The env a test passes; mirrored into process.env because parts of the SDK read only that. */
function envFor(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    HOME: home,
    AWS_CONFIG_FILE: join(home, "config"),
    AWS_SHARED_CREDENTIALS_FILE: join(home, "credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_ENDPOINT_URL_ECR: fake.url,
    AWS_ENDPOINT_URL_ECR_PUBLIC: fake.url,
    // Safety net: any other AWS endpoint (STS, SSO, a mistake) is refused on loopback.
    AWS_ENDPOINT_URL: deadUrl,
    ...extra,
  };
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  return env;
}

function mint(req: Omit<MintRequest, "env"> & { env?: MintRequest["env"] }) {
  return mintEcrCredentials({ source: SOURCE, ...req, env: req.env ?? envFor() });
}

/** The HelperError a failing mint throws, checked for the invariants every message keeps. */
async function failure(req: Parameters<typeof mint>[0], hostName: string): Promise<string> {
  let caught: unknown;
  try {
    await mint(req);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(HelperError);
  const message = (caught as Error).message;
  expect(message.startsWith(`${hostName}: `)).toBe(true);
  expect(message).not.toMatch(/[\r\n]/);
  expect(message).not.toBe(NOT_FOUND_MESSAGE);
  for (const k of [req.keys, KEY_A, KEY_B, KEY_S, AMBIENT] as Array<AwsKeys | undefined>) {
    if (k) expect(message).not.toContain(k.secretAccessKey);
    if (k?.sessionToken) expect(message).not.toContain(k.sessionToken);
  }
  return message;
}

function payloadOf(secret: string): string {
  return fakePasswordPayload(secret).payload;
}

beforeAll(async () => {
  fake = await startFakeEcr({ keys: [KEY_A, KEY_B, KEY_S, AMBIENT] });
  deadUrl = await closedPortUrl();
  home = mkdtempSync(join(tmpdir(), "ecr-mint-test-"));
  const original = process.emitWarning.bind(process);
  vi.spyOn(process, "emitWarning").mockImplementation(((w: string | Error, ...rest: never[]) => {
    warnings.push(String(w));
    return original(w, ...rest);
  }) as typeof process.emitWarning);
});

beforeEach(() => {
  fake.setFault(undefined);
  fake.requests.length = 0;
  for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_EC2_METADATA_SERVICE_ENDPOINT"]) {
    vi.stubEnv(k, undefined);
  }
});

afterEach(() => {
  vi.unstubAllEnvs();
});

afterAll(async () => {
  await fake.close();
  rmSync(home, { recursive: true, force: true });
  vi.restoreAllMocks();
});

describe("minting with static keys", () => {
  it("signs with the given key for the registry's region and returns AWS + password", async () => {
    const a = await mint({ host: USE1, keys: KEY_A });
    const b = await mint({ host: EUW1, keys: KEY_B });
    expect(a.username).toBe("AWS");
    expect(payloadOf(a.secret)).toBe(fakePayloadFor(KEY_A.accessKeyId, "us-east-1", "ecr"));
    expect(payloadOf(b.secret)).toBe(fakePayloadFor(KEY_B.accessKeyId, "eu-west-1", "ecr"));
    expect(fake.requests.map((r) => [r.accessKeyId, r.region, r.service])).toEqual([
      [KEY_A.accessKeyId, "us-east-1", "ecr"],
      [KEY_B.accessKeyId, "eu-west-1", "ecr"],
    ]);
    const expiry = ecrTokenExpiry(a.secret)!.getTime();
    expect(expiry - Date.now()).toBeGreaterThan(11 * 3600_000);
  });

  it("uses the ECR Public API, in us-east-1, for public.ecr.aws", async () => {
    const c = await mint({ host: PUBLIC, keys: KEY_B });
    expect(payloadOf(c.secret)).toBe(fakePayloadFor(KEY_B.accessKeyId, "us-east-1", "ecr-public"));
    expect(fake.requests[0]).toMatchObject({ service: "ecr-public", target: "SpencerFrontendService.GetAuthorizationToken" });
  });

  it("sends the session token with temporary keys", async () => {
    const c = await mint({ host: USE1, keys: KEY_S });
    expect(payloadOf(c.secret)).toBe(fakePayloadFor(KEY_S.accessKeyId, "us-east-1", "ecr"));
  });

  it("never falls back to ambient AWS credentials", async () => {
    const env = envFor({ AWS_ACCESS_KEY_ID: AMBIENT.accessKeyId, AWS_SECRET_ACCESS_KEY: AMBIENT.secretAccessKey });
    const c = await mintEcrCredentials({ host: USE1, keys: KEY_A, env, source: SOURCE });
    expect(payloadOf(c.secret)).toBe(fakePayloadFor(KEY_A.accessKeyId, "us-east-1", "ecr"));
    // And a rejected key is reported, not silently replaced by the ambient one.
    await failure({ host: USE1, keys: { accessKeyId: "AKIAFAKEUNKNOWNKEY00", secretAccessKey: "x".repeat(40) }, env }, USE1Name());
    expect(fake.requests.map((r) => r.accessKeyId)).not.toContain(AMBIENT.accessKeyId);
  });

  it("lets a custom endpoint win over FIPS and dual-stack (host or AWS_USE_* settings)", async () => {
    // The SDK's endpoint rules refuse a custom endpoint combined with FIPS or dual-stack.
    const env = envFor({ AWS_USE_FIPS_ENDPOINT: "true", AWS_USE_DUALSTACK_ENDPOINT: "true" });
    const cases = [
      ["123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "us-gov-west-1"],
      ["123456789012.dkr-ecr-fips.us-east-2.on.aws", "us-east-2"],
      ["123456789012.dkr.ecr.us-east-1.amazonaws.com", "us-east-1"],
    ] as const;
    for (const [name, region] of cases) {
      const c = await mint({ host: host(name), keys: KEY_A, env });
      expect(payloadOf(c.secret)).toBe(fakePayloadFor(KEY_A.accessKeyId, region, "ecr"));
    }
    const p = await mint({ host: PUBLIC, keys: KEY_A, env });
    expect(payloadOf(p.secret)).toBe(fakePayloadFor(KEY_A.accessKeyId, "us-east-1", "ecr-public"));
  });

  it("honours AWS_ENDPOINT_URL_ECR over AWS_ENDPOINT_URL, and AWS_ENDPOINT_URL alone", async () => {
    // The env passed in decides, even where process.env says otherwise.
    const specific = { ...envFor(), AWS_ENDPOINT_URL: deadUrl };
    await expect(mintEcrCredentials({ host: USE1, keys: KEY_A, env: specific })).resolves.toMatchObject({ username: "AWS" });
    const generic = { ...envFor(), AWS_ENDPOINT_URL_ECR: undefined, AWS_ENDPOINT_URL_ECR_PUBLIC: undefined, AWS_ENDPOINT_URL: fake.url };
    await expect(mintEcrCredentials({ host: USE1, keys: KEY_A, env: generic })).resolves.toMatchObject({ username: "AWS" });
    await expect(mintEcrCredentials({ host: PUBLIC, keys: KEY_A, env: generic })).resolves.toMatchObject({ username: "AWS" });
    expect(fake.requests).toHaveLength(3);
  });

  it("mints 20 concurrent tokens for two registries, each with its own key", async () => {
    const jobs = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? { host: USE1, keys: KEY_A, region: "us-east-1" } : { host: EUW1, keys: KEY_B, region: "eu-west-1" }));
    const results = await Promise.all(jobs.map((j) => mint({ host: j.host, keys: j.keys })));
    results.forEach((r, i) => {
      const j = jobs[i]!;
      expect(payloadOf(r.secret)).toBe(fakePayloadFor(j.keys.accessKeyId, j.region, "ecr"));
    });
    expect(fake.requests).toHaveLength(20);
  });
});

function USE1Name() {
  return "123456789012.dkr.ecr.us-east-1.amazonaws.com";
}

describe("errors are one line, name the host and the cause, and hold no secret", () => {
  const h = USE1Name();

  it("unknown access key id", async () => {
    const m = await failure({ host: USE1, keys: { accessKeyId: "AKIAFAKEUNKNOWNKEY00", secretAccessKey: "y".repeat(40) } }, h);
    expect(m).toMatch(/AWS rejected the access key id in ECR_CONTAINER_REGISTRY_USER/);
    expect(m).toMatch(/UnrecognizedClientException/);
  });

  it("wrong secret", async () => {
    const m = await failure({ host: USE1, keys: { ...KEY_A, secretAccessKey: "wrong/secret/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz" } }, h);
    expect(m).toMatch(/secret key in ECR_CONTAINER_REGISTRY_PASSWORD does not match/);
    expect(m).not.toContain("wrong/secret");
  });

  it("missing or wrong session token", async () => {
    const m = await failure({ host: USE1, keys: { accessKeyId: KEY_S.accessKeyId, secretAccessKey: KEY_S.secretAccessKey } }, h);
    expect(m).toMatch(/access key id/);
  });

  it("access denied names ecr:GetAuthorizationToken for private registries", async () => {
    fake.setFault({ kind: "access-denied" });
    const m = await failure({ host: USE1, keys: KEY_A }, h);
    expect(m).toMatch(/denied arn:aws:iam::111122223333:user\/AKIAFAKEAAAAAAAAAAAA permission/);
    expect(m).toMatch(/grant it ecr:GetAuthorizationToken$/);
  });

  it("access denied names ecr-public and sts permissions for ECR Public", async () => {
    fake.setFault({ kind: "access-denied" });
    const m = await failure({ host: PUBLIC, keys: KEY_A }, "public.ecr.aws");
    expect(m).toMatch(/ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken/);
  });

  it("expired session token", async () => {
    fake.setFault({ kind: "expired-token" });
    const m = await failure({ host: USE1, keys: KEY_S }, h);
    expect(m).toMatch(/session token in ECR_CONTAINER_REGISTRY_SESSION_TOKEN has expired/);
  });

  it("names the registry as the caller wrote it", async () => {
    const m = await failure({ host: PUBLIC, registry: "ecr-public.aws.com", keys: { ...KEY_A, secretAccessKey: "v".repeat(40) } }, "ecr-public.aws.com");
    expect(m).toMatch(/does not match/);
  });

  it("generic wording without a source", async () => {
    const m = await failure({ host: USE1, keys: { ...KEY_A, secretAccessKey: "w".repeat(40) }, source: undefined }, h);
    expect(m).toMatch(/the configured AWS keys/);
  });

  const noToken = "GetAuthorizationToken did not return an authorization token";
  it.each([
    ["a token that is not AWS:<password>", undefined, "the authorization token is not base64 of AWS:<password>"],
    ["a body that is not JSON", "<html>proxy error</html>", noToken],
    ["JSON without authorizationData", JSON.stringify({ hello: "world" }), noToken],
    ["an empty authorizationData list", JSON.stringify({ authorizationData: [] }), noToken],
    ["a numeric token", JSON.stringify({ authorizationData: [{ authorizationToken: 42 }] }), noToken],
  ])("malformed response: %s", async (_, body, why) => {
    fake.setFault(body === undefined ? { kind: "malformed" } : { kind: "malformed", body });
    const m = await failure({ host: USE1, keys: KEY_A }, h);
    expect(m).toMatch(new RegExp(`malformed response from http://127\\.0\\.0\\.1:\\d+/: ${why.replace(/[<>:]/g, "\\$&")}$`));
  });

  it("malformed ECR Public response", async () => {
    fake.setFault({ kind: "malformed", body: JSON.stringify({ authorizationData: [{ authorizationToken: "x" }] }) });
    const m = await failure({ host: PUBLIC, keys: KEY_A }, "public.ecr.aws");
    expect(m).toMatch(/malformed response/);
  });

  it("connection refused names the endpoint", async () => {
    const env = { ...envFor(), AWS_ENDPOINT_URL_ECR: deadUrl };
    const m = await failure({ host: USE1, keys: KEY_A, env }, h);
    expect(m).toContain(`could not reach ${deadUrl}/`);
    expect(m).toMatch(/ECONNREFUSED/);
  });

  it("a server error is retried and then reported", async () => {
    fake.setFault({ kind: "server-error" });
    const m = await failure({ host: USE1, keys: KEY_A, limits: { maxAttempts: 2 } }, h);
    expect(m).toMatch(/HTTP 500/);
    expect(fake.requests).toHaveLength(2);
  });
});

describe("the answer, read as the SDK reads awsJson1_1", () => {
  it("returns the token's expiry from expiresAt (epoch seconds)", async () => {
    const before = Date.now();
    const c = await mint({ host: USE1, keys: KEY_A });
    const expected = fakePasswordPayload(c.secret).expiration * 1000;
    expect(c.expiresAt?.getTime()).toBe(expected);
    expect(expected).toBeGreaterThan(before + 11 * 3600_000);
  });

  it.each([
    ["a bare name", "AccessDeniedException"],
    ["a namespaced name", "com.amazonaws.ecr#AccessDeniedException"],
    ["a name with a URI suffix", "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/"],
    ["a namespaced name with a suffix", "aws.protocoltests#AccessDeniedException:http://x/"],
    ["a list of names", "AccessDeniedException,ThrottlingException"],
  ])("takes the error name from %s", async (_, type) => {
    fake.setFault({ kind: "error", type, message: "User: arn:aws:iam::111122223333:user/dev is not authorized" });
    const m = await failure({ host: USE1, keys: KEY_A }, USE1Name());
    expect(m).toMatch(/denied arn:aws:iam::111122223333:user\/dev permission .*\(AccessDeniedException, HTTP 400\)/);
  });

  it("takes the error name from the x-amzn-errortype header before the body", async () => {
    fake.setFault({ kind: "raw", status: 400, body: "{}", headers: { "x-amzn-errortype": "ExpiredTokenException:http://internal.amazon.com/coral/com.amazon.coral.service/" } });
    const m = await failure({ host: USE1, keys: KEY_A }, USE1Name());
    expect(m).toMatch(/has expired \(ExpiredTokenException, HTTP 400\); refresh the temporary AWS credentials$/);
  });

  it.each([
    ["code", "Message", { code: "AccessDeniedException", Message: "User: arn:aws:iam::111122223333:user/dev is not authorized" }],
    ["__type", "message", { __type: "AccessDeniedException", message: "User: arn:aws:iam::111122223333:user/dev is not authorized" }],
  ])("reads an error body's name from %s and its text from %s", async (_, __, body) => {
    fake.setFault({ kind: "raw", status: 400, body: JSON.stringify(body) });
    const m = await failure({ host: USE1, keys: KEY_A }, USE1Name());
    expect(m).toMatch(/denied arn:aws:iam::111122223333:user\/dev permission .*\(AccessDeniedException, HTTP 400\)/);
  });

  it("leaves no connection open behind it (the keep-alive agent is closed with the call)", async () => {
    await mint({ host: USE1, keys: KEY_A });
    // The server sees the close a moment later: poll, bounded.
    let open = await fake.openConnections();
    for (let i = 0; i < 100 && open > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      open = await fake.openConnections();
    }
    expect(open).toBe(0);
  });

  it("a 401 with a Basic challenge, with HTTP_PROXY set, is the proxy's refusal (a forwarding proxy such as tinyproxy answers so)", async () => {
    // The fake answers as that proxy would; NO_PROXY keeps Node lines that honour HTTP_PROXY off the unused proxy port.
    fake.setFault({ kind: "raw", status: 401, body: "<html>Unauthorized</html>", headers: { "www-authenticate": 'Basic realm="proxy"' } });
    const env = envFor({ HTTP_PROXY: "http://127.0.0.1:9", NO_PROXY: "127.0.0.1" });
    expect(await failure({ host: USE1, keys: KEY_A, env }, USE1Name())).toBe(
      `${USE1Name()}: the proxy http://127.0.0.1:9/ (HTTP_PROXY) refused the request for lack of valid credentials (HTTP 401); set HTTP_PROXY=http://user:password@host:port with the proxy's credentials`,
    );
  });

  it("a 3xx answer is an error, not a token", async () => {
    fake.setFault({ kind: "raw", status: 300, body: "{}" });
    const m = await failure({ host: USE1, keys: KEY_A }, USE1Name());
    expect(m).toMatch(/GetAuthorizationToken at http:\/\/127\.0\.0\.1:\d+\/ failed \(HTTP300Error, HTTP 300\)$/);
  });

  it("an error without a message is named, with nothing after it", async () => {
    fake.setFault({ kind: "raw", status: 400, body: JSON.stringify({ __type: "ValidationException" }) });
    const m = await failure({ host: USE1, keys: KEY_A }, USE1Name());
    expect(m).toMatch(/failed \(ValidationException, HTTP 400\)$/);
  });

  it("a 5xx the SDK does not call transient (501) is not retried, as in the SDK's standard strategy", async () => {
    fake.setFault({ kind: "raw", status: 501, body: JSON.stringify({ __type: "NotImplemented", message: "no" }) });
    const m = await failure({ host: USE1, keys: KEY_A }, USE1Name());
    expect(m).toMatch(/the ECR API at http:\/\/127\.0\.0\.1:\d+\/ failed \(NotImplemented, HTTP 501\); try again later$/);
    expect(fake.requests).toHaveLength(1);
  });

  it("a server error page that is not JSON is retried, then named by its status", async () => {
    fake.setFault({ kind: "raw", status: 502, body: "<html>Bad Gateway</html>" });
    const m = await failure({ host: USE1, keys: KEY_A }, USE1Name());
    expect(m).toMatch(/the ECR API at http:\/\/127\.0\.0\.1:\d+\/ failed \(HTTP502Error, HTTP 502\); try again later$/);
    expect(fake.requests).toHaveLength(3);
  });

  it("a client error is not retried", async () => {
    fake.setFault({ kind: "error", type: "AccessDeniedException", message: "no" });
    await failure({ host: USE1, keys: KEY_A }, USE1Name());
    expect(fake.requests).toHaveLength(1);
  });

  it("reads ECR Public's single authorizationData and its expiry", async () => {
    const c = await mint({ host: PUBLIC, keys: KEY_A });
    expect(c.expiresAt?.getTime()).toBe(fakePasswordPayload(c.secret).expiration * 1000);
  });

  it.each([
    ["a negative expiresAt", -5],
    ["a string expiresAt", "soon"],
  ])("a token with %s is still a token, with no known expiry", async (_, expiresAt) => {
    const token = Buffer.from("AWS:pw").toString("base64");
    fake.setFault({ kind: "malformed", body: JSON.stringify({ authorizationData: [{ authorizationToken: token, expiresAt }] }) });
    const c = await mint({ host: USE1, keys: KEY_A });
    expect(c).toEqual({ username: "AWS", secret: "pw" });
  });

  /** A fake ECR whose clock is `offsetMs` off ours, refusing skewed requests with `skewType`; closed after `check`. */
  async function withSkewedFake(offsetMs: number, skewType: string, check: (skewed: FakeEcr, env: Record<string, string | undefined>) => Promise<void>) {
    const skewed = await startFakeEcr({ keys: [KEY_A], clockOffsetMs: offsetMs, skewType });
    try {
      await check(skewed, envFor({ AWS_ENDPOINT_URL_ECR: skewed.url }));
    } finally {
      await skewed.close();
    }
  }

  it.each([
    ["AWS says the signature expired (server ahead)", 60 * 60_000, "InvalidSignatureException"],
    // The correction, not the message, makes this one a retry.
    ["the skew error names no expired signature (server behind)", -60 * 60_000, "RequestTimeTooSkewed"],
  ])("signs again with the server's clock when %s, as the SDK does", async (_, offsetMs, skewType) => {
    await withSkewedFake(offsetMs, skewType, async (skewed, env) => {
      const c = await mint({ host: USE1, keys: KEY_A, env });
      expect(payloadOf(c.secret)).toBe(fakePayloadFor(KEY_A.accessKeyId, "us-east-1", "ecr"));
      expect(skewed.requests).toHaveLength(2);
    });
  });

  it("corrects the clock once: a skew error after the correction is not retried again", async () => {
    await withSkewedFake(60 * 60_000, "RequestTimeTooSkewed", async (skewed, env) => {
      skewed.setFault({ kind: "error", type: "RequestTimeTooSkewed", message: "still skewed" });
      const m = await failure({ host: USE1, keys: KEY_A, env }, USE1Name());
      expect(m).toMatch(/AWS rejected the request time \(RequestTimeTooSkewed, HTTP 400\)/);
      expect(skewed.requests).toHaveLength(2);
    });
  });

  it("says the clock is wrong when even the corrected request is refused", async () => {
    fake.setFault({ kind: "error", type: "InvalidSignatureException", message: "Signature expired: 20200101T000000Z is now earlier than 20200101T001000Z (5 min.)" });
    const m = await failure({ host: USE1, keys: KEY_A }, USE1Name());
    expect(m).toMatch(/AWS rejected the request time \(InvalidSignatureException, HTTP 400\); the system clock is probably wrong/);
  });
});

describe("hostile endpoints", () => {
  it("an endpoint that accepts and then closes the connection is a closed connection, not a timeout", async () => {
    fake.setFault({ kind: "close" });
    const m = await failure({ host: USE1, keys: KEY_A, limits: { maxAttempts: 2 } }, USE1Name());
    expect(m).toMatch(/http:\/\/127\.0\.0\.1:\d+\/ closed the connection without an answer/);
    expect(m).not.toMatch(/in time|within/);
  });

  it.each([false, true])("a 100 MB body fails with one line after reading a bounded part of it (Content-Length declared: %s)", async (declareLength) => {
    fake.setFault({ kind: "huge", bytes: 100 * 1024 * 1024, declareLength });
    const m = await failure({ host: USE1, keys: KEY_A }, USE1Name());
    expect(m).toMatch(/the response from http:\/\/127\.0\.0\.1:\d+\/ is larger than \d+ KiB/);
    // The client hung up early: far less than the body reached the socket.
    expect(fake.hugeBytesSent).toBeLessThan(16 * 1024 * 1024);
    expect(fake.requests).toHaveLength(1);
  });
});

describe("every secret the helper knows of is redacted from messages, whatever its length and encoding", () => {
  const SHORT = { accessKeyId: "AKIAFAKESHORTSECRET0", secretAccessKey: "s3c/r+t", sessionToken: "tk/=" };
  const echo = (secret: string, token: string) =>
    `echo ${secret} ${encodeURIComponent(secret)} ${encodeURIComponent(secret).toLowerCase()} ${token} ${encodeURIComponent(token)}`;
  const leaks = (m: string, secret: string, token: string) =>
    [secret, encodeURIComponent(secret), encodeURIComponent(secret).toLowerCase(), token, encodeURIComponent(token)].filter((s) => m.includes(s));

  it("a triple's short secret and session token", async () => {
    const fakeKeys = await startFakeEcr({ keys: [SHORT], fault: { kind: "error", type: "WeirdException", message: echo(SHORT.secretAccessKey, SHORT.sessionToken) } });
    try {
      const env = envFor({ AWS_ENDPOINT_URL_ECR: fakeKeys.url });
      const m = await failure({ host: USE1, keys: SHORT, env }, USE1Name());
      expect(m).toContain("WeirdException");
      expect(leaks(m, SHORT.secretAccessKey, SHORT.sessionToken)).toEqual([]);
    } finally {
      await fakeKeys.close();
    }
  });

  it("the secret and session token the default chain resolved from a credentials file", async () => {
    const file = join(home, "credentials-redaction-test");
    writeFileSync(
      file,
      `[default]\naws_access_key_id = ${SHORT.accessKeyId}\naws_secret_access_key = ${SHORT.secretAccessKey}\naws_session_token = ${SHORT.sessionToken}\n`,
    );
    const fakeKeys = await startFakeEcr({ keys: [SHORT], fault: { kind: "error", type: "WeirdException", message: echo(SHORT.secretAccessKey, SHORT.sessionToken) } });
    try {
      const env = envFor({ AWS_SHARED_CREDENTIALS_FILE: file, AWS_ENDPOINT_URL_ECR: fakeKeys.url });
      const m = await failure({ host: USE1, env, source: undefined }, USE1Name());
      expect(m).toContain("WeirdException");
      expect(leaks(m, SHORT.secretAccessKey, SHORT.sessionToken)).toEqual([]);
    } finally {
      await fakeKeys.close();
      rmSync(file);
    }
  });

  it("AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from the environment", async () => {
    const fakeKeys = await startFakeEcr({ keys: [SHORT], fault: { kind: "error", type: "WeirdException", message: echo(SHORT.secretAccessKey, SHORT.sessionToken) } });
    try {
      const env = envFor({
        AWS_ACCESS_KEY_ID: SHORT.accessKeyId,
        AWS_SECRET_ACCESS_KEY: SHORT.secretAccessKey,
        AWS_SESSION_TOKEN: SHORT.sessionToken,
        AWS_ENDPOINT_URL_ECR: fakeKeys.url,
      });
      const m = await failure({ host: USE1, env, source: undefined }, USE1Name());
      expect(leaks(m, SHORT.secretAccessKey, SHORT.sessionToken)).toEqual([]);
    } finally {
      await fakeKeys.close();
    }
  });
});

describe("retries and time bounds", () => {
  it("retries throttling and then succeeds", async () => {
    fake.setFault({ kind: "throttle", times: 1 });
    const c = await mint({ host: USE1, keys: KEY_A });
    expect(payloadOf(c.secret)).toBe(fakePayloadFor(KEY_A.accessKeyId, "us-east-1", "ecr"));
    expect(fake.requests).toHaveLength(2);
  });

  it("gives up on endless throttling after maxAttempts", async () => {
    fake.setFault({ kind: "throttle", times: 100 });
    const m = await failure({ host: USE1, keys: KEY_A, limits: { maxAttempts: 2 } }, USE1Name());
    expect(m).toMatch(/throttling/);
    expect(fake.requests).toHaveLength(2);
  });

  it("a hanging endpoint fails on the per-request timeout, not the overall one", async () => {
    fake.setFault({ kind: "hang" });
    const started = Date.now();
    const m = await failure({ host: USE1, keys: KEY_A, limits: { requestMs: 300, maxAttempts: 2, totalMs: 10_000 } }, USE1Name());
    const elapsed = Date.now() - started;
    expect(m).toMatch(/http:\/\/127\.0\.0\.1:\d+\/ did not answer in time/);
    expect(elapsed).toBeLessThan(3_000);
  });

  it("the overall deadline cuts a hang short even with a long request timeout", async () => {
    fake.setFault({ kind: "hang" });
    const started = Date.now();
    const m = await failure({ host: PUBLIC, keys: KEY_A, limits: { requestMs: 60_000, totalMs: 700 } }, "public.ecr.aws");
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(m).toMatch(/no answer from http:\/\/127\.0\.0\.1:\d+\/ within 0\.7 s/);
  });
});

describe("the default AWS credential chain (no keys)", () => {
  it("uses AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment", async () => {
    const env = envFor({ AWS_ACCESS_KEY_ID: AMBIENT.accessKeyId, AWS_SECRET_ACCESS_KEY: AMBIENT.secretAccessKey });
    const c = await mintEcrCredentials({ host: EUW1, env });
    expect(payloadOf(c.secret)).toBe(fakePayloadFor(AMBIENT.accessKeyId, "eu-west-1", "ecr"));
  });

  it("honours AWS_PROFILE", async () => {
    // A fresh file name: the SDK caches shared config files per path for the process.
    const file = join(home, "credentials-profile-test");
    writeFileSync(
      file,
      `[default]\naws_access_key_id = ${KEY_A.accessKeyId}\naws_secret_access_key = ${KEY_A.secretAccessKey}\n` +
        `[dev]\naws_access_key_id = ${KEY_B.accessKeyId}\naws_secret_access_key = ${KEY_B.secretAccessKey}\n`,
    );
    try {
      const c = await mintEcrCredentials({ host: USE1, env: envFor({ AWS_SHARED_CREDENTIALS_FILE: file, AWS_PROFILE: "dev" }) });
      expect(payloadOf(c.secret)).toBe(fakePayloadFor(KEY_B.accessKeyId, "us-east-1", "ecr"));
      const d = await mintEcrCredentials({ host: USE1, env: envFor({ AWS_SHARED_CREDENTIALS_FILE: file, AWS_PROFILE: undefined }) });
      expect(payloadOf(d.secret)).toBe(fakePayloadFor(KEY_A.accessKeyId, "us-east-1", "ecr"));
    } finally {
      rmSync(file);
    }
  });

  it("reports a rejected default-chain key with generic wording", async () => {
    const env = envFor({ AWS_ACCESS_KEY_ID: "AKIAFAKEUNKNOWNKEY00", AWS_SECRET_ACCESS_KEY: "q".repeat(40) });
    const m = await failure({ host: USE1, env, source: undefined }, USE1Name());
    expect(m).toMatch(/access key id in the AWS credentials found by the default chain/);
  });

  it("fails fast with a clear message when nothing is configured", async () => {
    const started = Date.now();
    const m = await failure({ host: USE1, env: envFor() }, USE1Name());
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(m).toMatch(/no AWS credentials found/);
    expect(m).toMatch(/ECR_CONTAINER_REGISTRY_USER\/PASSWORD/);
    expect(fake.requests).toHaveLength(0);
    // Without a triple (how the core calls for unconfigured ECR hosts) it says how to add one.
    const n = await failure({ host: USE1, env: envFor(), source: undefined }, USE1Name());
    expect(n).toMatch(/no AWS credentials found.*<ID>_CONTAINER_REGISTRY_SERVER/);
  });

  it("stays bounded (~2 s) when the instance metadata service accepts but never answers", async () => {
    const hole = await startBlackhole();
    try {
      const env = envFor({ AWS_EC2_METADATA_DISABLED: undefined, AWS_EC2_METADATA_SERVICE_ENDPOINT: hole.url });
      const started = Date.now();
      const m = await failure({ host: USE1, env }, USE1Name());
      expect(Date.now() - started).toBeLessThan(3_500);
      expect(m).toMatch(/AWS credentials/);
    } finally {
      await hole.close();
    }
  });
});

describe("on a fresh import (Stryker reloads no module between mutants, and these are read at load)", () => {
  it("reads ECR Public's answer and an error named only in its body, and gives the default chain a logger", async () => {
    vi.resetModules();
    const fresh = await import("../../src/ecr/mint.js");
    const c = await fresh.mintEcrCredentials({ host: PUBLIC, keys: KEY_B, source: SOURCE, env: envFor() });
    expect(payloadOf(c.secret)).toBe(fakePayloadFor(KEY_B.accessKeyId, "us-east-1", "ecr-public"));
    fake.setFault({ kind: "error", type: "AccessDeniedException", message: "User: arn:aws:iam::111122223333:user/dev is not authorized" });
    await expect(fresh.mintEcrCredentials({ host: USE1, keys: KEY_A, source: SOURCE, env: envFor() })).rejects.toThrow(
      `${USE1Name()}: AWS denied arn:aws:iam::111122223333:user/dev permission to mint a registry token (AccessDeniedException, HTTP 400); grant it ecr:GetAuthorizationToken`,
    );
    fake.setFault(undefined);
    const env = envFor({ AWS_ACCESS_KEY_ID: AMBIENT.accessKeyId, AWS_SECRET_ACCESS_KEY: AMBIENT.secretAccessKey });
    const d = await fresh.mintEcrCredentials({ host: EUW1, env });
    expect(payloadOf(d.secret)).toBe(fakePayloadFor(AMBIENT.accessKeyId, "eu-west-1", "ecr"));
  });
});

describe("stderr stays clean", () => {
  it("emits no NodeVersionSupportWarning in-process", async () => {
    // Builds both clients itself: the check must not rest on earlier tests having done so.
    await mint({ host: USE1, keys: KEY_A });
    await mint({ host: PUBLIC, keys: KEY_B });
    expect(warnings.filter((w) => /NodeVersionSupport|AWS SDK/i.test(w))).toEqual([]);
  });

  it("prints nothing on stderr in a fresh Node process (default chain with AWS_PROFILE and env keys both set)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ecr-mint-child-"));
    try {
      const entry = join(dir, "entry.mjs");
      const src = fileURLToPath(new URL("../../src/ecr/mint.ts", import.meta.url));
      writeFileSync(
        entry,
        `import { mintEcrCredentials } from ${JSON.stringify(src)};\n` +
          `const c = await mintEcrCredentials({ host: { kind: "public" }, env: process.env });\n` +
          `process.stdout.write(c.username + " " + c.secret);\n`,
      );
      await build({ entryPoints: [entry], bundle: true, platform: "node", format: "esm", target: "node20", outfile: join(dir, "out.mjs"), logLevel: "silent", banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" } });
      writeFileSync(join(dir, "credentials"), `[dev]\naws_access_key_id = ${KEY_B.accessKeyId}\naws_secret_access_key = ${KEY_B.secretAccessKey}\n`);
      const env = {
        PATH: process.env["PATH"] ?? "/usr/bin:/bin",
        HOME: dir,
        AWS_CONFIG_FILE: join(dir, "config"),
        AWS_SHARED_CREDENTIALS_FILE: join(dir, "credentials"),
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_ENDPOINT_URL_ECR_PUBLIC: fake.url,
        AWS_ENDPOINT_URL: deadUrl,
        AWS_PROFILE: "dev",
        AWS_ACCESS_KEY_ID: AMBIENT.accessKeyId,
        AWS_SECRET_ACCESS_KEY: AMBIENT.secretAccessKey,
      };
      const child = spawn(process.execPath, [join(dir, "out.mjs")], { env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      const code = await new Promise<number | null>((r) => child.on("close", r));
      expect(stderr).toBe("");
      expect(code).toBe(0);
      const [user, secret = ""] = stdout.split(" ");
      expect(user).toBe("AWS");
      // AWS_PROFILE wins over env keys, as in the SDK.
      expect(payloadOf(secret)).toBe(fakePayloadFor(KEY_B.accessKeyId, "us-east-1", "ecr-public"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);
});

describe("bounds and sources, case by case", () => {
  it.each([false, true])("reads a body of exactly the bound, and refuses one byte more (Content-Length declared: %s)", async (declareLength) => {
    fake.setFault({ kind: "huge", bytes: MAX_RESPONSE_BYTES, declareLength });
    expect(await failure({ host: USE1, keys: KEY_A }, USE1Name())).toMatch(/: malformed response from http:\/\/127\.0\.0\.1:\d+\/: the authorization token is not base64 of AWS:<password>$/);
    fake.setFault({ kind: "huge", bytes: MAX_RESPONSE_BYTES + 1, declareLength });
    expect(await failure({ host: USE1, keys: KEY_A }, USE1Name())).toMatch(/is larger than 256 KiB/);
  });

  it("takes AWS_PROFILE from the environment it is given, not the process's", async () => {
    const file = join(home, "credentials-given-profile");
    writeFileSync(
      file,
      `[default]\naws_access_key_id = ${KEY_A.accessKeyId}\naws_secret_access_key = ${KEY_A.secretAccessKey}\n` +
        `[dev]\naws_access_key_id = ${KEY_B.accessKeyId}\naws_secret_access_key = ${KEY_B.secretAccessKey}\n`,
    );
    try {
      const env = { ...envFor({ AWS_SHARED_CREDENTIALS_FILE: file }), AWS_PROFILE: "dev" };
      const c = await mintEcrCredentials({ host: USE1, env });
      expect(payloadOf(c.secret)).toBe(fakePayloadFor(KEY_B.accessKeyId, "us-east-1", "ecr"));
    } finally {
      rmSync(file);
    }
  });

  it("passes on, redacted and in one line, why a configured profile gave no credentials", async () => {
    const file = join(home, "config-role");
    writeFileSync(
      file,
      `[profile dev]\nrole_arn = arn:aws:iam::111122223333:role/r\nsource_profile = base\n` +
        `[profile base]\naws_access_key_id = ${KEY_A.accessKeyId}\naws_secret_access_key = ${KEY_A.secretAccessKey}\n`,
    );
    try {
      // STS is AWS_ENDPOINT_URL: a loopback port nothing listens on.
      const m = await failure({ host: USE1, env: envFor({ AWS_CONFIG_FILE: file, AWS_PROFILE: "dev" }), source: undefined }, USE1Name());
      expect(m).toBe(`${USE1Name()}: could not load AWS credentials: connect ECONNREFUSED ${deadUrl.replace("http://", "")}`);
      expect(fake.requests).toHaveLength(0);
      // An STS that explains at length: the message keeps the first 200 characters of it.
      const sts = createHttpServer((_, res) => {
        res.writeHead(403, { "content-type": "text/xml" });
        res.end(`<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${"why ".repeat(100)}</Message></Error></ErrorResponse>`);
      });
      await new Promise<void>((resolve) => sts.listen(0, "127.0.0.1", resolve));
      try {
        const stsUrl = `http://127.0.0.1:${(sts.address() as { port: number }).port}`;
        const n = await failure({ host: USE1, env: envFor({ AWS_CONFIG_FILE: file, AWS_PROFILE: "dev", AWS_ENDPOINT_URL: stsUrl }), source: undefined }, USE1Name());
        expect(n).toBe(`${USE1Name()}: could not load AWS credentials: ${"why ".repeat(50)}`);
      } finally {
        await new Promise((resolve) => sts.close(resolve));
      }
    } finally {
      rmSync(file);
    }
  });

  it("gives up looking for credentials after credentialsMs, and on the overall deadline", async () => {
    const hole = await startBlackhole();
    try {
      const env = envFor({ AWS_EC2_METADATA_DISABLED: undefined, AWS_EC2_METADATA_SERVICE_ENDPOINT: hole.url });
      const m = await failure({ host: USE1, env, limits: { credentialsMs: 300, imdsMs: 5_000 } }, USE1Name());
      expect(m).toMatch(/: looking for AWS credentials took longer than 0\.3 s; set ECR_CONTAINER_REGISTRY_USER\/PASSWORD/);
      // The deadline ends the lookup at once: the metadata probe's own time-out (1 s) never comes.
      const n = await failure({ host: USE1, env, limits: { totalMs: 300, credentialsMs: 5_000, imdsMs: 1_000 } }, USE1Name());
      expect(n).toMatch(/: looking for AWS credentials took longer than 5 s/);
    } finally {
      await hole.close();
    }
  });

  it("cuts off an endpoint that trickles its headers at the per-request timeout", async () => {
    // Never silent long enough for an idle-socket timeout: only the request timeout can end it.
    const drip = createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", () => {
        socket.write("HTTP/1.1 200 OK\r\nX-Drip: ");
        const timer = setInterval(() => socket.write("x"), 50);
        socket.on("close", () => clearInterval(timer));
      });
    });
    await new Promise<void>((resolve) => drip.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(drip.address() as { port: number }).port}`;
      const env = envFor({ AWS_ENDPOINT_URL_ECR: url });
      const m = await failure({ host: USE1, keys: KEY_A, env, limits: { requestMs: 300, maxAttempts: 1, totalMs: 5_000 } }, USE1Name());
      expect(m).toMatch(/did not answer in time/);
    } finally {
      drip.close();
    }
  });

  it("reports a connection cut in the middle of the body at once, not at the deadline", async () => {
    const cut = createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", () => {
        socket.write("HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.1\r\ntransfer-encoding: chunked\r\n\r\n10\r\n{\"authorization\"\r\n");
        setTimeout(() => socket.destroy(), 20);
      });
    });
    await new Promise<void>((resolve) => cut.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(cut.address() as { port: number }).port}`;
      const env = envFor({ AWS_ENDPOINT_URL_ECR: url });
      const m = await failure({ host: USE1, keys: KEY_A, env, limits: { maxAttempts: 1, totalMs: 5_000 } }, USE1Name());
      // A 200 whose body is cut off is a closed connection, not a malformed answer.
      expect(m).toBe(`${USE1Name()}: ${url}/ closed the connection without an answer (ECONNRESET); check network access to AWS or AWS_ENDPOINT_URL*`);
    } finally {
      cut.close();
    }
  });

  it("the overall deadline cuts a hang short for a private registry too", async () => {
    fake.setFault({ kind: "hang" });
    const m = await failure({ host: USE1, keys: KEY_A, limits: { requestMs: 60_000, totalMs: 700 } }, USE1Name());
    expect(m).toMatch(/no answer from http:\/\/127\.0\.0\.1:\d+\/ within 0\.7 s/);
  });

  it("refuses a declared length over the bound at once, without waiting for the body", async () => {
    const stall = createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", () => socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: ${MAX_RESPONSE_BYTES + 1}\r\n\r\n{`));
    });
    await new Promise<void>((resolve) => stall.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(stall.address() as { port: number }).port}`;
      const env = envFor({ AWS_ENDPOINT_URL_ECR: url });
      const m = await failure({ host: USE1, keys: KEY_A, env, limits: { maxAttempts: 1, requestMs: 5_000, totalMs: 5_000 } }, USE1Name());
      expect(m).toMatch(/is larger than 256 KiB/);
    } finally {
      stall.close();
    }
  });

  it("leaves no timer behind, whether the mint succeeds or the credential lookup fails", async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    await mint({ host: USE1, keys: KEY_A });
    await failure({ host: USE1, env: envFor(), source: undefined }, USE1Name());
    const env = envFor({ AWS_ACCESS_KEY_ID: AMBIENT.accessKeyId, AWS_SECRET_ACCESS_KEY: AMBIENT.secretAccessKey });
    await mintEcrCredentials({ host: EUW1, env });
    expect(timers()).toBeLessThanOrEqual(before);
  });
});


import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakePasswordPayload, fakePayloadFor, startFakeEcr, type FakeEcr } from "../support/fake-ecr.js";
import { helperTargets, runHelper } from "../support/helper-process.js";
import { triple } from "../support/triple.js";

// ECR through the real CLI process: the fake checks each request's SigV4
// signature, so a token only comes back when the right key signed for the right region.
const KEY1 = { accessKeyId: "AKIAFAKEKEY000000001", secretAccessKey: "fake-secret-one/AAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
const KEY2 = { accessKeyId: "AKIAFAKEKEY000000002", secretAccessKey: "fake-secret-two/BBBBBBBBBBBBBBBBBBBBBBBBBBBB" };
const TEMP = { accessKeyId: "ASIAFAKEKEY000000003", secretAccessKey: "fake-secret-three/CCCCCCCCCCCCCCCCCCCCCCC", sessionToken: "fake-session-token" };
const HOST1 = "111111111111.dkr.ecr.us-east-1.amazonaws.com";
const HOST2 = "222222222222.dkr.ecr.eu-west-1.amazonaws.com";
const secrets = [KEY1.secretAccessKey, KEY2.secretAccessKey, TEMP.secretAccessKey, TEMP.sessionToken];

let fake: FakeEcr;
beforeAll(async () => {
  fake = await startFakeEcr({ keys: [KEY1, KEY2, TEMP] });
});
afterAll(() => fake.close());

const endpoints = () => ({ AWS_ENDPOINT_URL_ECR: fake.url, AWS_ENDPOINT_URL_ECR_PUBLIC: fake.url });
const env = () => ({
  ...endpoints(),
  ...triple("ECR", HOST1, KEY1.accessKeyId, KEY1.secretAccessKey),
  ...triple("ECR_EU", HOST2, KEY2.accessKeyId, KEY2.secretAccessKey),
});
/** The payload of the password a `get` answered with, proving who minted it. */
const payloadOf = (stdout: string) => fakePasswordPayload(JSON.parse(stdout).Secret).payload;

describe.each(helperTargets())("ECR via $name", (target) => {
  const get = (server: string, extra: Record<string, string> = env()) =>
    runHelper(target, ["get"], { stdin: server, env: extra });

  it("mints a token with the triple's own key in the host's region", async () => {
    const r = await get(HOST1);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const answer = JSON.parse(r.stdout);
    expect(answer).toMatchObject({ ServerURL: HOST1, Username: "AWS" });
    expect(payloadOf(r.stdout)).toBe(fakePayloadFor(KEY1.accessKeyId, "us-east-1", "ecr"));
  });

  it("gives 20 concurrent gets for two registries each their own token", async () => {
    const hosts = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? HOST1 : HOST2));
    const results = await Promise.all(hosts.map((h) => get(`https://${h}`)));
    results.forEach((r, i) => {
      expect(r.code).toBe(0);
      const expected = i % 2 === 0 ? fakePayloadFor(KEY1.accessKeyId, "us-east-1", "ecr") : fakePayloadFor(KEY2.accessKeyId, "eu-west-1", "ecr");
      expect(payloadOf(r.stdout)).toBe(expected);
    });
  });

  it("sends the session token of temporary keys", async () => {
    const r = await get(HOST1, {
      ...endpoints(),
      ...triple("ECR", HOST1, TEMP.accessKeyId, TEMP.secretAccessKey),
      ECR_CONTAINER_REGISTRY_SESSION_TOKEN: TEMP.sessionToken,
    });
    expect(r.code).toBe(0);
    expect(payloadOf(r.stdout)).toBe(fakePayloadFor(TEMP.accessKeyId, "us-east-1", "ecr"));
  });

  it("uses the FIPS host's region against an endpoint override", async () => {
    const fips = "111111111111.dkr.ecr-fips.us-gov-west-1.amazonaws.com";
    const r = await get(fips, { ...endpoints(), ...triple("GOV", fips, KEY1.accessKeyId, KEY1.secretAccessKey) });
    expect(r.code).toBe(0);
    expect(payloadOf(r.stdout)).toBe(fakePayloadFor(KEY1.accessKeyId, "us-gov-west-1", "ecr"));
  });

  it("mints ECR Public tokens in us-east-1 with the ECR Public API", async () => {
    const r = await get("public.ecr.aws", { ...endpoints(), ...triple("PUB", "public.ecr.aws", KEY2.accessKeyId, KEY2.secretAccessKey) });
    expect(r.code).toBe(0);
    expect(payloadOf(r.stdout)).toBe(fakePayloadFor(KEY2.accessKeyId, "us-east-1", "ecr-public"));
  });

  it("says why a wrong secret fails, without the secret and without pretending not found", async () => {
    const r = await get(HOST1, { ...endpoints(), ...triple("ECR", HOST1, KEY1.accessKeyId, "wrong-secret-value") });
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n")).toHaveLength(2);
    expect(r.stdout).toContain(HOST1);
    expect(r.stdout).toMatch(/secret/i);
    expect(r.stdout).not.toContain("credentials not found");
    expect(r.stdout + r.stderr).not.toContain("wrong-secret-value");
  });

  it("passes a USER=AWS token through unchanged, and refuses one that has expired", async () => {
    const token = (expiration: number) => Buffer.from(JSON.stringify({ payload: "p", expiration })).toString("base64");
    const live = token(Math.floor(Date.now() / 1000) + 3600);
    const ok = await get(HOST1, triple("ECR", HOST1, "AWS", live));
    expect(ok).toEqual({ code: 0, stdout: `${JSON.stringify({ ServerURL: HOST1, Username: "AWS", Secret: live })}\n`, stderr: "" });
    const expired = await get(HOST1, triple("ECR", HOST1, "AWS", token(1_700_000_000)));
    expect(expired.code).toBe(1);
    expect(expired.stdout).toContain("expired at 2023-11-14T22:13:20.000Z");
    expect(expired.stdout).toContain("access key id");
  });

  it("uses the standard AWS chain for a routed ECR host with no triple", async () => {
    const r = await get(HOST2, { ...endpoints(), AWS_ACCESS_KEY_ID: KEY2.accessKeyId, AWS_SECRET_ACCESS_KEY: KEY2.secretAccessKey });
    expect(r.code).toBe(0);
    expect(payloadOf(r.stdout)).toBe(fakePayloadFor(KEY2.accessKeyId, "eu-west-1", "ecr"));
  });

  it("fails with a clear line when no AWS credentials exist at all", async () => {
    const r = await get(HOST2, endpoints());
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(HOST2);
    expect(r.stdout).not.toContain("credentials not found in native keychain");
    // docker pull shows only the helper's stderr, so the reason is there too.
    expect(r.stderr).toBe(`docker-credential-codespaces: ${r.stdout}`);
  });

  it("lets ECR Public pulls go anonymous when no AWS identity exists at all", async () => {
    expect(await get("public.ecr.aws", endpoints())).toEqual({ code: 1, stdout: "credentials not found in native keychain\n", stderr: "" });
  });

  it.each([
    [{ kind: "close" } as const, /closed the connection without an answer \(ECONNRESET\)/],
    [{ kind: "huge", bytes: 100 * 1024 * 1024 } as const, /is larger than 256 KiB/],
  ])("reports a hostile endpoint (%j) in one line on stdout and stderr", async (fault, expected) => {
    fake.setFault(fault);
    try {
      const r = await get(HOST1);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(expected);
      expect(r.stdout.split("\n")).toHaveLength(2);
      expect(r.stderr).toBe(`docker-credential-codespaces: ${r.stdout}`);
    } finally {
      fake.setFault(undefined);
    }
  });

  it("never sends an ECR triple's secret key to the registry as a password", async () => {
    const r = await get(HOST1);
    for (const secret of secrets) expect(r.stdout + r.stderr).not.toContain(secret);
  });
});

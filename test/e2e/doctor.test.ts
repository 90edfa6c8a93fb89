import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeEcr, type FakeEcr } from "../support/fake-ecr.js";
import {
  ALICE,
  assertPrerequisites,
  clientBaseEnv,
  createHelperBin,
  freeLoopbackAddress,
  freePort,
  HOOK_TIMEOUT_MS,
  issueServerCert,
  makeTempDir,
  makeTestCa,
  removeDir,
  requireProgram,
  run,
  startRegistry,
  startTokenServer,
  TEST_TIMEOUT_MS,
  type HelperBin,
  type Registry,
  type RunResult,
  type TokenServer,
} from "../support/e2e/index.js";
import { triple } from "../support/triple.js";

// `doctor` against real registries on loopback: the distribution registry
// with htpasswd (Basic), with token auth behind a loopback token service, with
// TLS from a test CA on ::1 (dockerd treats only 127.0.0.0/8 as insecure, so
// there the certificate really is verified), an open one, a closed port, an
// HTTP server that is not a registry, and ECR through the fake ECR API with
// the ECR host name mapped to a loopback registry in a private /etc/hosts.
// Every run is made in both output modes, and no secret may appear in either.

const WRONG = "wrong-Pa55word-doctor";
const ECR_HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
const KEY = { accessKeyId: "AKIADOCTORE2E0000001", secretAccessKey: "doctor/Secret+Access/Key000000000000001" };
const WRONG_SECRET = "doctor/Not+The+Secret/Key00000000000000001";
/** An ECR-shaped registry password (base64 of JSON with an expiry) that the registry accepts for user AWS. */
const ecrPassword = (expiresInS: number) =>
  Buffer.from(JSON.stringify({ payload: "doctor-e2e", expiration: Math.floor(Date.now() / 1000) + expiresInS })).toString("base64");
const ECR_PASSWORD = ecrPassword(12 * 3600);
const EXPIRED_PASSWORD = ecrPassword(-3600);

interface JsonReport {
  ok: boolean;
  registries: { server: string | null; id: string | null; ok: boolean; checks: { name: string; ok: boolean; message: string }[] }[];
  problems: string[];
}

let helper: HelperBin;
let home: string;
const owned: { stop?(): Promise<void>; close?(): Promise<void> }[] = [];
const dirs: string[] = [];
const own = <T extends { stop?(): Promise<void>; close?(): Promise<void> }>(r: T): T => (owned.push(r), r);
const tempDir = (prefix: string) => {
  const dir = makeTempDir(prefix);
  dirs.push(dir);
  return dir;
};

let basic: Registry;
let open: Registry;
let tokens: TokenServer;
let tokenRegistry: Registry;
let deadRealm: Registry;
let tls: Registry;
let caPath: string;
let notRegistry: Server;
let notRegistryHost: string;
let closedHost: string;
let fakeEcr: FakeEcr;
let hostsFile: string;

beforeAll(async () => {
  assertPrerequisites();
  helper = createHelperBin();
  home = tempDir("doctor-home");
  basic = own(await startRegistry({ users: { [ALICE.user]: ALICE.password } }));
  open = own(await startRegistry());

  const signer = await makeTestCa(tempDir("token-signer"));
  tokens = own(await startTokenServer({ users: [ALICE], signer }));
  const tokenAuth = { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.rootCertBundle };
  tokenRegistry = own(await startRegistry({ token: tokenAuth }));
  deadRealm = own(await startRegistry({ token: { ...tokenAuth, realm: `http://127.0.0.1:${await freePort()}/token` } }));

  const ca = await makeTestCa(tempDir("tls"));
  caPath = ca.certPath;
  tls = own(await startRegistry({ address: "::1", tls: await issueServerCert(ca, "v6", { ips: ["::1"] }), users: { [ALICE.user]: ALICE.password } }));

  notRegistry = createServer((_req, res) => {
    res.writeHead(404, { "content-type": "text/html" }).end("<html><body>Not Found</body></html>");
  });
  await new Promise<void>((resolve) => notRegistry.listen(0, "127.0.0.1", () => resolve()));
  own({ close: () => new Promise<void>((resolve) => notRegistry.close(() => resolve())) });
  notRegistryHost = `127.0.0.1:${(notRegistry.address() as AddressInfo).port}`;
  closedHost = `127.0.0.1:${await freePort()}`;

  const ecrAddress = await freeLoopbackAddress(443);
  const ecrCert = await issueServerCert(ca, "ecr", { dns: [ECR_HOST] });
  own(await startRegistry({ address: ecrAddress, port: 443, tls: ecrCert, users: { AWS: ECR_PASSWORD } }));
  fakeEcr = own(await startFakeEcr({ keys: [{ ...KEY, password: ECR_PASSWORD }] }));
  hostsFile = join(tempDir("hosts"), "hosts");
  writeFileSync(hostsFile, `127.0.0.1 localhost\n::1 localhost\n${ecrAddress} ${ECR_HOST}\n`);

  mkdirSync(join(home, ".docker"), { recursive: true });
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  const results = await Promise.allSettled(owned.map((r) => (r.stop ? r.stop() : r.close?.())));
  helper?.remove();
  for (const dir of dirs) removeDir(dir);
  const failed = results.filter((r) => r.status === "rejected");
  if (failed.length > 0) throw new Error(failed.map((r) => String((r as PromiseRejectedResult).reason)).join("\n"));
}, HOOK_TIMEOUT_MS);

/** Runs doctor as docker would find it (the wrapper on PATH), in both modes; checks exit codes agree and no secret shows. */
async function doctor(env: Record<string, string>, secrets: readonly string[], options: { hosts?: boolean; args?: string[] } = {}) {
  // Exactly the run's registries routed to the helper, so routing passes and the verdicts are the registries'.
  const servers = Object.entries(env).filter(([k]) => k.endsWith("_CONTAINER_REGISTRY_SERVER")).map(([, v]) => v);
  writeFileSync(join(home, ".docker", "config.json"), JSON.stringify({ credHelpers: Object.fromEntries(servers.map((s) => [s, "codespaces"])) }));
  const full = { ...clientBaseEnv(home, helper.dir), ...env };
  const argv = ["doctor", ...(options.args ?? [])];
  const runIt = (extra: string[]): Promise<RunResult> =>
    options.hosts
      ? // A private mount namespace whose /etc/hosts maps the ECR name to the loopback registry.
        run(requireProgram("unshare"), ["--mount", "--propagation", "private", "--", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"', hostsFile, helper.wrapper, ...argv, ...extra], { env: full, timeoutMs: 60_000 })
      : run(helper.wrapper, [...argv, ...extra], { env: full, timeoutMs: 60_000 });
  const [json, lines] = await Promise.all([runIt(["--json"]), runIt([])]);
  const everything = [json.stdout, json.stderr, lines.stdout, lines.stderr].join("\n");
  for (const secret of [...secrets, ...tokens.issued]) expect(everything).not.toContain(secret);
  for (const secret of secrets) expect(everything).not.toContain(Buffer.from(`${ALICE.user}:${secret}`).toString("base64"));
  expect(json.stderr).toBe("");
  expect(lines.code).toBe(json.code);
  const report = JSON.parse(json.stdout) as JsonReport;
  expect(Object.keys(report)).toEqual(["ok", "registries", "problems"]);
  expect(json.code).toBe(report.ok ? 0 : 1);
  return { report, lines: lines.stdout, code: json.code };
}

/** The one registry of a report with its checks by name. */
function only(report: JsonReport) {
  expect(report.registries).toHaveLength(1);
  const [entry] = report.registries;
  return { entry: entry!, check: (name: string) => entry!.checks.find((c) => c.name === name) };
}

describe("doctor against real registries", { timeout: TEST_TIMEOUT_MS }, () => {
  it("htpasswd (Basic), right password: ok over plain HTTP on loopback, as docker would; exit 0", async () => {
    const { report, lines, code } = await doctor(triple("BASIC", basic.host, ALICE.user, ALICE.password), [ALICE.password]);
    const { entry, check } = only(report);
    expect(code).toBe(0);
    expect(report.problems).toEqual([]);
    expect(entry).toMatchObject({ server: basic.host, id: "BASIC", ok: true });
    expect(entry.checks.map((c) => c.name)).toEqual(["configuration", "routing", "registry"]);
    expect(check("routing")?.message).toContain(`credHelpers["${basic.host}"]`);
    expect(check("registry")?.message).toMatch(/^credentials accepted by http:\/\/127\.0\.0\.1:\d+\/v2\/ \(Basic over plain HTTP/);
    expect(lines).toContain(`${basic.host} (BASIC_CONTAINER_REGISTRY_*): ok`);
    expect(lines).toMatch(/note: docker runs .*docker-credential-codespaces, which reports this program's version\n/);
    expect(lines.trim().split("\n").at(-1)).toBe("doctor: 1 registry, all fine");
  });

  it("htpasswd (Basic), wrong password: credentials rejected; exit 1", async () => {
    const { report, lines, code } = await doctor(triple("BASIC", basic.host, ALICE.user, WRONG), [WRONG]);
    const { entry, check } = only(report);
    expect(code).toBe(1);
    expect(entry.ok).toBe(false);
    expect(check("registry")).toMatchObject({ ok: false });
    expect(check("registry")?.message).toMatch(/^credentials rejected: http:\/\/127\.0\.0\.1:\d+\/v2\/ answered 401/);
    expect(lines).toMatch(/FAIL +registry +credentials rejected/);
  });

  it("token auth, right password: a token from the realm (service, account, client_id, offline_token, no scope) is accepted", async () => {
    const before = tokens.requests.length;
    const { report, code } = await doctor(triple("TOKEN", tokenRegistry.host, ALICE.user, ALICE.password), [ALICE.password]);
    expect(code).toBe(0);
    expect(only(report).check("registry")?.message).toContain(`(a token from the token service ${new URL(tokens.realm).origin}/token`);
    const asked = tokens.requests.slice(before);
    expect(asked.length).toBe(2); // one per output mode
    for (const r of asked) {
      expect(r).toEqual({ account: ALICE.user, service: tokens.service, clientId: "docker-credential-codespaces", offlineToken: "true", scope: null, user: ALICE.user, granted: true });
    }
  });

  it("token auth, wrong password: the token service rejects the credentials", async () => {
    const { report, code } = await doctor(triple("TOKEN", tokenRegistry.host, ALICE.user, WRONG), [WRONG]);
    expect(code).toBe(1);
    expect(only(report).check("registry")).toMatchObject({ ok: false, message: expect.stringMatching(/^credentials rejected: the token service http:\/\/127\.0\.0\.1:\d+\/token answered 401$/) });
  });

  it("token auth, realm unreachable: says the token service cannot be reached", async () => {
    const { report, code } = await doctor(triple("DEAD", deadRealm.host, ALICE.user, ALICE.password), [ALICE.password]);
    expect(code).toBe(1);
    expect(only(report).check("registry")?.message).toMatch(/^the token service http:\/\/127\.0\.0\.1:\d+\/token is unreachable: .*connection refused \(ECONNREFUSED\)/);
  });

  it("TLS with a test CA that the process trusts (NODE_EXTRA_CA_CERTS): ok over verified HTTPS", async () => {
    const { report, code } = await doctor({ ...triple("TLS", tls.host, ALICE.user, ALICE.password), NODE_EXTRA_CA_CERTS: caPath }, [ALICE.password]);
    expect(code).toBe(0);
    expect(only(report).check("registry")?.message).toBe(`credentials accepted by https://${tls.host}/v2/ (Basic)`);
  });

  it("TLS with a CA the process does not trust: unreachable, the certificate problem named, nothing sent", async () => {
    const { report, code } = await doctor(triple("TLS", tls.host, ALICE.user, ALICE.password), [ALICE.password]);
    expect(code).toBe(1);
    expect(only(report).check("registry")?.message).toMatch(
      new RegExp(`^unreachable: the TLS certificate of \\[::1\\]:\\d+ is signed by an unknown certificate authority \\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\\); .*NODE_EXTRA_CA_CERTS`),
    );
  });

  it("a closed port: unreachable, connection refused", async () => {
    const { report, code } = await doctor(triple("CLOSED", closedHost, ALICE.user, ALICE.password), [ALICE.password]);
    expect(code).toBe(1);
    expect(only(report).check("registry")?.message).toMatch(/^unreachable: http:\/\/127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\) \(tried HTTPS first, then plain HTTP/);
  });

  it("an HTTP server that is not a registry: not a registry", async () => {
    const { report, code } = await doctor(triple("WEB", notRegistryHost, ALICE.user, ALICE.password), [ALICE.password]);
    expect(code).toBe(1);
    expect(only(report).check("registry")?.message).toBe(`not a registry: http://${notRegistryHost}/v2/ answered 404; check the SERVER value`);
  });

  it("an open registry: nothing to verify, fine", async () => {
    const { report, code } = await doctor(triple("OPEN", open.host, ALICE.user, ALICE.password), [ALICE.password]);
    expect(code).toBe(0);
    expect(only(report).check("registry")).toMatchObject({ ok: true, message: expect.stringMatching(/^open registry: .* answers without credentials over plain HTTP.*; nothing to verify$/) });
  });

  it("--offline contacts nothing: the registry check is left out", async () => {
    const before = tokens.requests.length;
    const { report, lines } = await doctor(triple("TOKEN", tokenRegistry.host, ALICE.user, WRONG), [WRONG], { args: ["--offline"] });
    expect(only(report).entry.checks.map((c) => c.name)).toEqual(["configuration", "routing"]);
    expect(report.ok).toBe(true);
    expect(tokens.requests.length).toBe(before);
    expect(lines).toContain("note: --offline: no token minted, no registry contacted");
  });

  it("checks every registry in one run, concurrently, each with its own verdict", async () => {
    const env = {
      ...triple("A_BASIC", basic.host, ALICE.user, ALICE.password),
      ...triple("B_TOKEN", tokenRegistry.host, ALICE.user, WRONG),
      ...triple("C_CLOSED", closedHost, ALICE.user, ALICE.password),
      ...triple("D_OPEN", open.host, ALICE.user, ALICE.password),
    };
    const { report, code } = await doctor(env, [ALICE.password, WRONG]);
    expect(code).toBe(1);
    expect(report.registries.map((r) => [r.id, r.ok])).toEqual([["A_BASIC", true], ["B_TOKEN", false], ["C_CLOSED", false], ["D_OPEN", true]]);
  });
});

describe("doctor for ECR (fake ECR API, registry on :443 under the ECR name)", { timeout: TEST_TIMEOUT_MS }, () => {
  const ecrEnv = (user: string, password: string) => ({
    ...triple("ECR", ECR_HOST, user, password),
    AWS_ENDPOINT_URL_ECR: fakeEcr.url,
    AWS_EC2_METADATA_DISABLED: "true",
  });
  const secrets = [KEY.secretAccessKey, WRONG_SECRET, ECR_PASSWORD, EXPIRED_PASSWORD];

  it("minted from the triple's AWS keys: the token's time left, then accepted by the registry", async () => {
    const before = fakeEcr.requests.length;
    const { report, code } = await doctor(ecrEnv(KEY.accessKeyId, KEY.secretAccessKey), secrets, { hosts: true });
    const { check } = only(report);
    expect(code).toBe(0);
    expect(check("ecr token")?.message).toMatch(/^a token was minted with the triple's AWS keys; valid for 1[12] h \d+ min \(until /);
    expect(check("registry")?.message).toBe(`credentials accepted by https://${ECR_HOST}/v2/ (Basic)`);
    expect(fakeEcr.requests.length).toBeGreaterThan(before);
  });

  it("a passed-through token (USER=AWS): its time left, then accepted by the registry", async () => {
    const { report, code } = await doctor(ecrEnv("AWS", ECR_PASSWORD), secrets, { hosts: true });
    const { check } = only(report);
    expect(code).toBe(0);
    expect(check("ecr token")?.message).toMatch(/^the token in the PASSWORD is passed through; valid for 1[12] h \d+ min/);
    expect(check("registry")?.ok).toBe(true);
  });

  it("an expired passed-through token: says when it expired; the registry is not tried", async () => {
    const { report, code } = await doctor(ecrEnv("AWS", EXPIRED_PASSWORD), secrets, { hosts: true });
    const { entry, check } = only(report);
    expect(code).toBe(1);
    expect(check("ecr token")).toMatchObject({ ok: false, message: expect.stringMatching(/the ECR token in ECR_CONTAINER_REGISTRY_PASSWORD expired at \d{4}-/) });
    expect(entry.checks.map((c) => c.name)).toEqual(["configuration", "routing", "ecr token"]);
  });

  it("a wrong secret key: the mint fails with AWS's reason; the registry is not tried", async () => {
    const { report, code } = await doctor(ecrEnv(KEY.accessKeyId, WRONG_SECRET), secrets, { hosts: true });
    const { entry, check } = only(report);
    expect(code).toBe(1);
    expect(check("ecr token")?.message).toMatch(/signature/i);
    expect(entry.checks.map((c) => c.name)).not.toContain("registry");
  });
});

import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proxyEnvSupported } from "../../src/net/proxy.js";
import { issueServerCert, makeTestCa, type TestCa } from "../support/e2e/tls.js";
import { requireProgram } from "../support/e2e/env.js";
import { freePort, runOk } from "../support/e2e/process.js";
import { fakePasswordPayload, fakePayloadFor, startFakeEcr, type FakeEcr } from "../support/fake-ecr.js";
import { startFakeSts, type FakeSts } from "../support/fake-sts.js";
import { helperTargets, repoRoot, runHelper, type HelperTarget } from "../support/helper-process.js";
import { startTinyproxy, type Tinyproxy } from "../support/tinyproxy.js";
import { triple } from "../support/triple.js";

// Real networks: a real proxy (tinyproxy on loopback) between the helper and
// the fake ECR, over plain HTTP and over CONNECT to a TLS fake; and TLS fakes
// whose certificates come from a test CA that the helper trusts only through
// NODE_EXTRA_CA_CERTS or a private copy of the system store.

const KEY = { accessKeyId: "AKIAFAKENETKEY000001", secretAccessKey: "fake-net-secret/DDDDDDDDDDDDDDDDDDDDDDDDDDDD" };
const HOST = "111111111111.dkr.ecr.us-east-1.amazonaws.com";
const PROXY_AUTH = { user: "alice", password: "proxy-Pa55word-net" };
const ROLE_KEYS = { accessKeyId: "ASIAFAKENETROLE00001", secretAccessKey: "fake-role-secret/EEEEEEEEEEEEEEEEEEEEEEEEEEEE", sessionToken: "fake-role-session" };
const WEB_TOKEN = "fake-web-identity-token";

/** The npm bundle on the pinned Node 24 too: the line whose agents take proxyEnv. */
function node24Target(): HelperTarget & { node: string } {
  const cache = join(repoRoot, ".cache");
  const dir = readdirSync(cache).find((d) => /^node-v24\.\d+\.\d+-linux-x64$/.test(d));
  if (dir === undefined) throw new Error("no pinned Node 24 in .cache: run npm run build");
  return { name: `node ${dir.split("-")[1]} dist/main.js`, command: [join(cache, dir, "node"), `${repoRoot}dist/main.js`], node: dir.split("-")[1]!.slice(1) };
}

const targets = [
  ...helperTargets().map((t) => ({ ...t, node: t.command[0] === process.execPath ? process.versions.node : node24Target().node })),
  node24Target(),
];

let dir: string;
let ca: TestCa;
let plain: FakeEcr;
let secure: FakeEcr;
let misnamed: FakeEcr;
let selfSigned: FakeEcr;
let sts: FakeSts;
let tokenFile: string;
let open: Tinyproxy;
let guarded: Tinyproxy;
/** A private /etc/ssl/certs: the system bundle with the test CA appended. */
let systemStore: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "dcc-net-"));
  ca = await makeTestCa(dir);
  const cert = await issueServerCert(ca, "fake-ecr", { ips: ["127.0.0.1"] });
  const other = await issueServerCert(ca, "other", { dns: ["other.example"] });
  plain = await startFakeEcr({ keys: [KEY, ROLE_KEYS] });
  const own = { certPath: join(dir, "self-signed.crt"), keyPath: join(dir, "self-signed.key") };
  await runOk(requireProgram("openssl"), [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", own.keyPath, "-out", own.certPath,
    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-addext", "extendedKeyUsage=serverAuth",
  ]);
  selfSigned = await startFakeEcr({ keys: [KEY], tls: own });
  sts = await startFakeSts({ token: WEB_TOKEN, keys: ROLE_KEYS });
  tokenFile = join(dir, "web-identity-token");
  writeFileSync(tokenFile, WEB_TOKEN);
  secure = await startFakeEcr({ keys: [KEY], tls: cert });
  misnamed = await startFakeEcr({ keys: [KEY], tls: other });
  open = await startTinyproxy(dir);
  guarded = await startTinyproxy(dir, PROXY_AUTH);
  systemStore = join(dir, "etc-ssl-certs");
  mkdirSync(systemStore);
  copyFileSync("/etc/ssl/certs/ca-certificates.crt", join(systemStore, "ca-certificates.crt"));
  appendFileSync(join(systemStore, "ca-certificates.crt"), readFileSync(ca.certPath));
}, 60_000);

afterAll(async () => {
  for (const p of [open, guarded]) await p?.stop();
  for (const f of [plain, secure, misnamed, selfSigned, sts]) await f?.close();
  rmSync(dir, { recursive: true, force: true });
});

const mintEnv = (endpoint: string, extra: Record<string, string> = {}) => ({
  ...triple("ECR", HOST, KEY.accessKeyId, KEY.secretAccessKey),
  AWS_ENDPOINT_URL_ECR: endpoint,
  ...extra,
});
const minted = (stdout: string) => fakePasswordPayload(JSON.parse(stdout).Secret).payload;
const EXPECTED = fakePayloadFor(KEY.accessKeyId, "us-east-1", "ecr");

/** What `proxy` logged while `action` ran. */
async function logged<T>(proxy: Tinyproxy, action: () => Promise<T>): Promise<[T, string[]]> {
  const before = proxy.requests().length;
  const result = await action();
  return [result, proxy.requests().slice(before)];
}

describe.each(targets)("networks via $name", (target) => {
  const proxies = proxyEnvSupported(target.node);
  const get = (env: Record<string, string>) => runHelper(target, ["get"], { stdin: HOST, env });

  it(proxies ? "mints over plain HTTP through the proxy, which logs the POST" : "ignores HTTP_PROXY on this Node line and connects directly", async () => {
    const [r, seen] = await logged(open, () => get(mintEnv(plain.url, { HTTP_PROXY: open.url })));
    expect(r.stdout + r.stderr).toMatch(/"Secret"/);
    expect(r.code).toBe(0);
    expect(minted(r.stdout)).toBe(EXPECTED);
    if (proxies) expect(seen).toContain(`POST ${plain.url}/`);
    else expect(seen).toEqual([]);
  });

  it(proxies ? "tunnels HTTPS with CONNECT through a proxy that asks for credentials" : "ignores https_proxy on this Node line", async () => {
    const env = mintEnv(secure.url, { https_proxy: guarded.url, NODE_EXTRA_CA_CERTS: ca.certPath });
    const [r, seen] = await logged(guarded, () => get(env));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(minted(r.stdout)).toBe(EXPECTED);
    expect(seen).toEqual(proxies ? [`CONNECT ${new URL(secure.url).host}`] : []);
  });

  it.each([
    ["HTTPS_PROXY", "a CONNECT tunnel", () => secure.url],
    ["HTTP_PROXY", "a forwarded request", () => plain.url],
  ])("names the proxy that refused wrong credentials (%s, %s), never the password", async (variable, _how, endpoint) => {
    const wrong = "Wr0ng-proxy-Pa55";
    const r = await get(mintEnv(endpoint(), { [variable]: guarded.address.replace("http://", `http://${PROXY_AUTH.user}:${wrong}@`), NODE_EXTRA_CA_CERTS: ca.certPath }));
    if (!proxies) {
      expect(r.code).toBe(0); // the proxy is not used at all
      return;
    }
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^${HOST}: the proxy http://127\\.0\\.0\\.1:${guarded.port}/ \\(${variable}\\) refused the request for lack of valid credentials \\(HTTP 40[17]\\); set ${variable}=http://user:password@host:port`));
    expect(r.stdout.split("\n")).toHaveLength(2);
    expect(r.stdout + r.stderr).not.toContain(wrong);
    expect(r.stdout + r.stderr).not.toContain(PROXY_AUTH.user);
  });

  it(
    proxies ? "sends the default chain's STS call through the proxy too (web identity)" : "ignores the proxy for the default chain too",
    async () => {
      const env = {
        AWS_ENDPOINT_URL_ECR: plain.url,
        AWS_ENDPOINT_URL_STS: sts.url,
        AWS_REGION: "us-east-1",
        AWS_ROLE_ARN: "arn:aws:iam::111122223333:role/fake",
        AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
        HTTP_PROXY: open.url,
      };
      const calls = sts.calls.length;
      const [r, seen] = await logged(open, () => get(env));
      expect(r.stdout + r.stderr).toMatch(/"Secret"/);
      expect(r.code).toBe(0);
      expect(minted(r.stdout)).toBe(fakePayloadFor(ROLE_KEYS.accessKeyId, "us-east-1", "ecr"));
      expect(sts.calls.slice(calls)).toEqual(["AssumeRoleWithWebIdentity"]);
      expect(seen).toEqual(proxies ? [`POST ${sts.url}/`, `POST ${plain.url}/`] : []);
    },
  );

  it.each(["127.0.0.1", "127.0.0.0/8", "*", "localhost, 127.0.0.1:PORT", ".example.com,127.0.0.0-127.0.0.255"])(
    "leaves the proxy out when NO_PROXY=%s covers the endpoint",
    async (noProxy) => {
      const env = mintEnv(plain.url, { HTTP_PROXY: open.url, NO_PROXY: noProxy.replace("PORT", new URL(plain.url).port) });
      const [r, seen] = await logged(open, () => get(env));
      expect(r.code).toBe(0);
      expect(minted(r.stdout)).toBe(EXPECTED);
      expect(seen).toEqual([]);
    },
  );

  it(proxies ? "says in one line that the proxy is down, without its password" : "does not use a proxy that is down", async () => {
    const down = `http://${PROXY_AUTH.user}:${PROXY_AUTH.password}@127.0.0.1:${await freePort()}`;
    const r = await get(mintEnv(plain.url, { HTTP_PROXY: down }));
    if (!proxies) {
      expect(r.code).toBe(0);
      return;
    }
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^${HOST}: could not reach the proxy http://127\\.0\\.0\\.1:\\d+/ \\(HTTP_PROXY\\) \\(ECONNREFUSED\\); check that the proxy is running, or fix or unset HTTP_PROXY\\n$`));
    expect(r.stdout + r.stderr).not.toContain(PROXY_AUTH.password);
  });

  it("names the host and the certificate problem when the CA is unknown", async () => {
    const r = await get(mintEnv(secure.url));
    expect(r.code).toBe(1);
    const host = new URL(secure.url).host;
    expect(r.stdout).toMatch(new RegExp(`^${HOST}: the TLS certificate of ${host.replace(/\./g, "\\.")} is signed by an unknown certificate authority \\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\\); .*NODE_EXTRA_CA_CERTS`));
    expect(r.stdout.split("\n")).toHaveLength(2);
  });

  it("trusts a CA given in NODE_EXTRA_CA_CERTS", async () => {
    const r = await get(mintEnv(secure.url, { NODE_EXTRA_CA_CERTS: ca.certPath }));
    expect(r.code).toBe(0);
    expect(minted(r.stdout)).toBe(EXPECTED);
  });

  it("names a self-signed certificate", async () => {
    const r = await get(mintEnv(selfSigned.url));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${new URL(selfSigned.url).host} presents a self-signed TLS certificate (DEPTH_ZERO_SELF_SIGNED_CERT)`);
  });

  it("names a certificate made out for another host", async () => {
    const r = await get(mintEnv(misnamed.url, { NODE_EXTRA_CA_CERTS: ca.certPath }));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`the TLS certificate presented for ${new URL(misnamed.url).host} is for another host name (ERR_TLS_CERT_ALTNAME_INVALID)`);
  });

  it.each([
    ["a private /etc/ssl/certs in a mount namespace", false],
    ["SSL_CERT_FILE", true],
  ])("uses a CA that is only in the system store (%s)", async (_, viaVariable) => {
    const unshare = requireProgram("unshare");
    const script = 'mount --bind "$1" /etc/ssl/certs && shift && exec "$@"';
    const inNamespace = { name: target.name, command: [unshare, "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "sh", systemStore, ...target.command] };
    const r = viaVariable
      ? await get(mintEnv(secure.url, { SSL_CERT_FILE: join(systemStore, "ca-certificates.crt") }))
      : await runHelper(inNamespace, ["get"], { stdin: HOST, env: mintEnv(secure.url) });
    if (target.node.startsWith("20.")) {
      // Node 20 cannot read the system store: the documented way is NODE_EXTRA_CA_CERTS.
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/unknown certificate authority .*point NODE_EXTRA_CA_CERTS at its PEM file \(Node 20\.\S+ does not read the system store\)/);
      return;
    }
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(minted(r.stdout)).toBe(EXPECTED);
  });
});

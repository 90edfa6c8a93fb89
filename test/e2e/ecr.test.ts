import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import { proxyEnvSupported } from "../../src/net/proxy.js";
import { startFakeEcr, type FakeEcr } from "../support/fake-ecr.js";
import { HELPER_CMD_VAR, HELPER_LOG_VAR, helperMain, issueServerCert, makeTestCa, readHelperLog, repoRoot, run, shQuote, TEST_TIMEOUT_MS, useE2e } from "../support/e2e/index.js";
import { startTinyproxy, type Tinyproxy } from "../support/tinyproxy.js";

// Scenario 6: an ECR registry end to end. The registry host must be a real
// ECR name on port 443 (with a port it would not be an ECR host for the
// helper). dockerd runs in mount and network namespaces of its own: the
// network one has only a loopback interface, carrying 127.0.0.1 and the
// TEST-NET address 192.0.2.10 (nothing can route anywhere from there); the
// distribution registry joins it and serves TLS for the ECR name on
// 192.0.2.10:443; dockerd resolves the name through a private /etc/hosts and
// trusts the test CA through a private /etc/docker/certs.d. Off 127.0.0.0/8
// the registry is not "insecure" to dockerd, so the certificate is really
// verified (on a 127.x address dockerd would skip verification and fall back
// to plain http). The docker CLI reaches dockerd over its unix socket; the
// helper, run by the CLI on the machine's network, mints the registry
// password from the triple's AWS keys at the loopback fake ECR
// (AWS_ENDPOINT_URL_ECR), and the fake hands out exactly the registry's
// htpasswd password.

const ECR_HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
/** Another ECR name resolving to the same registry, which its certificate does not cover. */
const UNCOVERED_HOST = "210987654321.dkr.ecr.us-east-1.amazonaws.com";
const REGISTRY_ADDRESS = "192.0.2.10"; // TEST-NET-1, only inside dockerd's own network namespace
const REGISTRY_PASSWORD = "ecr-minted-Pa55word-e2e";
const KEY = { accessKeyId: "AKIAE2ETESTKEY000001", secretAccessKey: "e2e/Secret+Access/Key0000000000000000001" };

describe("ECR end to end", { timeout: TEST_TIMEOUT_MS }, () => {
  let fakeEcr: FakeEcr;
  let proxy: Tinyproxy;
  const ref = `${ECR_HOST}/e2e/app:latest`;

  const ecrEnv = (secretAccessKey: string, log?: string): Record<string, string> => ({
    ECR_CONTAINER_REGISTRY_SERVER: ECR_HOST,
    ECR_CONTAINER_REGISTRY_USER: KEY.accessKeyId,
    ECR_CONTAINER_REGISTRY_PASSWORD: secretAccessKey,
    AWS_ENDPOINT_URL_ECR: fakeEcr.url,
    AWS_EC2_METADATA_DISABLED: "true",
    ...(log ? { [HELPER_LOG_VAR]: log } : {}),
  });
  const e2e = useE2e({
    dockerd: {
      privateNetwork: [REGISTRY_ADDRESS],
      hosts: { [ECR_HOST]: REGISTRY_ADDRESS, [UNCOVERED_HOST]: REGISTRY_ADDRESS },
    },
    setup: async () => {
      const ca = await makeTestCa(e2e.tempDir("tls"));
      const cert = await issueServerCert(ca, "ecr", { dns: [ECR_HOST] });
      e2e.dockerd.trustCa(ECR_HOST, ca.certPath);
      e2e.dockerd.trustCa(UNCOVERED_HOST, ca.certPath);
      const netns = e2e.dockerd.netns;
      await e2e.startRegistry({
        users: { AWS: REGISTRY_PASSWORD },
        address: REGISTRY_ADDRESS,
        port: 443,
        tls: cert,
        ...(netns === undefined ? {} : { netns }),
      });
      fakeEcr = e2e.own(await startFakeEcr({ keys: [{ ...KEY, password: REGISTRY_PASSWORD }] }));
      await e2e.seedImage(ref, { user: "AWS", password: REGISTRY_PASSWORD });
      proxy = e2e.own(await startTinyproxy(e2e.tempDir("proxy"), { user: "corp", password: "proxy-Pa55word-e2e" }));
    },
  });
  const newClient = (name: string) => {
    const client = e2e.newClient(name);
    client.writeConfig({ credHelpers: { [ECR_HOST]: "codespaces" } });
    return client;
  };

  it("6: docker pull mints an ECR token from the triple's AWS keys and pulls over TLS on :443", async () => {
    const client = newClient("s6-ok");
    const log = join(client.home, "helper.log");
    const before = fakeEcr.requests.length;
    const pulled = await client.docker(["pull", ref], { env: ecrEnv(KEY.secretAccessKey, log) });
    expect(pulled.stderr).toBe("");
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toContain(`Status: Downloaded newer image for ${ref}`);
    expect(await client.imagePresent(ref)).toBe(true);
    expect(readHelperLog(log)).toEqual([`get ${ECR_HOST}`]);
    const minted = fakeEcr.requests.slice(before);
    expect(minted.length).toBeGreaterThanOrEqual(1);
    expect(minted[0]).toMatchObject({ accessKeyId: KEY.accessKeyId, region: "us-east-1", service: "ecr" });
    await client.removeImage(ref);
  });

  // Node 20 and early 22 ignore proxy variables (README): there the npm bundle
  // runs on the pinned Node 24 for this pull, as an npm user on Node 24 would.
  const proxyCapable = Boolean(process.env[HELPER_CMD_VAR]) || proxyEnvSupported(process.versions.node);
  const node24 = () => {
    const dir = readdirSync(join(repoRoot, ".cache")).find((d) => /^node-v24\.\d+\.\d+-linux-x64$/.test(d));
    if (dir === undefined) throw new Error("no pinned Node 24 in .cache: run npm run build");
    return join(repoRoot, ".cache", dir, "node");
  };

  it("6: docker pull whose token the helper mints through an authenticating HTTP proxy", async () => {
    const client = newClient("s6-proxy");
    const before = proxy.requests().length;
    const env = {
      ...ecrEnv(KEY.secretAccessKey),
      HTTP_PROXY: proxy.url,
      NO_PROXY: "", // the clients' base environment bypasses every proxy
      ...(proxyCapable ? {} : { [HELPER_CMD_VAR]: `${shQuote(node24())} ${shQuote(helperMain())}` }),
    };
    const pulled = await client.docker(["pull", ref], { env });
    expect(pulled.stderr).toBe("");
    expect(pulled.code).toBe(0);
    expect(await client.imagePresent(ref)).toBe(true);
    // The proxy's own log: the token call went through it, and nothing else did.
    const seen = proxy.requests().slice(before);
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(new Set(seen)).toEqual(new Set([`POST ${fakeEcr.url}/`]));
    await client.removeImage(ref);
  });

  it("6: a wrong secret key is the helper's error, and the pull does not get the image", async () => {
    const client = newClient("s6-bad");
    const env = ecrEnv("e2e/not-the-secret-key-000000000000000000", join(client.home, "helper.log"));
    // What the helper itself answers docker for this registry: one line, exit 1, not "not found".
    const direct = await run(e2e.helper.wrapper, ["get"], { input: ECR_HOST, env: client.env(env), timeoutMs: 60_000 });
    expect(direct.code).toBe(1);
    expect(direct.stdout.trim().split("\n")).toHaveLength(1);
    expect(direct.stdout).not.toContain("credentials not found");
    expect(direct.stdout).toMatch(/signature|secret/i);
    expect(direct.stdout + direct.stderr).not.toContain("e2e/not-the-secret-key");

    const pulled = await client.docker(["pull", ref], { env });
    expect(pulled.code).not.toBe(0);
    expect(await client.imagePresent(ref)).toBe(false);
    expect(readHelperLog(join(client.home, "helper.log"))).toEqual([`get ${ECR_HOST}`, `get ${ECR_HOST}`]);
    // Whatever the CLI does with the failure, the user sees why: the helper says it on stderr too.
    expect(pulled.stderr).toContain(`docker-credential-codespaces: ${direct.stdout.trim()}`);
    expect(pulled.stderr).not.toContain("e2e/not-the-secret-key");
    if (pulled.stderr.includes("error getting credentials")) {
      // newer docker CLIs abort the pull with the helper's own line
      expect(pulled.stderr).toContain(direct.stdout.trim());
    } else {
      // docker CLI <= 28 (ResolveAuthConfig) drops a helper error on pull and
      // goes anonymous: the registry's 401
      expect(pulled.stderr).toMatch(/no basic auth credentials|unauthorized: authentication required/);
    }
  });

  it("6: dockerd really verifies the registry's certificate (a name it does not cover is refused)", async () => {
    const client = newClient("s6-tls");
    client.writeConfig({ credHelpers: { [UNCOVERED_HOST]: "codespaces" } });
    const pulled = await client.docker(["pull", `${UNCOVERED_HOST}/e2e/app:latest`]);
    expect(pulled.code).not.toBe(0);
    expect(pulled.stderr).toMatch(/x509: certificate is valid for 123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com/);
  });
});

import { mkdirSync, copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertPrerequisites,
  HOOK_TIMEOUT_MS,
  TEST_TIMEOUT_MS,
  createHelperBin,
  dockerClient,
  HELPER_LOG_VAR,
  issueServerCert,
  makeTempDir,
  makeTestCa,
  readHelperLog,
  removeDir,
  seedImage,
  startDockerd,
  startRegistry,
  type DockerClient,
  type Dockerd,
  type HelperBin,
  type Registry,
} from "../support/e2e/index.js";

// Scenario 5: skopeo (containers/image) reads credHelpers from an auth file
// (--authfile or REGISTRY_AUTH_FILE) and asks the helper for the bare host.

const ALICE = { user: "alice", password: "alice-Pa55word-e2e" };

function triple(id: string, server: string): Record<string, string> {
  return {
    [`${id}_CONTAINER_REGISTRY_SERVER`]: server,
    [`${id}_CONTAINER_REGISTRY_USER`]: ALICE.user,
    [`${id}_CONTAINER_REGISTRY_PASSWORD`]: ALICE.password,
  };
}

interface InspectOutput {
  Name: string;
  Digest: string;
  RepoTags: string[];
}

describe("skopeo through the helper", { timeout: TEST_TIMEOUT_MS }, () => {
  let dockerd: Dockerd;
  let helper: HelperBin;
  let plain: Registry;
  let tls: Registry;
  let tlsDir: string;
  let certDir: string;
  const clients: DockerClient[] = [];
  const newClient = (name: string, authFileRegistry: string): { client: DockerClient; authFile: string } => {
    const client = dockerClient(dockerd, helper, name);
    clients.push(client);
    const authFile = join(client.home, "auth.json");
    writeFileSync(authFile, JSON.stringify({ credHelpers: { [authFileRegistry]: "codespaces" } }));
    return { client, authFile };
  };
  const refPlain = () => `${plain.host}/private/img:latest`;
  const refTls = () => `${tls.host}/private/tls:latest`;

  beforeAll(async () => {
    assertPrerequisites();
    helper = createHelperBin();
    tlsDir = makeTempDir("tls");
    const ca = await makeTestCa(tlsDir);
    const cert = await issueServerCert(ca, "registry", { ips: ["127.0.0.1"], dns: ["localhost"] });
    certDir = join(tlsDir, "skopeo-certs");
    mkdirSync(certDir);
    copyFileSync(ca.certPath, join(certDir, "ca.crt"));
    dockerd = await startDockerd();
    plain = await startRegistry({ users: { [ALICE.user]: ALICE.password } });
    tls = await startRegistry({ users: { [ALICE.user]: ALICE.password }, tls: cert });
    dockerd.trustCa(tls.host, ca.certPath);
    await seedImage(dockerd, refPlain(), ALICE);
    await seedImage(dockerd, refTls(), ALICE);
  }, HOOK_TIMEOUT_MS);

  afterAll(async () => {
    for (const client of clients) client.cleanup();
    const results = await Promise.allSettled([dockerd?.stop(), plain?.stop(), tls?.stop()]);
    helper?.remove();
    if (tlsDir) removeDir(tlsDir);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed.length > 0) throw new Error(failed.map((r) => String(r.reason)).join("\n"));
  }, HOOK_TIMEOUT_MS);

  it("5: skopeo inspect with credHelpers from --authfile", async () => {
    const { client, authFile } = newClient("s5-authfile", plain.host);
    const log = join(client.home, "helper.log");
    const result = await client.skopeo(["inspect", "--authfile", authFile, "--tls-verify=false", `docker://${refPlain()}`], {
      env: { ...triple("ACME", plain.host), [HELPER_LOG_VAR]: log },
    });
    expect(result.code, result.stderr).toBe(0);
    const inspected = JSON.parse(result.stdout) as InspectOutput;
    expect(inspected.Name).toBe(`${plain.host}/private/img`);
    expect(inspected.RepoTags).toContain("latest");
    expect(inspected.Digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(readHelperLog(log)).toContain(`get ${plain.host}`);
  });

  it("5: skopeo inspect with credHelpers from REGISTRY_AUTH_FILE", async () => {
    const { client, authFile } = newClient("s5-env", plain.host);
    const result = await client.skopeo(["inspect", "--tls-verify=false", `docker://${refPlain()}`], {
      env: { ...triple("ACME", plain.host), REGISTRY_AUTH_FILE: authFile },
    });
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as InspectOutput).Name).toBe(`${plain.host}/private/img`);
  });

  it("5: without the triple skopeo goes anonymous and the registry refuses", async () => {
    const { client, authFile } = newClient("s5-none", plain.host);
    const result = await client.skopeo(["inspect", "--authfile", authFile, "--tls-verify=false", `docker://${refPlain()}`]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/unauthorized|authentication required/i);
    expect(result.stderr).not.toContain("credential helper");
  });

  it("5: skopeo over verified TLS (test CA via --cert-dir)", async () => {
    const { client, authFile } = newClient("s5-tls", tls.host);
    const result = await client.skopeo(["inspect", "--authfile", authFile, "--cert-dir", certDir, `docker://${refTls()}`], {
      env: triple("ACME", tls.host),
    });
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as InspectOutput).Name).toBe(`${tls.host}/private/tls`);
    // and the same without the CA is refused by certificate verification
    const untrusted = await client.skopeo(["inspect", "--authfile", authFile, `docker://${refTls()}`], { env: triple("ACME", tls.host) });
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stderr).toMatch(/certificate/i);
  });
});

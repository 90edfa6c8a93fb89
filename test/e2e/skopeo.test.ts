import { mkdirSync, copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ALICE,
  HELPER_LOG_VAR,
  issueServerCert,
  makeTestCa,
  readHelperLog,
  registryTriple,
  TEST_TIMEOUT_MS,
  useE2e,
  type Registry,
} from "../support/e2e/index.js";

// Scenario 5: skopeo (containers/image) reads credHelpers from an auth file
// (--authfile or REGISTRY_AUTH_FILE) and asks the helper for the bare host.

interface InspectOutput {
  Name: string;
  Digest: string;
  RepoTags: string[];
}

describe("skopeo through the helper", { timeout: TEST_TIMEOUT_MS }, () => {
  let plain: Registry;
  let tls: Registry;
  let certDir: string;
  const refPlain = () => `${plain.host}/private/img:latest`;
  const refTls = () => `${tls.host}/private/tls:latest`;
  const e2e = useE2e({
    setup: async () => {
      const tlsDir = e2e.tempDir("tls");
      const ca = await makeTestCa(tlsDir);
      const cert = await issueServerCert(ca, "registry", { ips: ["127.0.0.1"], dns: ["localhost"] });
      certDir = join(tlsDir, "skopeo-certs");
      mkdirSync(certDir);
      copyFileSync(ca.certPath, join(certDir, "ca.crt"));
      plain = await e2e.startRegistry({ users: { [ALICE.user]: ALICE.password } });
      tls = await e2e.startRegistry({ users: { [ALICE.user]: ALICE.password }, tls: cert });
      e2e.dockerd.trustCa(tls.host, ca.certPath);
      await e2e.seedImage(refPlain(), ALICE);
      await e2e.seedImage(refTls(), ALICE);
    },
  });
  const newClient = (name: string, authFileRegistry: string) => {
    const client = e2e.newClient(name);
    const authFile = join(client.home, "auth.json");
    writeFileSync(authFile, JSON.stringify({ credHelpers: { [authFileRegistry]: "codespaces" } }));
    return { client, authFile };
  };

  it("5: skopeo inspect with credHelpers from --authfile", async () => {
    const { client, authFile } = newClient("s5-authfile", plain.host);
    const log = join(client.home, "helper.log");
    const result = await client.skopeo(["inspect", "--authfile", authFile, "--tls-verify=false", `docker://${refPlain()}`], {
      env: { ...registryTriple("ACME", plain.host, ALICE), [HELPER_LOG_VAR]: log },
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
      env: { ...registryTriple("ACME", plain.host, ALICE), REGISTRY_AUTH_FILE: authFile },
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
      env: registryTriple("ACME", tls.host, ALICE),
    });
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as InspectOutput).Name).toBe(`${tls.host}/private/tls`);
    // and the same without the CA is refused by certificate verification
    const untrusted = await client.skopeo(["inspect", "--authfile", authFile, `docker://${refTls()}`], { env: registryTriple("ACME", tls.host, ALICE) });
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stderr).toMatch(/certificate/i);
  });
});

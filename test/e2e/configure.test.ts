import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ALICE, plaintextAuth, registryTriple, run, TEST_TIMEOUT_MS, useE2e, type DockerClient, type Registry } from "../support/e2e/index.js";

// Scenario 7: `docker-credential-codespaces configure` turns a config.json
// that Codespaces filled with plaintext `auths` into one that routes those
// registries to the helper, keeping every other setting; then real clients
// pull through it.

interface DockerConfigJson {
  auths?: Record<string, { auth?: string }>;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

describe("configure, then pull through the result", { timeout: TEST_TIMEOUT_MS }, () => {
  let registry: Registry;
  const ref = () => `${registry.host}/private/configured:latest`;
  const tripleEnv = () => registryTriple("ACME", registry.host, ALICE);
  const e2e = useE2e({
    setup: async () => {
      registry = await e2e.startRegistry({ users: { [ALICE.user]: ALICE.password } });
      await e2e.seedImage(ref(), ALICE);
    },
  });
  /** Runs the helper's configure as a user would: the wrapper on PATH, the client's env. */
  const configure = (client: DockerClient, args: readonly string[] = []) =>
    run(e2e.helper.wrapper, ["configure", ...args], { env: client.env(tripleEnv()), timeoutMs: 30_000 });

  it("7: configure rewrites config.json (keeping other settings) and docker pull works through it", async () => {
    const client = e2e.newClient("s7");
    const other = { auth: plaintextAuth("someone", "elsewhere").auth };
    client.writeConfig({
      auths: { [registry.host]: plaintextAuth(ALICE.user, ALICE.password), "other.example:5000": other },
      credHelpers: { "registry.example.org": "some-other-helper" },
      psFormat: "table {{.ID}}\\t{{.Names}}",
      detachKeys: "ctrl-e,e",
      "x-e2e-unknown-key": { kept: true },
    });
    const result = await configure(client);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain(client.configPath);

    const config = client.readConfig() as DockerConfigJson;
    expect(config.credHelpers).toEqual({ "registry.example.org": "some-other-helper", [registry.host]: "codespaces" });
    expect(config.auths?.[registry.host]).toBeUndefined();
    expect(config.auths?.["other.example:5000"]).toEqual(other);
    expect(config["psFormat"]).toBe("table {{.ID}}\\t{{.Names}}");
    expect(config["detachKeys"]).toBe("ctrl-e,e");
    expect(config["x-e2e-unknown-key"]).toEqual({ kept: true });
    expect(readFileSync(client.configPath, "utf8")).not.toContain(plaintextAuth(ALICE.user, ALICE.password).auth);

    // running it again changes nothing
    const again = await configure(client);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already configured");

    const pulled = await client.docker(["pull", ref()], { env: tripleEnv() });
    expect(pulled.stderr).toBe("");
    expect(pulled.code).toBe(0);
    expect(await client.imagePresent(ref())).toBe(true);
    await client.removeImage(ref());

    // and the plaintext copy really is gone: without the triple the pull is anonymous
    const anonymous = await client.docker(["pull", ref()]);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toContain("no basic auth credentials");

    // --remove undoes the routing: even with the triple set, docker no longer asks the helper
    const removed = await configure(client, ["--remove"]);
    expect(removed.code, removed.stdout).toBe(0);
    expect((client.readConfig() as DockerConfigJson).credHelpers).toEqual({ "registry.example.org": "some-other-helper" });
    const unrouted = await client.docker(["pull", ref()], { env: tripleEnv() });
    expect(unrouted.code).not.toBe(0);
    expect(unrouted.stderr).toContain("no basic auth credentials");
  });

  it("7: configure --containers-auth=PATH routes skopeo too", async () => {
    const client = e2e.newClient("s7-skopeo");
    client.writeConfig({});
    const authFile = join(client.home, "containers-auth.json");
    writeFileSync(authFile, JSON.stringify({ auths: { [registry.host]: plaintextAuth(ALICE.user, ALICE.password) } }));
    const result = await configure(client, [`--containers-auth=${authFile}`]);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    const auth = JSON.parse(readFileSync(authFile, "utf8")) as DockerConfigJson;
    expect(auth.credHelpers).toEqual({ [registry.host]: "codespaces" });
    expect(auth.auths?.[registry.host]).toBeUndefined();
    const inspected = await client.skopeo(["inspect", "--authfile", authFile, "--tls-verify=false", `docker://${ref()}`], {
      env: tripleEnv(),
    });
    expect(inspected.code, inspected.stderr).toBe(0);
    expect((JSON.parse(inspected.stdout) as { Name: string }).Name).toBe(`${registry.host}/private/configured`);
  });
});

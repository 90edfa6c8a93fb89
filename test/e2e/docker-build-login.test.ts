import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ALICE, BOB, HELPER_LOG_VAR, readHelperLog, registryTriple, TEST_TIMEOUT_MS, useE2e, type Registry } from "../support/e2e/index.js";

// Scenarios 3 and 4: credsStore with the classic builder (list, then get for
// each listed registry), and docker login / logout against the helper.

describe("docker build and docker login through the helper", { timeout: TEST_TIMEOUT_MS }, () => {
  let registryA: Registry;
  let registryB: Registry;
  const refA = () => `${registryA.host}/private/base:latest`;
  const e2e = useE2e({
    setup: async () => {
      registryA = await e2e.startRegistry({ users: { [ALICE.user]: ALICE.password } });
      registryB = await e2e.startRegistry({ users: { [BOB.user]: BOB.password } });
      await e2e.seedImage(refA(), ALICE);
    },
  });

  function writeBuildContext(dir: string, from: string): string {
    const context = join(dir, "context");
    mkdirSync(context);
    writeFileSync(join(context, "Dockerfile"), `FROM ${from}\nLABEL org.example.e2e="credsStore build"\n`);
    return context;
  }

  it("3: credsStore serves docker pull", async () => {
    const client = e2e.newClient("s3-pull");
    client.writeConfig({ credsStore: "codespaces" });
    const log = join(client.home, "helper.log");
    const pulled = await client.docker(["pull", refA()], { env: { ...registryTriple("ACME", registryA.host, ALICE), [HELPER_LOG_VAR]: log } });
    expect(pulled.stderr).toBe("");
    expect(pulled.code).toBe(0);
    expect(await client.imagePresent(refA())).toBe(true);
    expect(readHelperLog(log)).toEqual([`get ${registryA.host}`]);
    await client.removeImage(refA());
  });

  it("3: classic builder (DOCKER_BUILDKIT=0) builds FROM the private image: list, then get", async () => {
    const client = e2e.newClient("s3-build");
    client.writeConfig({ credsStore: "codespaces" });
    await client.removeImage(refA());
    const log = join(client.home, "helper.log");
    const context = writeBuildContext(client.home, refA());
    const built = await client.docker(["build", "--tag", "e2e/built:credsstore", context], {
      env: { ...registryTriple("ACME", registryA.host, ALICE), DOCKER_BUILDKIT: "0", [HELPER_LOG_VAR]: log },
    });
    expect(built.code, built.stderr).toBe(0);
    expect(built.stdout).toContain(`Step 1/2 : FROM ${refA()}`);
    expect(built.stdout).toContain("Successfully tagged e2e/built:credsstore");
    expect(await client.imagePresent("e2e/built:credsstore")).toBe(true);
    expect(await client.imagePresent(refA())).toBe(true); // pulled by the daemon with the helper's credentials
    const calls = readHelperLog(log);
    expect(calls[0]).toBe("list");
    expect(calls).toContain(`get ${registryA.host}`);
    expect(calls.indexOf(`get ${registryA.host}`)).toBeGreaterThan(0);
    const inspect = await client.docker(["image", "inspect", "--format", '{{index .Config.Labels "org.example.e2e"}}', "e2e/built:credsstore"]);
    expect(inspect.stdout.trim()).toBe("credsStore build");
    await client.removeImage("e2e/built:credsstore");
    await client.removeImage(refA());
  });

  it("3: classic builder without the triple: list is empty and the FROM pull is refused", async () => {
    const client = e2e.newClient("s3-build-none");
    client.writeConfig({ credsStore: "codespaces" });
    await client.removeImage(refA());
    const log = join(client.home, "helper.log");
    const context = writeBuildContext(client.home, refA());
    const built = await client.docker(["build", "--tag", "e2e/built:none", context], {
      env: { DOCKER_BUILDKIT: "0", [HELPER_LOG_VAR]: log },
    });
    expect(built.code).not.toBe(0);
    expect(built.stderr).toContain("no basic auth credentials");
    expect(readHelperLog(log)).toEqual(["list"]);
    expect(await client.imagePresent("e2e/built:none")).toBe(false);
  });

  it("4: docker login without -u/-p calls get, then store; logout calls erase; both succeed", async () => {
    const client = e2e.newClient("s4");
    client.writeConfig({ credHelpers: { [registryA.host]: "codespaces" } });
    const log = join(client.home, "helper.log");
    const env = { ...registryTriple("ACME", registryA.host, ALICE), [HELPER_LOG_VAR]: log };
    const login = await client.docker(["login", registryA.host], { env });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain("Login Succeeded");
    expect(readHelperLog(log)).toEqual([`get ${registryA.host}`, "store"]);
    // the password went to the helper, not into config.json
    const config = client.readConfig() as { auths?: Record<string, { auth?: string }> };
    expect(config.auths?.[registryA.host]?.auth).toBeUndefined();
    expect(JSON.stringify(config)).not.toContain(ALICE.password);

    const logout = await client.docker(["logout", registryA.host], { env });
    expect(logout.code, logout.stderr).toBe(0);
    expect(logout.stdout).toContain(`Removing login credentials for ${registryA.host}`);
    expect(readHelperLog(log).slice(2)).toContain(`erase ${registryA.host}`);
    // the environment's credentials stay in force after logout
    const pulled = await client.docker(["pull", refA()], { env });
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(await client.imagePresent(refA())).toBe(true);
    await client.removeImage(refA());
  });

  it("4: docker login -u --password-stdin for a managed registry goes straight to store", async () => {
    const client = e2e.newClient("s4-stdin");
    client.writeConfig({ credHelpers: { [registryA.host]: "codespaces" } });
    const log = join(client.home, "helper.log");
    const login = await client.docker(["login", "--username", ALICE.user, "--password-stdin", registryA.host], {
      env: { ...registryTriple("ACME", registryA.host, ALICE), [HELPER_LOG_VAR]: log },
      input: `${ALICE.password}\n`,
    });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain("Login Succeeded");
    expect(readHelperLog(log)).toEqual(["store"]);
  });

  it("4: docker login without -u/-p and without a triple: get says not found, then no interactive login", async () => {
    const client = e2e.newClient("s4-none");
    client.writeConfig({ credHelpers: { [registryB.host]: "codespaces" } });
    const log = join(client.home, "helper.log");
    const login = await client.docker(["login", registryB.host], { env: { [HELPER_LOG_VAR]: log } });
    expect(login.code).not.toBe(0);
    expect(login.stderr).toMatch(/non TTY device|non-TTY/i);
    expect(readHelperLog(log)).toEqual([`get ${registryB.host}`]);
  });

  it("4: docker login to a registry no triple manages fails, because the helper stores nothing", async () => {
    const client = e2e.newClient("s4-unmanaged");
    client.writeConfig({ credHelpers: { [registryB.host]: "codespaces" } });
    const login = await client.docker(["login", "--username", BOB.user, "--password-stdin", registryB.host], {
      env: registryTriple("ACME", registryA.host, ALICE),
      input: `${BOB.password}\n`,
    });
    expect(login.code).not.toBe(0);
    expect(login.stderr).toContain("error storing credentials");
    expect(login.stderr).toContain("stores nothing");
    expect(JSON.stringify(client.readConfig())).not.toContain(BOB.password);
  });
});

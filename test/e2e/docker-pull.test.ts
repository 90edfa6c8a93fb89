import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertPrerequisites,
  HOOK_TIMEOUT_MS,
  TEST_TIMEOUT_MS,
  createHelperBin,
  dockerClient,
  HELPER_LOG_VAR,
  HELPER_STRACE_VAR,
  readHelperLog,
  registryTriple,
  readTraces,
  seedImage,
  startDockerd,
  startRegistry,
  type DockerClient,
  type Dockerd,
  type HelperBin,
  type Registry,
} from "../support/e2e/index.js";

// Scenarios 1, 2 and 8: `docker pull` through credHelpers, with the
// credentials coming only from <ID>_CONTAINER_REGISTRY_* triples in the
// docker CLI's environment (which the CLI hands to the helper).

const ALICE = { user: "alice", password: "alice-Pa55word-e2e" };
const BOB = { user: "bob", password: "bob-Pa55word-e2e" };


describe("docker pull through the helper", { timeout: TEST_TIMEOUT_MS }, () => {
  let dockerd: Dockerd;
  let helper: HelperBin;
  let privateA: Registry; // alice
  let privateB: Registry; // bob
  let open: Registry; // no auth
  const clients: DockerClient[] = [];
  const newClient = (name: string): DockerClient => {
    const client = dockerClient(dockerd, helper, name);
    clients.push(client);
    return client;
  };
  const refA = () => `${privateA.host}/private/img:latest`;
  const refB = () => `${privateB.host}/team/tool:1.0`;
  const refOpen = () => `${open.host}/public/img:latest`;

  beforeAll(async () => {
    assertPrerequisites();
    helper = createHelperBin();
    dockerd = await startDockerd();
    // one at a time, so that afterAll can stop whatever did start
    privateA = await startRegistry({ users: { [ALICE.user]: ALICE.password } });
    privateB = await startRegistry({ users: { [BOB.user]: BOB.password } });
    open = await startRegistry();
    await seedImage(dockerd, refA(), ALICE);
    await seedImage(dockerd, refB(), BOB);
    await seedImage(dockerd, refOpen());
  }, HOOK_TIMEOUT_MS);

  afterAll(async () => {
    for (const client of clients) client.cleanup();
    const stops = [dockerd?.stop(), privateA?.stop(), privateB?.stop(), open?.stop()];
    helper?.remove();
    const results = await Promise.allSettled(stops);
    const failed = results.filter((r) => r.status === "rejected");
    if (failed.length > 0) throw new Error(failed.map((r) => String((r as PromiseRejectedResult).reason)).join("\n"));
  }, HOOK_TIMEOUT_MS);

  it("1: pulls a private image with credHelpers and the triple in the CLI's env", async () => {
    const client = newClient("s1-ok");
    client.writeConfig({ credHelpers: { [privateA.host]: "codespaces" } });
    const log = join(client.home, "helper.log");
    const pulled = await client.docker(["pull", refA()], {
      env: { ...registryTriple("ACME", privateA.host, ALICE), [HELPER_LOG_VAR]: log },
    });
    expect(pulled.stderr).toBe("");
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toContain(`Status: Downloaded newer image for ${refA()}`);
    expect(await client.imagePresent(refA())).toBe(true);
    expect(readHelperLog(log)).toContain(`get ${privateA.host}`);
    await client.removeImage(refA());
  });

  it("1: without the triple the helper says not found, docker goes anonymous and gets docker's auth error", async () => {
    const client = newClient("s1-none");
    client.writeConfig({ credHelpers: { [privateA.host]: "codespaces" } });
    const log = join(client.home, "helper.log");
    const pulled = await client.docker(["pull", refA()], { env: { [HELPER_LOG_VAR]: log } });
    expect(pulled.code).not.toBe(0);
    expect(pulled.stderr).toContain("no basic auth credentials");
    // not-found is not an error for the CLI: no "error getting credentials"
    expect(pulled.stderr).not.toContain("error getting credentials");
    expect(readHelperLog(log)).toContain(`get ${privateA.host}`);
    expect(await client.imagePresent(refA())).toBe(false);
  });

  it("1: a wrong password in the triple reaches the registry and is refused by it", async () => {
    const client = newClient("s1-wrong");
    client.writeConfig({ credHelpers: { [privateA.host]: "codespaces" } });
    const pulled = await client.docker(["pull", refA()], {
      env: registryTriple("ACME", privateA.host, { user: ALICE.user, password: "not-the-password" }),
    });
    expect(pulled.code).not.toBe(0);
    expect(pulled.stderr).toMatch(/unauthorized|authentication required/i);
    expect(await client.imagePresent(refA())).toBe(false);
  });

  it("1: an open registry still works through the helper's not-found", async () => {
    const client = newClient("s1-open");
    client.writeConfig({ credHelpers: { [open.host]: "codespaces" } });
    const log = join(client.home, "helper.log");
    const pulled = await client.docker(["pull", refOpen()], {
      env: { ...registryTriple("ACME", privateA.host, ALICE), [HELPER_LOG_VAR]: log },
    });
    expect(pulled.stderr).toBe("");
    expect(pulled.code).toBe(0);
    expect(await client.imagePresent(refOpen())).toBe(true);
    expect(readHelperLog(log)).toContain(`get ${open.host}`);
    await client.removeImage(refOpen());
  });

  it("2: two registries, two triples at once", async () => {
    const client = newClient("s2");
    client.writeConfig({ credHelpers: { [privateA.host]: "codespaces", [privateB.host]: "codespaces" } });
    const log = join(client.home, "helper.log");
    const env = { ...registryTriple("ACME", privateA.host, ALICE), ...registryTriple("BOBCO", privateB.host, BOB), [HELPER_LOG_VAR]: log };
    const [a, b] = await Promise.all([client.docker(["pull", refA()], { env }), client.docker(["pull", refB()], { env })]);
    expect(a.stderr).toBe("");
    expect(b.stderr).toBe("");
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(await client.imagePresent(refA())).toBe(true);
    expect(await client.imagePresent(refB())).toBe(true);
    expect(readHelperLog(log).sort()).toEqual([`get ${privateA.host}`, `get ${privateB.host}`].sort());
    await client.removeImage(refA());
    await client.removeImage(refB());
  });

  it("8: during docker pull the helper writes no file", async () => {
    const client = newClient("s8");
    client.writeConfig({ credHelpers: { [privateA.host]: "codespaces" } });
    const prefix = join(client.home, "strace", "helper");
    mkdirSync(join(client.home, "strace"));
    const pulled = await client.docker(["pull", refA()], {
      env: { ...registryTriple("ACME", privateA.host, ALICE), [HELPER_STRACE_VAR]: prefix },
    });
    expect(pulled.stderr).toBe("");
    expect(pulled.code).toBe(0);
    expect(await client.imagePresent(refA())).toBe(true);
    const trace = readTraces(prefix);
    expect(trace.files.length).toBeGreaterThanOrEqual(1); // the helper ran, traced
    expect(trace.lines.some((line) => line.includes("execve("))).toBe(true);
    expect(trace.writes).toEqual([]);
    await client.removeImage(refA());
  });
});

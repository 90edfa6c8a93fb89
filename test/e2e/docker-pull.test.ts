import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isWrite, watchFileSystem } from "../support/fanotify.js";
import {
  ALICE,
  BOB,
  HELPER_LOG_VAR,
  HELPER_STRACE_VAR,
  readHelperLog,
  readTraces,
  registryTriple,
  TEST_TIMEOUT_MS,
  useE2e,
  type Registry,
} from "../support/e2e/index.js";

// Scenarios 1, 2 and 8: `docker pull` through credHelpers, with the
// credentials coming only from <ID>_CONTAINER_REGISTRY_* triples in the
// docker CLI's environment (which the CLI hands to the helper).

describe("docker pull through the helper", { timeout: TEST_TIMEOUT_MS }, () => {
  let privateA: Registry; // alice
  let privateB: Registry; // bob
  let open: Registry; // no auth
  const refA = () => `${privateA.host}/private/img:latest`;
  const refB = () => `${privateB.host}/team/tool:1.0`;
  const refOpen = () => `${open.host}/public/img:latest`;
  const e2e = useE2e({
    setup: async () => {
      privateA = await e2e.startRegistry({ users: { [ALICE.user]: ALICE.password } });
      privateB = await e2e.startRegistry({ users: { [BOB.user]: BOB.password } });
      open = await e2e.startRegistry();
      await e2e.seedImage(refA(), ALICE);
      await e2e.seedImage(refB(), BOB);
      await e2e.seedImage(refOpen());
    },
  });

  it("1: pulls a private image with credHelpers and the triple in the CLI's env", async () => {
    const client = e2e.newClient("s1-ok");
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
    const client = e2e.newClient("s1-none");
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
    const client = e2e.newClient("s1-wrong");
    client.writeConfig({ credHelpers: { [privateA.host]: "codespaces" } });
    const pulled = await client.docker(["pull", refA()], {
      env: registryTriple("ACME", privateA.host, { user: ALICE.user, password: "not-the-password" }),
    });
    expect(pulled.code).not.toBe(0);
    expect(pulled.stderr).toMatch(/unauthorized|authentication required/i);
    expect(await client.imagePresent(refA())).toBe(false);
  });

  it("1: an open registry still works through the helper's not-found", async () => {
    const client = e2e.newClient("s1-open");
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
    const client = e2e.newClient("s2");
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
    const client = e2e.newClient("s8");
    client.writeConfig({ credHelpers: { [privateA.host]: "codespaces" } });
    const prefix = join(client.home, "strace", "helper");
    mkdirSync(join(client.home, "strace"));
    // strace for syscalls; fanotify for what reaches the file system, io_uring writes included.
    const watch = await watchFileSystem(client.home);
    const pulled = await client.docker(["pull", refA()], {
      env: { ...registryTriple("ACME", privateA.host, ALICE), [HELPER_STRACE_VAR]: prefix, UV_USE_IO_URING: "1" },
    }).finally(() => watch.stop());
    const events = await watch.stop();
    expect(pulled.stderr).toBe("");
    expect(pulled.code).toBe(0);
    expect(await client.imagePresent(refA())).toBe(true);
    const trace = readTraces(prefix);
    expect(trace.files.length).toBeGreaterThanOrEqual(1); // the helper ran, traced
    expect(trace.lines.some((line) => line.includes("execve("))).toBe(true);
    expect(trace.writes).toEqual([]);
    const pids = new Set(trace.pids);
    expect(events.filter((e) => isWrite(e) && pids.has(e.pid))).toEqual([]);
    await client.removeImage(refA());
  });
});

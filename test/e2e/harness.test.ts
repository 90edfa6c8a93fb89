import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  assertPrerequisites,
  createHelperBin,
  HELPER_CMD_VAR,
  HELPER_STRACE_VAR,
  isAlive,
  makeTempDir,
  readTraces,
  removeDir,
  run,
  startDockerd,
  TEST_TIMEOUT_MS,
} from "../support/e2e/index.js";
import { isWrite, watchFileSystem } from "../support/fanotify.js";

// The harness's own promise: a dockerd of its own (with its own containerd,
// not the system's), stopped by PID, leaving no process and no files behind.

describe("e2e harness", { timeout: TEST_TIMEOUT_MS }, () => {
  it("starts dockerd with its own containerd and stops both by PID", async () => {
    assertPrerequisites();
    const dockerd = await startDockerd();
    try {
      expect(dockerd.containerdPid).toBeTypeOf("number");
      const stat = readFileSync(`/proc/${dockerd.containerdPid}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      expect(parent).toBe(dockerd.pid);
      expect(readFileSync(`/proc/${dockerd.containerdPid}/cmdline`, "utf8")).toContain(dockerd.root);
    } finally {
      await dockerd.stop();
    }
    expect(isAlive(dockerd.pid)).toBe(false);
    expect(isAlive(dockerd.containerdPid ?? 0)).toBe(false);
    expect(existsSync(dockerd.root)).toBe(false);
  });

  // The control writes the way the helper would: asynchronously, on the same runtime, with
  // io_uring on (which strace cannot see, so fanotify must).
  it("the watchers catch a helper that writes a file (negative control for scenario 8)", async () => {
    assertPrerequisites();
    const helper = createHelperBin();
    const dir = makeTempDir("trace-control");
    try {
      const prefix = join(dir, "helper");
      const written = join(dir, "written-by-helper.txt");
      const script = join(dir, "control.mjs");
      writeFileSync(script, `import { promises as fs } from "node:fs";\nawait fs.writeFile(${JSON.stringify(written)}, "token");\n`);
      const env = {
        PATH: "/usr/bin:/bin",
        UV_USE_IO_URING: "1",
        [HELPER_CMD_VAR]: `${process.execPath} ${script}`,
        [HELPER_STRACE_VAR]: prefix,
      };
      const watch = await watchFileSystem(dir);
      const result = await run(helper.wrapper, ["get"], { env, input: "example.test" }).finally(() => watch.stop());
      const events = await watch.stop();
      expect(result.code, result.stderr).toBe(0);
      expect(existsSync(written)).toBe(true);
      const trace = readTraces(prefix);
      expect(trace.files.length).toBeGreaterThanOrEqual(1);
      const pids = new Set(trace.pids);
      expect(events.filter(isWrite).some((e) => pids.has(e.pid) && e.path === written)).toBe(true);
    } finally {
      helper.remove();
      removeDir(dir);
    }
  });
});

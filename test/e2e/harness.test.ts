import { existsSync, readFileSync } from "node:fs";
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

  it("the syscall trace catches a helper that writes a file (negative control for scenario 8)", async () => {
    assertPrerequisites();
    const helper = createHelperBin();
    const dir = makeTempDir("trace-control");
    try {
      const prefix = join(dir, "helper");
      const written = join(dir, "written-by-helper.txt");
      const env = {
        PATH: "/usr/bin:/bin",
        [HELPER_CMD_VAR]: `${process.execPath} -e "require('fs').writeFileSync(process.argv[1], 'x')" ${written}`,
        [HELPER_STRACE_VAR]: prefix,
      };
      const result = await run(helper.wrapper, ["get"], { env, input: "example.test" });
      expect(result.code, result.stderr).toBe(0);
      expect(existsSync(written)).toBe(true);
      const trace = readTraces(prefix);
      expect(trace.files).toHaveLength(1);
      expect(trace.writes.some((line) => line.includes(written) && /O_WRONLY|O_CREAT/.test(line))).toBe(true);
    } finally {
      helper.remove();
      removeDir(dir);
    }
  });
});

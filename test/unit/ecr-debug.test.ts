import { afterEach, describe, expect, it, vi } from "vitest";
import { DEBUG_VARIABLE } from "../../src/debug.js";

// Loading the mint module (and so the AWS SDK) says so on stderr when debugging: the suites prove
// with that line that the static path never loads it. The line is written at load, so each case
// loads the module afresh, with stderr's descriptor writes recorded.
const written = vi.hoisted(() => [] as Array<[number, string]>);
vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>();
  return {
    ...real,
    writeSync: (fd: number, text: string) => {
      written.push([fd, text]);
      return text.length;
    },
  };
});
afterEach(() => vi.unstubAllEnvs());

describe("loading the mint module", () => {
  it.each([
    ["1", [[2, `${DEBUG_VARIABLE}: AWS SDK loaded to mint an ECR token\n`]]],
    ["", []],
    ["0", []],
    [undefined, []],
  ])("with %j in the debug variable writes %j", async (value, expected) => {
    written.length = 0;
    vi.stubEnv(DEBUG_VARIABLE, value);
    vi.resetModules();
    await import("../../src/ecr/mint.js");
    expect(written).toEqual(expected);
  });
});

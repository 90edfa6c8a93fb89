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

describe("the AWS SDK's Node version warning", () => {
  // The SDK's own opt-out, set at load before any SDK client exists (the default chain's STS
  // and SSO clients would otherwise print a multi-line warning on Node < 22); a choice the user
  // made is kept.
  const OPT_OUT = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";
  it.each([
    [undefined, "true"],
    ["false", "false"],
  ])("with %j in the opt-out variable, loading the mint module leaves %j", async (value, expected) => {
    vi.stubEnv(OPT_OUT, value);
    vi.resetModules();
    await import("../../src/ecr/mint.js");
    expect(process.env[OPT_OUT]).toBe(expected);
  });
});

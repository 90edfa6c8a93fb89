import { describe, expect, it } from "vitest";
import { run } from "../../src/cli.js";
import { triple } from "../support/triple.js";

/** One in-process run; `input` may be a function that throws, to reach the internal-error path. */
async function cli(argv: string[], env: Record<string, string>, input: string | (() => never)) {
  let stdout = "";
  let stderr = "";
  async function* stdin() {
    yield Buffer.from(typeof input === "string" ? input : input());
  }
  const code = await run({ argv, env, stdin: stdin(), stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe("run", () => {
  it("puts the internal-error line on stdout and stderr", async () => {
    const r = await cli(["get"], {}, () => {
      throw new TypeError("boom");
    });
    const line = "internal error in get; run again with DOCKER_CREDENTIAL_CODESPACES_DEBUG=1 for details\n";
    expect(r).toEqual({ code: 1, stdout: line, stderr: `docker-credential-codespaces: ${line}` });
  });

  it("redacts every known secret, however short, from debug and error output but never from the answer", async () => {
    const env = {
      ...triple("S", "short.test", "u", "ab"),
      ...triple("P", "partial.test", "", "pw-of-partial"),
      AWS_SECRET_ACCESS_KEY: "aws/secret key",
      AWS_SESSION_TOKEN: "tok",
      DOCKER_CREDENTIAL_CODESPACES_DEBUG: "1",
    };
    const ok = await cli(["get"], env, "short.test");
    expect(JSON.parse(ok.stdout).Secret).toBe("ab");
    // The server string a client sends reaches debug; secrets in it, even URL-encoded, do not.
    const r = await cli(["get"], env, "https://x.test/ab/aws%2fsecret+key/AWS%2FSECRET%20KEY/pw-of-partial/t%6Fk");
    expect(r.code).toBe(1);
    for (const secret of ["ab", "aws/secret key", "aws%2fsecret+key", "pw-of-partial", "t%6Fk"]) expect(r.stderr).not.toContain(secret);
    expect(r.stderr).toContain("<redacted>");
    expect(r.stdout).toBe("credentials not found in native keychain\n");
  });

  it("redacts a proxy's password from debug output too", async () => {
    const env = { ...triple("S", "short.test", "u", "pw-of-short"), HTTPS_PROXY: "http://alice:pr0xy@pass@127.0.0.1:1", DOCKER_CREDENTIAL_CODESPACES_DEBUG: "1" };
    const r = await cli(["get"], env, "https://x.test/pr0xy@pass/pr0xy%40pass");
    expect(r.stdout).toBe("credentials not found in native keychain\n");
    expect(r.stderr).toContain("<redacted>");
    expect(r.stderr).not.toMatch(/pr0xy/);
  });

  it("answers doctor --help with doctor's help, as configure --help does, and checks nothing", async () => {
    for (const args of [["--help"], ["--offline", "-h"]]) {
      const r = await cli(["doctor", ...args], triple("S", "127.0.0.1:1", "u", "pw-of-s"), "");
      expect(r).toEqual({ code: 0, stdout: expect.stringMatching(/^docker-credential-codespaces doctor \[--offline\] \[--json\]\n/), stderr: "" });
      expect(r.stdout).not.toContain("127.0.0.1");
    }
  });
});

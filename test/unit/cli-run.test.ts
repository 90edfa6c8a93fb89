import { describe, expect, it } from "vitest";
import { run } from "../../src/cli.js";
import { runInProcess } from "../support/fake-io.js";
import { triple } from "../support/triple.js";

// The CLI driven in-process through run(io): the same answers the spawned
// suites check (test/cli), here fast enough for mutation testing.

declare const PACKAGE_VERSION: string;

const NOT_FOUND = "credentials not found in native keychain\n";
const failure = (line: string) => ({ code: 1, stdout: line, stderr: `docker-credential-codespaces: ${line}` });

const env = {
  ...triple("GH", "ghcr.io", "gh-user", "gh-secret-1111"),
  ...triple("LOCAL", "http://registry.test:5000/", "local-user", "local-secret-2222"),
  ...triple("HUB", "https://index.docker.io/v1/", "hub-user", "hub-secret-3333"),
};
const get = (server: string, extra: Record<string, string> = env) => runInProcess(["get"], { stdin: server, env: extra });

describe("get matches a configured registry exactly", () => {
  it.each([
    ["ghcr.io", "gh-user", "gh-secret-1111"],
    ["https://GHCR.io/v2/", "gh-user", "gh-secret-1111"],
    ["ghcr.io:443", "gh-user", "gh-secret-1111"],
    ["ghcr.io.", "gh-user", "gh-secret-1111"],
    ["registry.test:5000", "local-user", "local-secret-2222"],
    ["http://registry.test:5000/v2/x", "local-user", "local-secret-2222"],
    ["docker.io", "hub-user", "hub-secret-3333"],
  ])("%j is the registry of %s", async (server, user, secret) => {
    expect(await get(server)).toEqual({ code: 0, stdout: `${JSON.stringify({ ServerURL: server, Username: user, Secret: secret })}\n`, stderr: "" });
  });

  it.each([
    "evil.ghcr.io",
    "a.b.ghcr.io",
    "ghcr.io.evil",
    "ghcr.io.evil.test",
    "xghcr.io",
    "ghcr.i",
    "hcr.io",
    "ghcr.io:5000",
    "ghcr.io:4430",
    "registry.test",
    "registry.test:500",
    "registry.test:50001",
    "registry.test:443",
    "sub.registry.test:5000",
    "evil.docker.io",
    "index.docker.io:5000",
  ])("%j is no configured registry: exactly the not-found sentinel", async (server) => {
    expect(await get(server)).toEqual({ code: 1, stdout: NOT_FOUND, stderr: "" });
  });

  it("fails an incomplete triple naming each missing variable", async () => {
    expect(await get("p.test", { P_CONTAINER_REGISTRY_SERVER: "p.test" })).toEqual(
      failure(
        "p.test is configured by P_CONTAINER_REGISTRY_* but P_CONTAINER_REGISTRY_USER and P_CONTAINER_REGISTRY_PASSWORD " +
          "are missing or empty; set them in your Codespaces secrets and restart the codespace\n",
      ),
    );
  });

  it("passes an ECR USER=AWS token through, and refuses an expired one with its expiry", async () => {
    const host = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
    const token = (expiration: number) => Buffer.from(JSON.stringify({ payload: "p", expiration })).toString("base64");
    const live = token(Math.floor(Date.now() / 1000) + 600);
    expect(await get(host, triple("E", host, "AWS", live))).toEqual({
      code: 0,
      stdout: `${JSON.stringify({ ServerURL: host, Username: "AWS", Secret: live })}\n`,
      stderr: "",
    });
    expect(await get(host, triple("E", host, "AWS", "not-a-token"))).toMatchObject({ code: 0 });
    const expired = await get(host, triple("E", host, "AWS", token(1_700_000_000)));
    expect(expired).toEqual(
      failure(
        `${host}: the ECR token in E_CONTAINER_REGISTRY_PASSWORD expired at 2023-11-14T22:13:20.000Z; ` +
          "set E_CONTAINER_REGISTRY_USER to an AWS access key id and _PASSWORD to its secret key so that tokens are minted on demand\n",
      ),
    );
  });
});

describe("store and erase", () => {
  const store = (body: object) => runInProcess(["store"], { stdin: JSON.stringify(body), env });

  it("store: the environment's own credentials are accepted silently", async () => {
    expect(await store({ ServerURL: "ghcr.io", Username: "gh-user", Secret: "gh-secret-1111" })).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it.each([
    [{ ServerURL: "ghcr.io", Username: "other", Secret: "gh-secret-1111" }],
    [{ ServerURL: "ghcr.io", Username: "gh-user", Secret: "typed" }],
  ])("store: other credentials for a managed registry are noted on stderr %#", async (body) => {
    expect(await store(body)).toEqual({
      code: 0,
      stdout: "",
      stderr:
        "docker-credential-codespaces: nothing stored; ghcr.io is configured by GH_CONTAINER_REGISTRY_* and the environment's credentials stay in force\n",
    });
  });

  it("store: an incomplete triple fails with the line get gives", async () => {
    const r = await runInProcess(["store"], {
      stdin: JSON.stringify({ ServerURL: "p.test", Username: "u", Secret: "s" }),
      env: { P_CONTAINER_REGISTRY_SERVER: "p.test" },
    });
    const g = await get("p.test", { P_CONTAINER_REGISTRY_SERVER: "p.test" });
    expect(g.code).toBe(1);
    expect(r).toEqual(g);
  });

  it.each(["evil.ghcr.io", "ghcr.io.evil", "xghcr.io", "ghcr.io:5000"])("store: %j is refused, not managed", async (server) => {
    expect(await store({ ServerURL: server, Username: "u", Secret: "typed" })).toEqual(
      failure(
        `nothing stored: this helper stores nothing and ${server} is not configured by a <ID>_CONTAINER_REGISTRY_* triple; ` +
          'route it to another store with a "credHelpers" entry for it in ~/.docker/config.json\n',
      ),
    );
  });

  it("erase: a managed registry is left in force with a note", async () => {
    expect(await runInProcess(["erase"], { stdin: "https://ghcr.io/", env })).toEqual({
      code: 0,
      stdout: "",
      stderr: "docker-credential-codespaces: nothing erased; ghcr.io is configured by GH_CONTAINER_REGISTRY_* and stays available while those variables are set\n",
    });
  });

  it.each(["evil.ghcr.io", "ghcr.io.evil", "xghcr.io", "ghcr.io:5000"])("erase: %j is not found", async (server) => {
    expect(await runInProcess(["erase"], { stdin: server, env })).toEqual({ code: 1, stdout: NOT_FOUND, stderr: "" });
  });
});

describe("list, version, usage", () => {
  it("list names each complete registry once, ECR as AWS, and leaves conflicts out", async () => {
    const r = await runInProcess(["list"], {
      env: {
        ...env,
        ...triple("GH2", "GHCR.io", "gh-user", "gh-secret-1111"),
        ...triple("ECR", "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "AKIAEXAMPLE", "aws-secret"),
        ...triple("D1", "dup.test", "u", "one"),
        ...triple("D2", "dup.test", "u", "two"),
      },
    });
    expect(r).toEqual({
      code: 0,
      stdout: `${JSON.stringify({
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com": "AWS",
        "ghcr.io": "gh-user",
        "https://index.docker.io/v1/": "hub-user",
        "registry.test:5000": "local-user",
      })}\n`,
      stderr: "",
    });
  });

  it.each([["version"], ["-v"], ["--version"]])("%s prints the version line", async (arg) => {
    expect(await runInProcess([arg])).toEqual({ code: 0, stdout: `docker-credential-codespaces (docker-credential-codespaces) ${PACKAGE_VERSION}\n`, stderr: "" });
  });

  it.each([["-h"], ["--help"], ["help"]])("%s prints the help text, exit 0", async (arg) => {
    const r = await runInProcess([arg]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toMatch(/^Usage: docker-credential-codespaces <store\|get\|erase\|list\|version\|configure\|doctor\|agent>\n\n/);
    expect(r.stdout).toContain("\nVerbs:\n");
  });

  it("help <verb> prints that verb's details; an unknown one fails", async () => {
    const r = await runInProcess(["help", "configure"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--dry-run");
    expect(r.stdout).not.toBe((await runInProcess(["help"])).stdout);
    expect(await runInProcess(["help", "nope"])).toEqual(failure('no help for "nope"; see --help\n'));
  });

  it("no verb prints usage, exit 1", async () => {
    expect(await runInProcess([])).toEqual(failure("Usage: docker-credential-codespaces <store|get|erase|list|version|configure|doctor|agent>\n"));
  });

  it.each(["fetch", "constructor", "toString", "__proto__"])("unknown verb %s is named", async (verb) => {
    expect(await runInProcess([verb])).toEqual(failure(`unknown action "${verb}"; see --help\n`));
  });

  it.each(["get", "list", "store", "erase", "version"])("%s refuses stray arguments", async (verb) => {
    expect(await runInProcess([verb, "extra"], { stdin: "ghcr.io", env })).toEqual(failure(`${verb} takes no arguments; see --help\n`));
  });
});

describe("debug output", () => {
  const debugEnv = { ...env, DOCKER_CREDENTIAL_CODESPACES_DEBUG: "1" };

  it("is silent unless the variable is exactly 1", async () => {
    for (const value of ["0", "true", "", "yes"]) {
      const r = await runInProcess(["get"], { stdin: "ghcr.io", env: { ...env, DOCKER_CREDENTIAL_CODESPACES_DEBUG: value } });
      expect(r.stderr).toBe("");
    }
  });

  it("explains the decision and the failure, one prefixed line each", async () => {
    const r = await runInProcess(["get"], { stdin: "ghcr.io.evil", env: { ...debugEnv, ...triple("BAD", "user@x.test", "u", "p") } });
    expect(r.stdout).toBe(NOT_FOUND);
    expect(r.stderr).toBe(
      [
        "DOCKER_CREDENTIAL_CODESPACES_DEBUG: BAD_CONTAINER_REGISTRY_* ignored: BAD_CONTAINER_REGISTRY_SERVER: invalid server URL: user information (user@host) is not allowed in a server",
        'DOCKER_CREDENTIAL_CODESPACES_DEBUG: get "ghcr.io.evil" -> registry ghcr.io.evil',
        `DOCKER_CREDENTIAL_CODESPACES_DEBUG: get failed: ${NOT_FOUND}`,
      ].join("\n"),
    );
  });

  it("redacts every secret that reaches a debug line (longest first), a short one where it stands alone", async () => {
    // The server string a client sends lands in a debug line: make it carry the secrets.
    const secretEnv = {
      ...debugEnv,
      ...triple("LONG", "long.test", "u", "abcd-secret-abcd"),
      ...triple("TEMP", "temp.test", "u", "pw-temp-9999"),
      TEMP_CONTAINER_REGISTRY_SESSION_TOKEN: "sess-token-8888",
      AWS_SECRET_ACCESS_KEY: "aws-secret-7777",
      AWS_SESSION_TOKEN: "aws-session-6666",
      ...triple("SHORT", "short.test", "u", "abc"),
    };
    const server = "https://x.test/abcd-secret-abcd/pw-temp-9999/sess-token-8888/aws-secret-7777/aws-session-6666/abc";
    const r = await runInProcess(["get"], { stdin: server, env: secretEnv });
    expect(r.stdout).toBe(NOT_FOUND);
    expect(r.stderr).toContain(`DOCKER_CREDENTIAL_CODESPACES_DEBUG: get "https://x.test/<redacted>/<redacted>/<redacted>/<redacted>/<redacted>/<redacted>" -> registry x.test\n`);
    for (const secret of ["abcd-secret-abcd", "pw-temp-9999", "sess-token-8888", "aws-secret-7777", "aws-session-6666"]) {
      expect(r.stderr).not.toContain(secret);
    }
    // A secret containing another is blanked whole, not around the shorter one.
    const nested = await runInProcess(["get"], {
      stdin: "https://x.test/secret-and-more",
      env: { ...debugEnv, ...triple("A", "a.test", "u", "secret"), ...triple("B", "b.test", "u", "secret-and-more") },
    });
    expect(nested.stderr).toContain('get "https://x.test/<redacted>" -> registry x.test');
  });
});

describe("internal errors", () => {
  it("an unexpected exception is one line naming the verb and the debug switch, exit 1, no stack", async () => {
    const boom = new TypeError("boom at secret-place");
    const io = (debug: string | undefined) => {
      let stdout = "";
      let stderr = "";
      return {
        io: {
          argv: ["get"],
          env: { DOCKER_CREDENTIAL_CODESPACES_DEBUG: debug },
          stdin: (async function* (): AsyncGenerator<Uint8Array> {
            throw boom;
          })(),
          stdout: (t: string) => (stdout += t),
          stderr: (t: string) => (stderr += t),
        },
        out: () => ({ stdout, stderr }),
      };
    };
    const quiet = io(undefined);
    expect(await run(quiet.io)).toBe(1);
    const line = "internal error in get; run again with DOCKER_CREDENTIAL_CODESPACES_DEBUG=1 for details\n";
    expect(quiet.out()).toEqual({ stdout: line, stderr: `docker-credential-codespaces: ${line}` });
    const loud = io("1");
    expect(await run(loud.io)).toBe(1);
    expect(loud.out().stderr).toMatch(/^DOCKER_CREDENTIAL_CODESPACES_DEBUG: get failed unexpectedly: TypeError: boom at secret-place\n {4}at /);
  });

  it("a thrown non-Error is reported as text", async () => {
    let stderr = "";
    const code = await run({
      argv: ["get"],
      env: { DOCKER_CREDENTIAL_CODESPACES_DEBUG: "1" },
      stdin: (async function* (): AsyncGenerator<Uint8Array> {
        throw "plain-string"; // eslint-disable-line no-throw-literal
      })(),
      stdout: () => {},
      stderr: (t) => (stderr += t),
    });
    expect(code).toBe(1);
    expect(stderr.split("\n")[0]).toBe("DOCKER_CREDENTIAL_CODESPACES_DEBUG: get failed unexpectedly: plain-string");
  });
});

/** One `get` whose stdin throws `thrown` on the first read. */
async function runInProcessWith(thrown: unknown, extra: Record<string, string>) {
  let stdout = "";
  let stderr = "";
  const code = await run({
    argv: ["get"],
    env: { ...env, ...extra },
    stdin: (async function* (): AsyncGenerator<Uint8Array> {
      throw thrown;
    })(),
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  return { code, stdout, stderr };
}

describe("bad input is one line naming the problem", () => {
  it.each([
    ["", "no credentials server URL\n"],
    [" \n", "no credentials server URL\n"],
    [Buffer.from([0x67, 0xff, 0xfe]), "invalid input: stdin is not valid UTF-8\n"],
    ["ghcr.io\0", "invalid input: stdin contains a NUL byte\n"],
    ["x".repeat(65_537), "input too large: more than 65536 bytes on stdin\n"],
    ["ftp://ghcr.io", 'invalid server URL: scheme "ftp" is not http or https\n'],
    ["user@ghcr.io", "invalid server URL: user information (user@host) is not allowed in a server\n"],
  ])("get %#", async (stdin, line) => {
    expect(await runInProcess(["get"], { stdin, env })).toEqual(failure(line));
  });

  it("accepts input of exactly the bound, read in several chunks", async () => {
    let stdout = "";
    const chunk = Buffer.from(`ghcr.io${" ".repeat(32 * 1024 - 7)}`);
    const code = await run({
      argv: ["get"],
      env,
      stdin: (async function* () {
        yield chunk;
        yield Buffer.alloc(32 * 1024, " ");
      })(),
      stdout: (t) => (stdout += t),
      stderr: () => {},
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ ServerURL: "ghcr.io", Username: "gh-user" });
  });

  // What a failing read of stdin throws: an errno error (`< /some/dir` gives EISDIR), or anything else.
  const readFails = (thrown: unknown, debug?: string) =>
    runInProcessWith(thrown, debug === undefined ? {} : { DOCKER_CREDENTIAL_CODESPACES_DEBUG: debug });

  it.each([
    ["EISDIR", "cannot read the request: stdin is a directory; pipe the request into the helper\n"],
    ["EIO", "cannot read the request from stdin (EIO); pipe the request into the helper\n"],
  ])("a read error %s is one plain line", async (code, line) => {
    expect(await readFails(Object.assign(new Error(`${code}: read failed`), { code }))).toEqual(failure(line));
  });

  it.each([
    ["null", null],
    ["an error with a numeric code", Object.assign(new Error("odd"), { code: 5 })],
  ])("a read that throws %s is an internal error, reported as thrown", async (_, thrown) => {
    const r = await readFails(thrown, "1");
    expect(r.stdout).toBe("internal error in get; run again with DOCKER_CREDENTIAL_CODESPACES_DEBUG=1 for details\n");
    expect(r.stderr.split("\n")[0]).toBe(`DOCKER_CREDENTIAL_CODESPACES_DEBUG: get failed unexpectedly: ${thrown === null ? "null" : "Error: odd"}`);
  });

  it("stops reading once the bound is passed", async () => {
    let pulled = 0;
    const code = await run({
      argv: ["get"],
      env,
      stdin: (async function* () {
        for (let i = 0; i < 100; i++) {
          pulled++;
          yield Buffer.alloc(40 * 1024, "x");
        }
      })(),
      stdout: () => {},
      stderr: () => {},
    });
    expect(code).toBe(1);
    expect(pulled).toBe(2);
  });

  it.each([
    [{ ServerURL: "", Username: "u", Secret: "s" }, "no credentials server URL\n"],
    [{ ServerURL: "  ", Username: "u", Secret: "s" }, "no credentials server URL\n"],
    [{ Username: "u", Secret: "s" }, "no credentials server URL\n"],
    [{ ServerURL: "ghcr.io", Username: " ", Secret: "s" }, "no credentials username\n"],
    [{ ServerURL: "ghcr.io", Secret: "s" }, "no credentials username\n"],
    ['{"ServerURL": "x", "Secret": "typed-password"', 'invalid store request: expected JSON {"ServerURL":…,"Username":…,"Secret":…} on stdin\n'],
    [{ ServerURL: 1, Username: "u", Secret: "typed-password" }, "invalid store request: ServerURL, Username and Secret must be strings in a JSON object\n"],
    ["[]", "invalid store request: ServerURL, Username and Secret must be strings in a JSON object\n"],
    ["null", "invalid store request: ServerURL, Username and Secret must be strings in a JSON object\n"],
  ])("store %#", async (body, line) => {
    const r = await runInProcess(["store"], { stdin: typeof body === "string" ? body : JSON.stringify(body), env });
    expect(r).toEqual(failure(line));
    expect(r.stdout + r.stderr).not.toContain("typed-password");
  });

  it("store without a Secret for a managed registry is a note, not a failure", async () => {
    const r = await runInProcess(["store"], { stdin: JSON.stringify({ ServerURL: "ghcr.io", Username: "gh-user" }), env });
    expect(r).toMatchObject({ code: 0, stdout: "" });
    expect(r.stderr).toContain("nothing stored");
  });
});

describe("edges of reading triples and servers", () => {
  it("names the one missing part of a triple in the singular", async () => {
    expect(await get("p.test", { ...triple("P", "p.test", "u", ""), P_CONTAINER_REGISTRY_PASSWORD: " " })).toEqual(
      failure("p.test is configured by P_CONTAINER_REGISTRY_* but P_CONTAINER_REGISTRY_PASSWORD is missing or empty; set it in your Codespaces secrets and restart the codespace\n"),
    );
    expect((await get("p.test", { P_CONTAINER_REGISTRY_SERVER: "p.test", P_CONTAINER_REGISTRY_PASSWORD: "s" })).stdout).toContain(
      "but P_CONTAINER_REGISTRY_USER is missing or empty; set it in",
    );
  });

  it("an incomplete triple for another registry leaves the answer not found", async () => {
    expect(await get("quay.io", { ...env, P_CONTAINER_REGISTRY_SERVER: "p.test" })).toEqual({ code: 1, stdout: NOT_FOUND, stderr: "" });
  });

  it.each([
    ["another user", triple("GH2", "ghcr.io", "other-user", "gh-secret-1111")],
    ["another session token", { ...triple("GH2", "ghcr.io", "gh-user", "gh-secret-1111"), GH2_CONTAINER_REGISTRY_SESSION_TOKEN: "t" }],
  ])("two triples for one registry with %s conflict", async (_, second) => {
    const r = await get("ghcr.io", { ...env, ...second });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("ghcr.io is configured twice with different credentials, by GH_CONTAINER_REGISTRY_* and GH2_CONTAINER_REGISTRY_*; remove or correct one of them\n");
  });

  it("reads only variables named exactly <ID>_CONTAINER_REGISTRY_<PART>, and skips unset ones", async () => {
    const r = await runInProcess(["get"], {
      stdin: "x.test",
      env: {
        DOCKER_CREDENTIAL_CODESPACES_DEBUG: "1",
        X_CONTAINER_REGISTRY_SERVER: "x.test",
        X_CONTAINER_REGISTRY_USER: "u",
        X_CONTAINER_REGISTRY_PASSWORD_OLD: "old",
        Y_CONTAINER_REGISTRY_SERVER: undefined,
      },
    });
    expect(r.stdout).toContain("X_CONTAINER_REGISTRY_PASSWORD is missing or empty");
    expect(r.stderr).not.toContain("Y_CONTAINER_REGISTRY");
  });

  it.each([
    ["http://ghcr.io:443", "gh-user"],
    ["ghcr.io/v2/?next=ftp://elsewhere", "gh-user"],
  ])("%j names the configured registry", async (server, user) => {
    expect(JSON.parse((await get(server)).stdout)).toMatchObject({ Username: user });
  });

  it.each([".ghcr.io", "ghcr..io", ".", "[::1"])("%j is not a host", async (server) => {
    const r = await get(server);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^invalid server URL: /);
  });

  it("blanks a secret of four characters in debug lines", async () => {
    const r = await runInProcess(["get"], { stdin: "https://x.test/abcd", env: { ...triple("A", "a.test", "u", "abcd"), DOCKER_CREDENTIAL_CODESPACES_DEBUG: "1" } });
    expect(r.stderr).toContain('get "https://x.test/<redacted>"');
  });

  it("the user's error type is named HelperError in stacks", async () => {
    const { HelperError } = await import("../../src/errors.js");
    expect(new HelperError("m").name).toBe("HelperError");
  });
});

describe("configure goes through the CLI", () => {
  it("--dry-run shows the change for each triple and writes nothing", async () => {
    const { mkdtempSync, readdirSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const home = mkdtempSync(join(tmpdir(), "cli-configure-"));
    try {
      const r = await runInProcess(["configure", "--dry-run"], { env: { ...triple("GH", "ghcr.io", "u", "p"), HOME: home } });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`${join(home, ".docker", "config.json")}: (dry run, not written) credHelpers["ghcr.io"] = "codespaces"`);
      expect(readdirSync(home)).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

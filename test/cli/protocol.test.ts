import { describe, expect, it } from "vitest";
import { USAGE } from "../../src/protocol.js";
import { helperTargets, runHelper } from "../support/helper-process.js";
import { triple } from "../support/triple.js";

const NOT_FOUND = "credentials not found in native keychain\n";
/** A real failure: one line on stdout for the client, the same on stderr for the user (docker pull shows only stderr). */
const failure = (line: string) => ({ code: 1, stdout: line, stderr: `docker-credential-codespaces: ${line}` });


const env = {
  ...triple("ACR", "mycompany.azurecr.io\n", "acr-user", "acr-secret-1234"),
  ...triple("DOCKERHUB", "https://index.docker.io/v1/", "hubuser", "hub-secret-5678"),
  ...triple("LOCAL", "http://127.0.0.1:5000/", "localuser", "local-secret-9012"),
};
const secrets = ["acr-secret-1234", "hub-secret-5678", "local-secret-9012"];

describe.each(helperTargets())("protocol via $name", (target) => {
  const helper = (args: string[], stdin?: string | Buffer, extraEnv: Record<string, string> = env) =>
    runHelper(target, args, { env: extraEnv, ...(stdin === undefined ? {} : { stdin }) });

  describe("get", () => {
    it("answers a configured registry with ServerURL exactly as received", async () => {
      const r = await helper(["get"], "https://MyCompany.azurecr.io/v2/");
      expect(r).toEqual({
        code: 0,
        stdout: '{"ServerURL":"https://MyCompany.azurecr.io/v2/","Username":"acr-user","Secret":"acr-secret-1234"}\n',
        stderr: "",
      });
    });

    it("trims the newline a client or a shell may add", async () => {
      const r = await helper(["get"], "mycompany.azurecr.io\n");
      expect(JSON.parse(r.stdout)).toEqual({ ServerURL: "mycompany.azurecr.io", Username: "acr-user", Secret: "acr-secret-1234" });
    });

    it.each(["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"])(
      "treats Docker Hub spelled %j as one registry",
      async (server) => {
        const r = await helper(["get"], server);
        expect(r.code).toBe(0);
        expect(JSON.parse(r.stdout)).toEqual({ ServerURL: server, Username: "hubuser", Secret: "hub-secret-5678" });
      },
    );

    it("keeps ports: host:port matches, the bare host does not", async () => {
      expect(await helper(["get"], "127.0.0.1:5000")).toEqual({
        code: 0,
        stdout: '{"ServerURL":"127.0.0.1:5000","Username":"localuser","Secret":"local-secret-9012"}\n',
        stderr: "",
      });
      expect(await helper(["get"], "127.0.0.1")).toEqual({ code: 1, stdout: NOT_FOUND, stderr: "" });
    });

    it("resolves a crane-style host/path to the host", async () => {
      const r = await helper(["get"], "mycompany.azurecr.io/org/repo");
      expect(JSON.parse(r.stdout).Secret).toBe("acr-secret-1234");
    });

    it.each([
      "ghcr.io",
      "mycompany.azurecr.io.evil.test",
      "evil.test/mycompany.azurecr.io",
      "https://evil.test?h=mycompany.azurecr.io",
      "azurecr.io",
      "xmycompany.azurecr.io",
      "evil.mycompany.azurecr.io",
      "mycompany.azurecr.io.evil",
      "mycompany.azurecr.io:5000",
      "127.0.0.1:500",
      "127.0.0.1:50001",
      "evil.index.docker.io",
    ])("answers %j with exactly the not-found sentinel", async (server) => {
      expect(await helper(["get"], server)).toEqual({ code: 1, stdout: NOT_FOUND, stderr: "" });
    });

    it.each(["user@evil.test", "mycompany.azurecr.io@evil.test", "https://acr-user:x@mycompany.azurecr.io"])(
      "refuses userinfo in %j with one line and no secret",
      async (server) => {
        expect(await helper(["get"], server)).toEqual(
          failure("invalid server URL: user information (user@host) is not allowed in a server\n"),
        );
      },
    );

    it("fails a registry whose triple is incomplete, naming the missing variable", async () => {
      const r = await helper(["get"], "partial.test", { P_CONTAINER_REGISTRY_SERVER: "partial.test", P_CONTAINER_REGISTRY_USER: "u" });
      expect(r).toEqual(
        failure(
          "partial.test is configured by P_CONTAINER_REGISTRY_* but P_CONTAINER_REGISTRY_PASSWORD is missing or empty; " +
            "set it in your Codespaces secrets and restart the codespace\n",
        ),
      );
    });

    it("fails a registry configured twice with different credentials, naming both IDs", async () => {
      const r = await helper(["get"], "dup.test", {
        ...triple("ONE", "dup.test", "u", "first-secret"),
        ...triple("TWO", "https://DUP.test/", "u", "second-secret"),
      });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("ONE_CONTAINER_REGISTRY_*");
      expect(r.stdout).toContain("TWO_CONTAINER_REGISTRY_*");
      expect(r.stdout + r.stderr).not.toMatch(/first-secret|second-secret/);
    });

    it.each([
      ["", "no credentials server URL\n"],
      [" \n", "no credentials server URL\n"],
      [Buffer.from([0x67, 0xff, 0xfe]), "invalid input: stdin is not valid UTF-8\n"],
      ["ghcr.io\0", "invalid input: stdin contains a NUL byte\n"],
      ["x".repeat(70_000), "input too large: more than 65536 bytes on stdin\n"],
      ["ftp://mycompany.azurecr.io", 'invalid server URL: scheme "ftp" is not http or https\n'],
    ])("rejects bad input %#", async (stdin, line) => {
      expect(await helper(["get"], stdin)).toEqual(failure(line));
    });
  });

  describe("store", () => {
    const store = (body: unknown) => helper(["store"], typeof body === "string" ? body : JSON.stringify(body));

    it("accepts the environment's own credentials for a managed registry silently, storing nothing", async () => {
      const r = await store({ ServerURL: "mycompany.azurecr.io", Username: "acr-user", Secret: "acr-secret-1234" });
      expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
    });

    it("accepts other credentials for a managed registry, noting on stderr that the environment's stay in force", async () => {
      const r = await store({ ServerURL: "https://index.docker.io/v1/", Username: "other", Secret: "typed-password" });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(
        "docker-credential-codespaces: nothing stored; docker.io is configured by DOCKERHUB_CONTAINER_REGISTRY_* " +
          "and the environment's credentials stay in force\n",
      );
    });

    it("refuses a registry it does not manage, explaining how to route it elsewhere", async () => {
      const r = await store({ ServerURL: "ghcr.io", Username: "me", Secret: "typed-password" });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^nothing stored: this helper stores nothing and ghcr\.io is not configured .*credHelpers.*\n$/);
      expect(r.stdout + r.stderr).not.toContain("typed-password");
    });

    it.each([
      [{ ServerURL: "", Username: "u", Secret: "s" }, "no credentials server URL\n"],
      [{ Username: "u", Secret: "s" }, "no credentials server URL\n"],
      [{ ServerURL: "mycompany.azurecr.io", Username: "", Secret: "s" }, "no credentials username\n"],
      ['{"ServerURL": "x", "Secret": "typed-password"', 'invalid store request: expected JSON {"ServerURL":…,"Username":…,"Secret":…} on stdin\n'],
      [{ ServerURL: 1, Username: "u", Secret: "typed-password" }, "invalid store request: ServerURL, Username and Secret must be strings in a JSON object\n"],
      ["[]", "invalid store request: ServerURL, Username and Secret must be strings in a JSON object\n"],
    ])("rejects malformed request %#", async (body, line) => {
      expect(await store(body)).toEqual(failure(line));
    });
  });

  describe("erase", () => {
    it("succeeds for a managed registry with a note that the secret still applies", async () => {
      const r = await helper(["erase"], "mycompany.azurecr.io");
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("nothing erased; mycompany.azurecr.io is configured by ACR_CONTAINER_REGISTRY_*");
    });

    it("answers an unknown registry with the not-found sentinel", async () => {
      expect(await helper(["erase"], "ghcr.io")).toEqual({ code: 1, stdout: NOT_FOUND, stderr: "" });
    });

    it("rejects empty input", async () => {
      expect(await helper(["erase"], "")).toEqual(failure("no credentials server URL\n"));
    });
  });

  describe("list", () => {
    it("lists complete triples, Docker Hub under its config.json name, ECR logins as AWS", async () => {
      const r = await helper(["list"], "unused", {
        ...env,
        ...triple("ECR", "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "AKIAEXAMPLE", "aws-secret"),
        P_CONTAINER_REGISTRY_SERVER: "partial.test",
      });
      expect(r.code).toBe(0);
      expect(r.stderr).toBe("");
      expect(JSON.parse(r.stdout)).toEqual({
        "mycompany.azurecr.io": "acr-user",
        "https://index.docker.io/v1/": "hubuser",
        "127.0.0.1:5000": "localuser",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com": "AWS",
      });
      for (const secret of [...secrets, "aws-secret"]) expect(r.stdout).not.toContain(secret);
    });

    it("prints {} when nothing is configured", async () => {
      expect(await helper(["list"], "unused", {})).toEqual({ code: 0, stdout: "{}\n", stderr: "" });
    });
  });

  describe("other verbs", () => {
    it.each([["version"], ["-v"], ["--version"]])("%s prints one version line", async (arg) => {
      const r = await helper([arg]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^docker-credential-codespaces \(docker-credential-codespaces\) \d+\.\d+\.\d+\n$/);
    });

    // -h, --help and help <verb>: test/cli/help.test.ts.

    it("without a verb prints usage on stdout and stderr and exits 1", async () => {
      expect(USAGE).toMatch(/^Usage: docker-credential-codespaces <store\|get\|erase\|list\|version\|/);
      expect(await helper([])).toEqual(failure(`${USAGE}\n`));
    });

    it("names an unknown verb", async () => {
      expect(await helper(["fetch"])).toEqual(failure("unknown action \"fetch\"; see --help\n"));
      expect((await helper(["constructor"])).stdout).toBe("unknown action \"constructor\"; see --help\n");
    });

    it("refuses stray arguments", async () => {
      expect(await helper(["get", "extra"], "ghcr.io")).toEqual(failure("get takes no arguments; see --help\n"));
    });
  });

  describe("debug output", () => {
    it("explains decisions on stderr with every secret left out", async () => {
      const r = await helper(["get"], "mycompany.azurecr.io", {
        ...env,
        ...triple("BROKEN", "user@evil.test", "u", "broken-secret"),
        DOCKER_CREDENTIAL_CODESPACES_DEBUG: "1",
      });
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('get "mycompany.azurecr.io" -> registry mycompany.azurecr.io');
      expect(r.stderr).toContain("BROKEN_CONTAINER_REGISTRY_* ignored");
      for (const secret of [...secrets, "broken-secret"]) expect(r.stderr).not.toContain(secret);
    });
  });
});

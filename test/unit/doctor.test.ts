import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkProgramOnPath } from "../../src/doctor/program.js";
import { freshEachTest } from "../support/fresh.js";
import { closedLoopbackPort } from "../support/loopback.js";
import { triple } from "../support/triple.js";

// `doctor --offline` driven in-process through run(io): the cases of
// test/cli/doctor.test.ts, with this very process (node) on PATH as the
// helper so the program check needs no spawned process. The CLI is loaded afresh for each test:
// doctor's door in the CLI's verb table and doctor's own tables are set when their modules load.
const cli = freshEachTest(() => import("../support/fake-io.js"));

const PASSWORD = "ghcr-Secret-Value-1";
const PLAINTEXT = Buffer.from(`me:${PASSWORD}`).toString("base64");

interface JsonReport {
  ok: boolean;
  registries: { server: string | null; id: string | null; ok: boolean; checks: { name: string; ok: boolean; message: string }[] }[];
  problems: string[];
}

let dir: string;
let bin: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "doctor-"));
  bin = join(dir, "bin");
  mkdirSync(join(dir, ".docker"), { recursive: true });
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, "docker-credential-codespaces"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const writeDocker = (config: unknown) => writeFileSync(join(dir, ".docker", "config.json"), typeof config === "string" ? config : JSON.stringify(config));

describe("doctor --offline in-process", () => {
  /** Both output modes; the exit codes agree with the JSON's ok, and no secret shows anywhere. */
  const doctor = async (env: Record<string, string>, secrets: readonly string[] = [PASSWORD, PLAINTEXT]) => {
    const base = { HOME: dir, PATH: bin, XDG_CONFIG_HOME: join(dir, ".config"), ...env };
    const [json, lines] = await Promise.all([
      cli.runInProcess(["doctor", "--offline", "--json"], { env: base }),
      cli.runInProcess(["doctor", "--offline"], { env: base }),
    ]);
    for (const secret of secrets) expect([json.stdout, json.stderr, lines.stdout, lines.stderr].join("\n")).not.toContain(secret);
    expect(json.stderr).toBe("");
    const report = JSON.parse(json.stdout) as JsonReport;
    expect(json.code).toBe(report.ok ? 0 : 1);
    expect(lines.code).toBe(json.code);
    return { report, lines: lines.stdout };
  };
  const checkOf = (report: JsonReport, id: string | null, name: string) =>
    report.registries.find((r) => r.id === id)?.checks.find((c) => c.name === name);
  const ghcr = triple("GH", "ghcr.io", "me", PASSWORD);

  it("all fine: credHelpers routes the registry here, the program on PATH is this one; exit 0", async () => {
    writeDocker({ credHelpers: { "ghcr.io": "codespaces" } });
    const { report, lines } = await doctor(ghcr);
    expect(report).toEqual({
      ok: true,
      registries: [
        {
          server: "ghcr.io",
          id: "GH",
          ok: true,
          checks: [
            { name: "configuration", ok: true, message: "GH_CONTAINER_REGISTRY_* is complete; SERVER is registry ghcr.io" },
            { name: "routing", ok: true, message: `docker asks this helper: credHelpers["ghcr.io"] in ${join(dir, ".docker", "config.json")}` },
          ],
        },
      ],
      problems: [],
    });
    expect(lines).toContain("ghcr.io (GH_CONTAINER_REGISTRY_*): ok\n");
    expect(lines).toContain(`note: docker runs this program (${join(bin, "docker-credential-codespaces")})\n`);
  });

  it("a plaintext auths copy that docker uses instead of the helper", async () => {
    writeDocker({ auths: { "https://ghcr.io": { auth: PLAINTEXT } } });
    const { report } = await doctor(ghcr);
    expect(checkOf(report, "GH", "routing")).toEqual({
      name: "routing",
      ok: false,
      message: `docker uses the plaintext copy in auths["https://ghcr.io"] of ${join(dir, ".docker", "config.json")} for ghcr.io, not this helper; run \`docker-credential-codespaces configure\``,
    });
  });

  it("routed here, but a plaintext copy still on disk: fine, with a warning", async () => {
    writeDocker({ credHelpers: { "ghcr.io": "codespaces" }, auths: { "ghcr.io": { auth: PLAINTEXT } } });
    const { report } = await doctor(ghcr);
    expect(report.ok).toBe(true);
    expect(checkOf(report, "GH", "routing")?.message).toContain('warning: a plaintext copy of the secret still sits in auths["ghcr.io"]');
  });

  it("VS Code's dev-containers credsStore, and a credHelpers name docker never looks up", async () => {
    writeDocker({ credsStore: "dev-containers-0123abcd", credHelpers: { "https://ghcr.io/": "codespaces" } });
    const { report } = await doctor(ghcr);
    const message = checkOf(report, "GH", "routing")?.message;
    expect(message).toContain(`docker asks credsStore "dev-containers-0123abcd" (VS Code's forwarder to the credentials of your local machine) for ghcr.io, not this helper`);
    expect(message).toContain(`(credHelpers["https://ghcr.io/"] does not count: docker looks up exactly "ghcr.io")`);
  });

  it("DOCKER_AUTH_CONFIG holding the registry wins over the helper", async () => {
    writeDocker({ credHelpers: { "ghcr.io": "codespaces" } });
    const { report } = await doctor({ ...ghcr, DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { "ghcr.io": { auth: PLAINTEXT } } }) });
    expect(checkOf(report, "GH", "routing")?.message).toMatch(/^the DOCKER_AUTH_CONFIG variable holds credentials for ghcr\.io; docker CLI 28\.3 and later use them/);
    const broken = await doctor({ ...ghcr, DOCKER_AUTH_CONFIG: "{oops" });
    expect(broken.report.problems).toEqual(["DOCKER_AUTH_CONFIG is not valid JSON"]);
  });

  it("Docker Hub is looked up by its v1 URL in credHelpers", async () => {
    writeDocker({ credHelpers: { "docker.io": "codespaces" } });
    const hub = triple("HUB", "docker.io", "me", PASSWORD);
    expect(checkOf((await doctor(hub)).report, "HUB", "routing")?.message).toContain('does not count: docker looks up exactly "https://index.docker.io/v1/"');
    writeDocker({ credHelpers: { "https://index.docker.io/v1/": "codespaces" } });
    expect((await doctor(hub)).report.ok).toBe(true);
  });

  it("containers auth.json: a plaintext copy podman uses, a credHelpers entry, or the fall-back to docker's credHelpers", async () => {
    writeDocker({ credHelpers: { "ghcr.io": "codespaces" } });
    const auth = join(dir, ".config", "containers", "auth.json");
    mkdirSync(join(dir, ".config", "containers"), { recursive: true });
    writeFileSync(auth, JSON.stringify({ auths: { "ghcr.io": { auth: PLAINTEXT } } }));
    expect(checkOf((await doctor(ghcr)).report, "GH", "containers routing")).toEqual({
      name: "containers routing",
      ok: false,
      message: `podman and skopeo use the plaintext copy in auths["ghcr.io"] of ${auth}, not this helper; run \`docker-credential-codespaces configure\` --containers-auth`,
    });
    writeFileSync(auth, JSON.stringify({ credHelpers: { "ghcr.io": "codespaces" } }));
    expect(checkOf((await doctor(ghcr)).report, "GH", "containers routing")?.ok).toBe(true);
    writeFileSync(auth, "{}");
    expect(checkOf((await doctor(ghcr)).report, "GH", "containers routing")?.message).toContain(`and use credHelpers of ${join(dir, ".docker", "config.json")}`);
    writeDocker({ credsStore: "codespaces" });
    expect(checkOf((await doctor(ghcr)).report, "GH", "containers routing")?.message).toContain("they ignore credsStore");
  });

  it("configuration: incomplete, ignored and conflicting triples, and a credHelpers entry without a triple", async () => {
    writeDocker({ credHelpers: { "quay.io": "codespaces", "123456789012.dkr.ecr.eu-west-1.amazonaws.com": "codespaces" } });
    const { report } = await doctor({
      ...triple("A", "acme.test", "u", PASSWORD),
      ...triple("B", "acme.test", "u", "other-Secret-Value-2"),
      HALF_CONTAINER_REGISTRY_SERVER: "half.test",
      HALF_CONTAINER_REGISTRY_USER: "u",
      NOSERVER_CONTAINER_REGISTRY_PASSWORD: "noserver-Secret-3",
    }, [PASSWORD, "other-Secret-Value-2", "noserver-Secret-3"]);
    expect(report.ok).toBe(false);
    expect(report.registries.map((r) => [r.server, r.id, r.checks[0]?.name, r.checks[0]?.ok])).toEqual([
      ["acme.test", "A", "configuration", false],
      ["acme.test", "B", "configuration", false],
      ["half.test", "HALF", "configuration", false],
      [null, "NOSERVER", "configuration", false],
      ["123456789012.dkr.ecr.eu-west-1.amazonaws.com", null, "configuration", true],
      ["quay.io", null, "configuration", false],
    ]);
    expect(checkOf(report, "A", "configuration")?.message).toContain("acme.test is configured twice with different credentials");
    expect(checkOf(report, "HALF", "configuration")?.message).toBe(
      "HALF_CONTAINER_REGISTRY_SERVER names half.test but HALF_CONTAINER_REGISTRY_PASSWORD is missing or empty; set it in your Codespaces secrets",
    );
    expect(report.registries.find((r) => r.id === "NOSERVER")?.checks.map((c) => c.name)).toEqual(["configuration"]);
    expect(checkOf(report, "NOSERVER", "configuration")?.message).toBe("NOSERVER_CONTAINER_REGISTRY_* is ignored: NOSERVER_CONTAINER_REGISTRY_SERVER is missing or empty");
    expect(report.registries.find((r) => r.server === "quay.io")?.checks[0]?.message).toContain("no <ID>_CONTAINER_REGISTRY_* triple configures it");
  });

  it("an unreadable config.json is a problem and routing says why", async () => {
    writeDocker("{ not json");
    const { report } = await doctor(ghcr);
    expect(report.problems).toContain(`${join(dir, ".docker", "config.json")} is not valid JSON`);
    expect(checkOf(report, "GH", "routing")?.ok).toBe(false);
  });

  it("nothing configured: nothing to check, exit 0", async () => {
    const { report, lines } = await doctor({});
    expect(report).toEqual({ ok: true, registries: [], problems: [] });
    expect(lines).toContain("nothing to check");
  });

  it("the program on PATH: missing", async () => {
    writeDocker({ credHelpers: { "ghcr.io": "codespaces" } });
    rmSync(join(bin, "docker-credential-codespaces"));
    const missing = await doctor(ghcr);
    expect(missing.report.problems).toEqual(["docker-credential-codespaces is not on PATH, so docker cannot run it; put the directory holding it on PATH"]);
    expect(missing.report.ok).toBe(false);
    expect(missing.lines).toContain("problem: docker-credential-codespaces is not on PATH");
    // A program that is not fine is no note; --offline is.
    expect(missing.lines.split("\n").filter((l) => l.startsWith("note: "))).toEqual(["note: --offline: no token minted, no registry contacted"]);
  });

  it("an unknown option is one line, exit 1", async () => {
    const r = await cli.runInProcess(["doctor", "--verbose"], { env: { HOME: dir } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('doctor: unknown option "--verbose"; use --offline and/or --json\n');
  });
});

describe("doctor's verdicts, branch by branch", () => {
  const base = () => ({ HOME: dir, PATH: bin, XDG_CONFIG_HOME: join(dir, ".config") });
  const ghcr = triple("GH", "ghcr.io", "me", PASSWORD);
  const report = async (env: Record<string, string>) => {
    const r = await cli.runInProcess(["doctor", "--offline", "--json"], { env: { ...base(), ...env } });
    return JSON.parse(r.stdout) as JsonReport;
  };
  const routing = async (env: Record<string, string> = ghcr, name = "routing") =>
    (await report(env)).registries.find((r) => r.id === "GH")?.checks.find((c) => c.name === name);

  it("docker's routing: no config.json, another helper, credsStore this helper or another, nothing at all", async () => {
    const path = join(dir, ".docker", "config.json");
    expect(await routing()).toEqual({
      name: "routing",
      ok: false,
      message: `${path} does not exist, so docker never asks this helper for ghcr.io; run \`docker-credential-codespaces configure\``,
    });
    writeDocker({ credHelpers: { "ghcr.io": "gcloud" } });
    expect((await routing())?.message).toBe(
      `docker asks docker-credential-gcloud for ghcr.io (credHelpers["ghcr.io"] in ${path}), not this helper; run \`docker-credential-codespaces configure\``,
    );
    writeDocker({ credsStore: "codespaces" });
    expect(await routing()).toEqual({
      name: "routing",
      ok: true,
      message: `docker asks this helper through credsStore in ${path} (credHelpers is better: with credsStore, docker login to other registries fails)`,
    });
    writeDocker({ credsStore: "desktop" });
    expect((await routing())?.message).toBe(`docker asks credsStore "desktop" for ghcr.io, not this helper; run \`docker-credential-codespaces configure\``);
    writeDocker({ credsStore: "", auths: { "ghcr.io": { auth: "" }, "other.test": { auth: PLAINTEXT } } });
    expect((await routing())?.message).toBe(`nothing in ${path} routes ghcr.io to this helper, so docker pulls anonymously; run \`docker-credential-codespaces configure\``);
    for (const field of ["password", "identitytoken", "registrytoken"]) {
      writeDocker({ auths: { "ghcr.io": { [field]: "x" } } });
      expect((await routing())?.message).toMatch(/^docker uses the plaintext copy in auths\["ghcr\.io"\]/);
    }
    writeDocker({ auths: { "bad url ::": { auth: PLAINTEXT } } });
    expect((await routing())?.message).toMatch(/^nothing in /);
  });

  it("containers routing: an unreadable file, another helper, REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR first", async () => {
    writeDocker({ credHelpers: { "ghcr.io": "codespaces" } });
    const runtime = join(dir, "run");
    mkdirSync(join(runtime, "containers"), { recursive: true });
    const first = join(runtime, "containers", "auth.json");
    const second = join(dir, ".config", "containers", "auth.json");
    mkdirSync(join(dir, ".config", "containers"), { recursive: true });
    writeFileSync(first, "[1]");
    writeFileSync(second, JSON.stringify({ credHelpers: { "ghcr.io": "codespaces" } }));
    expect(await routing({ ...ghcr, XDG_RUNTIME_DIR: runtime }, "containers routing")).toEqual({
      name: "containers routing",
      ok: false,
      message: `${first} is not a configuration docker understands (credHelpers, credsStore or auths has the wrong type); podman and skopeo cannot read it`,
    });
    writeFileSync(first, JSON.stringify({ credHelpers: { "ghcr.io": "pass" } }));
    expect((await routing({ ...ghcr, XDG_RUNTIME_DIR: runtime }, "containers routing"))?.message).toBe(
      `podman and skopeo ask docker-credential-pass for ghcr.io (credHelpers in ${first}), not this helper; run \`docker-credential-codespaces configure\` --containers-auth`,
    );
    writeFileSync(first, "  \n");
    expect((await routing({ ...ghcr, XDG_RUNTIME_DIR: runtime }, "containers routing"))?.message).toBe(
      `podman and skopeo ask this helper: credHelpers["ghcr.io"] in ${second}`,
    );
    const explicit = join(dir, "explicit.json");
    writeFileSync(explicit, "{}");
    expect(await routing({ ...ghcr, REGISTRY_AUTH_FILE: explicit }, "containers routing")).toEqual({
      name: "containers routing",
      ok: false,
      message: `nothing in ${explicit} ($REGISTRY_AUTH_FILE) routes ghcr.io to this helper for podman and skopeo; run \`docker-credential-codespaces configure\` --containers-auth`,
    });
    writeDocker({ credHelpers: { "ghcr.io": "codespaces" }, auths: { "ghcr.io": { auth: "" } } });
    writeFileSync(second, "{}");
    expect((await routing(ghcr, "containers routing"))?.ok).toBe(true);
  });

  it("a config.json of the wrong shape is a problem, and DOCKER_AUTH_CONFIG without the registry changes nothing", async () => {
    writeDocker({ credHelpers: { "ghcr.io": 1 } });
    const r = await report(ghcr);
    const path = join(dir, ".docker", "config.json");
    expect(r.problems).toEqual([`${path} is not a configuration docker understands (credHelpers, credsStore or auths has the wrong type)`]);
    expect(r.registries[0]?.checks[1]?.message).toBe(
      `${path} is not a configuration docker understands (credHelpers, credsStore or auths has the wrong type); docker cannot route ghcr.io to this helper`,
    );
    writeDocker({ credHelpers: { "ghcr.io": "codespaces" } });
    const other = await report({ ...ghcr, DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { "quay.io": { auth: PLAINTEXT } } }) });
    expect(other.ok).toBe(true);
    writeDocker("  ");
    expect((await routing())?.message).toMatch(/does not exist, so docker never asks/);
  });

  it("the line format: a padded check per line, verdicts, counts and problems; secrets blanked in both formats", async () => {
    writeDocker({ credHelpers: { "ghcr.io": "codespaces", "quay.io": "codespaces" } });
    const env = { ...base(), ...ghcr, ...triple("Q", "quay.io", "me", "quay-Secret-Value-2"), ...triple("E", "e.test", "me", 'with"quote-Secret') };
    const { stdout, code } = await cli.runInProcess(["doctor", "--offline"], { env });
    const path = join(dir, ".docker", "config.json");
    expect(code).toBe(1);
    expect(stdout).toBe(
      [
        "e.test (E_CONTAINER_REGISTRY_*): NOT OK",
        "  ok    configuration  E_CONTAINER_REGISTRY_* is complete; SERVER is registry e.test",
        `  FAIL  routing        nothing in ${path} routes e.test to this helper, so docker pulls anonymously; run \`docker-credential-codespaces configure\``,
        "ghcr.io (GH_CONTAINER_REGISTRY_*): ok",
        "  ok    configuration  GH_CONTAINER_REGISTRY_* is complete; SERVER is registry ghcr.io",
        `  ok    routing        docker asks this helper: credHelpers["ghcr.io"] in ${path}`,
        "quay.io (Q_CONTAINER_REGISTRY_*): ok",
        "  ok    configuration  Q_CONTAINER_REGISTRY_* is complete; SERVER is registry quay.io",
        `  ok    routing        docker asks this helper: credHelpers["quay.io"] in ${path}`,
        `note: docker runs this program (${join(bin, "docker-credential-codespaces")})`,
        "note: --offline: no token minted, no registry contacted",
        "doctor: 3 registries, 1 not fine",
        "",
      ].join("\n"),
    );
    rmSync(join(bin, "docker-credential-codespaces"));
    writeDocker({ credHelpers: { "ghcr.io": "codespaces" } });
    const one = await cli.runInProcess(["doctor", "--offline"], { env: { ...base(), ...ghcr } });
    expect(one.stdout).toMatch(/\nproblem: docker-credential-codespaces is not on PATH.*\ndoctor: 1 registry, all fine, 1 other problem\(s\)\n$/);
    const orphan = await cli.runInProcess(["doctor", "--offline"], { env: { ...base(), X_CONTAINER_REGISTRY_SERVER: "user@x.test" } });
    expect(orphan.stdout).toMatch(/^\(no usable server\) \(X_CONTAINER_REGISTRY_\*\): NOT OK\n {2}FAIL {2}configuration {2}X_CONTAINER_REGISTRY_\* is ignored/);
    writeDocker({ credHelpers: { "quay.io": "codespaces" } });
    const entry = await cli.runInProcess(["doctor", "--offline"], { env: base() });
    expect(entry.stdout).toMatch(/^quay\.io \(credHelpers entry, no triple\): NOT OK\n/);
  });

  it("scrubs a secret in its escaped form from the line format too, where a program's answer is quoted", async () => {
    const secret = 'pa"ss\\Secret-9';
    const other = join(dir, "other");
    mkdirSync(other);
    writeFileSync(join(other, "docker-credential-codespaces"), `#!/bin/sh\nprintf '%s\\n' '${secret}'\n`);
    chmodSync(join(other, "docker-credential-codespaces"), 0o755);
    const r = await cli.runInProcess(["doctor", "--offline"], { env: { ...base(), PATH: other, ...triple("GH", "ghcr.io", "me", secret) } });
    expect(r.stdout).toContain(`problem: docker runs ${join(other, "docker-credential-codespaces")}, which is not this program (it says "<redacted>"); fix PATH or replace it\n`);
  });

  it("scrubs a secret from the JSON also in its escaped form", async () => {
    writeDocker({ credHelpers: { "ghcr.io": "codespaces" } });
    const secret = 'a"quoted\\Secret';
    const { renderJson, makeReport, registryReport, fail } = await import("../../src/doctor/report.js");
    const rep = makeReport([registryReport("ghcr.io", "GH", [fail("x", `leaked ${secret} abcd abc`)])], [], []);
    // A secret containing another is blanked whole (longest first).
    const nested = makeReport([registryReport("x.test", "X", [fail("x", "Secret-and-more")])], [], []);
    expect(renderJson(nested, ["Secret", "Secret-and-more"])).toContain('"message":"<redacted>"');
    // The CLI's redactor: a short secret is blanked where it stands on its own, never inside a longer word.
    expect(renderJson(rep, ["abc", secret, "abcd"])).toBe('{"ok":false,"registries":[{"server":"ghcr.io","id":"GH","ok":false,"checks":[{"name":"x","ok":false,"message":"leaked <redacted> <redacted> <redacted>"}]}],"problems":[]}\n');
    expect(renderJson(makeReport([registryReport("x.test", "X", [fail("x", "abcdef")])], [], []), ["abc"])).toContain('"message":"abcdef"');
  });
});

describe("doctor's ECR token check, offline", () => {
  const token = (expiration: number) => Buffer.from(JSON.stringify({ payload: "p", expiration })).toString("base64");
  const ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
  const check = async (env: Record<string, string>) => {
    const r = await cli.runInProcess(["doctor", "--offline", "--json"], { env: { HOME: dir, PATH: bin, ...env } });
    return (JSON.parse(r.stdout) as JsonReport).registries[0]?.checks.find((c) => c.name === "ecr token");
  };

  it("a registry token in the PASSWORD is passed through, with how long it stays valid", async () => {
    const exp = Math.floor(Date.now() / 1000) + 2 * 3600 + 30 * 60 + 30;
    const c = await check(triple("E", ECR, "AWS", token(exp)));
    expect(c).toEqual({
      name: "ecr token",
      ok: true,
      message: `the token in the PASSWORD is passed through; valid for 2 h 30 min (until ${new Date(exp * 1000).toISOString()})`,
    });
    expect((await check(triple("E", ECR, "AWS", "not-a-token")))?.message).toBe("the token in the PASSWORD is passed through; its expiry cannot be read");
  });

  it("an expired token fails with get's line; keys are not used offline", async () => {
    const c = await check(triple("E", ECR, "AWS", token(Math.floor(Date.now() / 1000) - 60)));
    expect(c?.ok).toBe(false);
    expect(c?.message).toMatch(/expired/);
    expect(await check(triple("E", ECR, "AKIAEXAMPLEEXAMPLE01", "secret-key-value"))).toBeUndefined();
  });
});

// The setup verdicts the cases above leave open: where the files are looked
// for, which registries become subjects, routing corners, the program on PATH.
describe("doctor --offline: the setup, corner by corner", () => {
  const ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
  const CONFIGURE = "run `docker-credential-codespaces configure`";
  const dockerJson = () => join(dir, ".docker", "config.json");
  const write = (path: string, config: unknown) => {
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, typeof config === "string" ? config : JSON.stringify(config));
  };
  const ghcr = triple("GH", "ghcr.io", "me", PASSWORD);
  const doctor = async (env: Record<string, string>): Promise<JsonReport> => {
    const r = await cli.runInProcess(["doctor", "--offline", "--json"], {
      env: { HOME: dir, PATH: bin, XDG_CONFIG_HOME: join(dir, ".config"), ...env },
    });
    expect(r.stdout).not.toContain(PASSWORD);
    return JSON.parse(r.stdout) as JsonReport;
  };
  const check = (report: JsonReport, id: string | null, name: string) => report.registries.find((r) => r.id === id)?.checks.find((c) => c.name === name);
  const message = (report: JsonReport, id: string | null, name: string) => check(report, id, name)?.message;

  describe("where doctor looks for the client files", () => {
    it("DOCKER_CONFIG names docker's folder; XDG_CONFIG_HOME the containers one", async () => {
      const docker = join(dir, "elsewhere", "config.json");
      write(docker, { credHelpers: { "ghcr.io": "codespaces" } });
      write(dockerJson(), { credHelpers: { "ghcr.io": "gcloud" } });
      const containers = join(dir, "xdg", "containers", "auth.json");
      write(containers, { credHelpers: { "ghcr.io": "pass" } });
      write(join(dir, ".config", "containers", "auth.json"), { credHelpers: { "ghcr.io": "codespaces" } });
      const report = await doctor({ ...ghcr, DOCKER_CONFIG: join(dir, "elsewhere"), XDG_CONFIG_HOME: join(dir, "xdg") });
      expect(message(report, "GH", "routing")).toBe(`docker asks this helper: credHelpers["ghcr.io"] in ${docker}`);
      expect(message(report, "GH", "containers routing")).toBe(
        `podman and skopeo ask docker-credential-pass for ghcr.io (credHelpers in ${containers}), not this helper; ${CONFIGURE} --containers-auth`,
      );
    });

    it("without XDG_CONFIG_HOME, the containers file is under HOME's .config", async () => {
      write(dockerJson(), { credHelpers: { "ghcr.io": "codespaces" } });
      const containers = join(dir, ".config", "containers", "auth.json");
      write(containers, { credHelpers: { "ghcr.io": "codespaces" } });
      const r = await cli.runInProcess(["doctor", "--offline", "--json"], { env: { HOME: dir, PATH: bin, ...ghcr } });
      const report = JSON.parse(r.stdout) as JsonReport;
      expect(message(report, "GH", "containers routing")).toBe(`podman and skopeo ask this helper: credHelpers["ghcr.io"] in ${containers}`);
    });

    it("a folder, a FIFO or a link loop where config.json should be is a problem; a file on the way means none", async () => {
      mkdirSync(dockerJson());
      expect((await doctor(ghcr)).problems).toEqual([`${dockerJson()} is a folder, not a config file`]);
      rmSync(dockerJson(), { recursive: true });
      // Opened without blocking and never read: a FIFO nobody writes to does not hang doctor.
      execFileSync("mkfifo", [dockerJson()]);
      expect((await doctor(ghcr)).problems).toEqual([`${dockerJson()} is a FIFO, not a config file`]);
      rmSync(dockerJson());
      symlinkSync("/dev/null", dockerJson());
      expect((await doctor(ghcr)).problems).toEqual([`${dockerJson()} is a device, not a config file`]);
      rmSync(dockerJson());
      const socket = createServer();
      await new Promise<void>((resolve) => socket.listen(dockerJson(), resolve));
      try {
        // A socket cannot even be opened (ENXIO), so it is named by that error.
        expect((await doctor(ghcr)).problems).toEqual([`${dockerJson()} cannot be read (ENXIO)`]);
      } finally {
        await new Promise<void>((resolve) => socket.close(() => resolve()));
      }
      symlinkSync(dockerJson(), dockerJson());
      expect((await doctor(ghcr)).problems).toEqual([`${dockerJson()} cannot be read (ELOOP)`]);
      expect(message(await doctor(ghcr), "GH", "routing")).toBe(`${dockerJson()} cannot be read (ELOOP); docker cannot route ghcr.io to this helper`);
      rmSync(dockerJson());
      const file = join(dir, "a-file");
      writeFileSync(file, "");
      const report = await doctor({ ...ghcr, DOCKER_CONFIG: file });
      expect(report.problems).toEqual([]);
      expect(message(report, "GH", "routing")).toBe(`${join(file, "config.json")} does not exist, so docker never asks this helper for ghcr.io; ${CONFIGURE}`);
    });
  });

  describe("which registries doctor reports on", () => {
    it("an incomplete triple for a registry another triple serves says so; two missing parts are named together", async () => {
      const report = await doctor({
        ...ghcr,
        HALF_CONTAINER_REGISTRY_SERVER: "ghcr.io",
        HALF_CONTAINER_REGISTRY_USER: "me",
        BARE_CONTAINER_REGISTRY_SERVER: "bare.test",
      });
      expect(message(report, "HALF", "configuration")).toBe(
        "HALF_CONTAINER_REGISTRY_SERVER names ghcr.io but HALF_CONTAINER_REGISTRY_PASSWORD is missing or empty (ghcr.io is served by GH_CONTAINER_REGISTRY_* instead); set it in your Codespaces secrets",
      );
      expect(message(report, "BARE", "configuration")).toBe(
        "BARE_CONTAINER_REGISTRY_SERVER names bare.test but BARE_CONTAINER_REGISTRY_USER and BARE_CONTAINER_REGISTRY_PASSWORD are missing or empty; set them in your Codespaces secrets",
      );
    });

    it("triples with the same credentials name each other", async () => {
      const one = await doctor({ ...ghcr, ...triple("TWO", "https://ghcr.io", "me", PASSWORD) });
      expect(message(one, "GH", "configuration")).toBe("GH_CONTAINER_REGISTRY_* is complete; SERVER is registry ghcr.io (TWO_CONTAINER_REGISTRY_* sets the same credentials)");
      const two = await doctor({ ...ghcr, ...triple("TWO", "https://ghcr.io", "me", PASSWORD), ...triple("THREE", "ghcr.io/", "me", PASSWORD) });
      expect(message(two, "GH", "configuration")).toBe(
        "GH_CONTAINER_REGISTRY_* is complete; SERVER is registry ghcr.io (THREE_CONTAINER_REGISTRY_*, TWO_CONTAINER_REGISTRY_* set the same credentials)",
      );
    });

    it("an ECR triple says whether it holds a token or AWS keys", async () => {
      const token = Buffer.from(JSON.stringify({ payload: "p", expiration: Math.floor(Date.now() / 1000) + 3600 })).toString("base64");
      expect(message(await doctor(triple("E", ECR, "AWS", token)), "E", "configuration")).toBe(
        `E_CONTAINER_REGISTRY_* is complete, an ECR token (USER=AWS); SERVER is registry ${ECR}`,
      );
      expect(message(await doctor(triple("E", ECR, "AKIAEXAMPLEEXAMPLE01", PASSWORD)), "E", "configuration")).toBe(
        `E_CONTAINER_REGISTRY_* is complete, AWS keys to mint ECR tokens; SERVER is registry ${ECR}`,
      );
    });

    it("credHelpers entries for this helper without a triple: once each, sorted, from docker's and the containers files", async () => {
      write(dockerJson(), { credHelpers: { "quay.io": "codespaces", [ECR]: "codespaces", "gcr.io": "gcloud", "bad url ::": "codespaces" } });
      write(join(dir, ".config", "containers", "auth.json"), { credHelpers: { "quay.io": "codespaces", "a.test": "codespaces" } });
      const report = await doctor({ HALF_CONTAINER_REGISTRY_SERVER: "a.test", HALF_CONTAINER_REGISTRY_USER: "me" });
      expect(report.registries.map((r) => [r.server, r.id])).toEqual([
        ["a.test", "HALF"],
        [ECR, null],
        ["quay.io", null],
      ]);
      expect(check(report, null, "configuration")).toEqual({
        name: "configuration",
        ok: true,
        message: `no triple: ECR tokens for ${ECR} are minted with the AWS default credential chain`,
      });
      expect(report.registries[2]?.checks[0]?.message).toBe(
        "credHelpers routes quay.io to this helper but no <ID>_CONTAINER_REGISTRY_* triple configures it, so docker pulls anonymously; add the Codespaces secrets or remove the entry",
      );
    });

    it("an unreadable containers file routes nothing here", async () => {
      write(join(dir, ".config", "containers", "auth.json"), "[1]");
      write(dockerJson(), "{ oops");
      expect((await doctor({})).registries).toEqual([]);
    });
  });

  describe("routing corner cases", () => {
    it("the containers files searched are all named when none has an entry", async () => {
      write(dockerJson(), { credsStore: "codespaces" });
      const runtime = join(dir, "run", "containers", "auth.json");
      const config = join(dir, ".config", "containers", "auth.json");
      write(runtime, "{}");
      write(config, { auths: { "quay.io": { auth: "eA==" } } });
      const report = await doctor({ ...ghcr, XDG_RUNTIME_DIR: join(dir, "run") });
      expect(message(report, "GH", "containers routing")).toBe(
        `podman and skopeo find no entry in ${runtime}, ${config} and fall back to ${dockerJson()}, where only credHelpers counts (they ignore credsStore); ${CONFIGURE} --containers-auth`,
      );
    });

    it("containers fall back to a docker config.json that does not exist", async () => {
      write(join(dir, ".config", "containers", "auth.json"), "{}");
      const report = await doctor(ghcr);
      expect(check(report, "GH", "containers routing")?.ok).toBe(false);
      expect(message(report, "GH", "containers routing")).toContain(`and fall back to ${dockerJson()}, where only credHelpers counts`);
    });

    it("docker's credHelpers do not help podman when DOCKER_AUTH_CONFIG overrides docker", async () => {
      write(dockerJson(), { credHelpers: { "ghcr.io": "codespaces" } });
      write(join(dir, ".config", "containers", "auth.json"), "{}");
      const variable = JSON.stringify({ auths: { "ghcr.io": { auth: Buffer.from(`me:${PASSWORD}`).toString("base64") } } });
      const report = await doctor({ ...ghcr, DOCKER_AUTH_CONFIG: variable });
      expect(check(report, "GH", "routing")?.ok).toBe(false);
      expect(check(report, "GH", "containers routing")?.ok).toBe(false);
    });

    it("DOCKER_AUTH_CONFIG with an entry that holds no credential does not count", async () => {
      write(dockerJson(), { credHelpers: { "ghcr.io": "codespaces" } });
      const report = await doctor({ ...ghcr, DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { "ghcr.io": { username: "me" } } }) });
      expect(check(report, "GH", "routing")?.ok).toBe(true);
    });
  });

  describe("the program PATH finds", () => {
    const VERSION = "docker-credential-codespaces (docker-credential-codespaces) 9.9.9";
    const script = (folder: string, body: string) => {
      mkdirSync(folder, { recursive: true });
      const path = join(folder, "docker-credential-codespaces");
      writeFileSync(path, `#!/bin/sh\n${body}\n`);
      chmodSync(path, 0o755);
      return path;
    };

    it("skips empty PATH entries, files that are not executable and folders of that name", async () => {
      const plain = join(dir, "plain");
      mkdirSync(join(plain), { recursive: true });
      writeFileSync(join(plain, "docker-credential-codespaces"), "");
      chmodSync(join(plain, "docker-credential-codespaces"), 0o644);
      mkdirSync(join(dir, "folder", "docker-credential-codespaces"), { recursive: true });
      const path = ["", join(dir, "folder"), plain, bin].join(":");
      expect(await checkProgramOnPath({ PATH: path }, VERSION)).toEqual({ ok: true, message: `docker runs this program (${join(bin, "docker-credential-codespaces")})` });
    });

    it("another program that says this version is fine; its first line counts, after blank lines", async () => {
      const other = script(join(dir, "other"), `echo; echo "${VERSION}"; echo more`);
      expect(await checkProgramOnPath({ PATH: `${join(dir, "other")}:${bin}` }, VERSION)).toEqual({
        ok: true,
        message: `docker runs ${other}, which reports this program's version`,
      });
    });

    it("an npm install: the bin script node runs, found on PATH, is this program", async () => {
      const script = join(dir, "npm-bin", "docker-credential-codespaces");
      mkdirSync(join(dir, "npm-bin"));
      writeFileSync(script, "#!/bin/sh\nexit 1\n");
      chmodSync(script, 0o755);
      const argv1 = process.argv[1];
      process.argv[1] = script;
      try {
        expect(await checkProgramOnPath({ PATH: join(dir, "npm-bin") }, VERSION)).toEqual({ ok: true, message: `docker runs this program (${script})` });
      } finally {
        process.argv[1] = argv1!;
      }
    });

    it("a relative PATH entry does not count (docker refuses a program found through one)", async () => {
      script(join(dir, "relative"), `echo "${VERSION}"`);
      const env = { PATH: ["", relative(process.cwd(), join(dir, "relative"))].join(":") };
      expect(await checkProgramOnPath(env, VERSION)).toMatchObject({ ok: false, message: expect.stringContaining("is not on PATH") });
    });

    it("another program is asked for its version with `version`", async () => {
      const other = script(join(dir, "other"), `[ "$1" = version ] && [ $# = 1 ] && echo "${VERSION}"`);
      expect(await checkProgramOnPath({ PATH: join(dir, "other") }, VERSION)).toEqual({ ok: true, message: `docker runs ${other}, which reports this program's version` });
    });

    it("another program runs with the environment doctor was given", async () => {
      const other = script(join(dir, "other"), 'echo "$WHO"');
      expect(await checkProgramOnPath({ PATH: join(dir, "other"), WHO: VERSION }, VERSION)).toMatchObject({ ok: true, message: `docker runs ${other}, which reports this program's version` });
    });

    it("another program that says something else, fails, or says nothing is named with what it said", async () => {
      const other = script(join(dir, "other"), "echo 'some-helper 1.0'");
      const env = { PATH: join(dir, "other") };
      expect(await checkProgramOnPath(env, VERSION)).toEqual({
        ok: false,
        message: `docker runs ${other}, which is not this program (it says "some-helper 1.0"); fix PATH or replace it`,
      });
      script(join(dir, "other"), `echo "${VERSION}"; exit 3`);
      expect((await checkProgramOnPath(env, VERSION)).message).toBe(`docker runs ${other}, which is not this program (it says nothing usable to \`version\`); fix PATH or replace it`);
      script(join(dir, "other"), "exit 0");
      expect((await checkProgramOnPath(env, VERSION)).message).toContain("(it says nothing usable to `version`)");
      script(join(dir, "other"), `printf '%0300d\\n' 0`);
      expect((await checkProgramOnPath(env, VERSION)).message).toContain(`(it says "${"0".repeat(200)}")`);
    });
  });
});

// doctor without --offline: the registry check against a loopback registry
// (127.0.0.1 is insecure to dockerd, so plain HTTP after HTTPS, as docker does).
describe("doctor online, against a loopback registry", () => {
  const SECRET = "online-Secret-Value-1";
  let registry: Server | undefined;
  afterEach(async () => {
    registry?.closeAllConnections();
    await new Promise<void>((resolve) => (registry ? registry.close(() => resolve()) : resolve()));
    registry = undefined;
  });
  /** A registry asking for Basic and accepting only me/SECRET. */
  const serveRegistry = async () => {
    const good = `Basic ${Buffer.from(`me:${SECRET}`).toString("base64")}`;
    registry = createHttpServer((req, res) => {
      if (req.headers.authorization === good) return void res.writeHead(200).end("{}");
      res.writeHead(401, { "www-authenticate": 'Basic realm="r"' }).end();
    });
    await new Promise<void>((resolve) => registry!.listen(0, "127.0.0.1", () => resolve()));
    return `127.0.0.1:${(registry.address() as AddressInfo).port}`;
  };
  const run = async (env: Record<string, string>) => {
    const r = await cli.runInProcess(["doctor", "--json"], { env: { HOME: dir, PATH: bin, XDG_CONFIG_HOME: join(dir, ".config"), ...env } });
    return { code: r.code, report: JSON.parse(r.stdout) as JsonReport, stdout: r.stdout };
  };

  it("checks the credentials against the registry: accepted is fine, rejected is not", async () => {
    const host = await serveRegistry();
    writeDocker({ credHelpers: { [host]: "codespaces" } });
    const ok = await run(triple("L", host, "me", SECRET));
    expect(ok.code).toBe(0);
    expect(ok.report.registries[0]?.checks.at(-1)).toEqual({
      name: "registry",
      ok: true,
      message: `credentials accepted by http://${host}/v2/ (Basic over plain HTTP, as docker does for an insecure registry)`,
    });
    const bad = await run(triple("L", host, "me", "wrong-Secret-Value"));
    expect(bad.code).toBe(1);
    expect(bad.report.registries[0]?.checks.at(-1)).toEqual({
      name: "registry",
      ok: false,
      message: `credentials rejected: http://${host}/v2/ answered 401 (Basic over plain HTTP, as docker does for an insecure registry)`,
    });
    const lines = await cli.runInProcess(["doctor"], { env: { HOME: dir, PATH: bin, ...triple("L", host, "me", SECRET) } });
    expect(lines.stdout.split("\n").filter((l) => l.startsWith("note: "))).toEqual([`note: docker runs this program (${join(bin, "docker-credential-codespaces")})`]);
    expect(lines.stdout).toContain(`  ok    registry       credentials accepted by http://${host}/v2/`);
  });

  it("an open registry, and a token service on another domain, are fine: nothing stands in the way of a pull", async () => {
    let answer: [number, Record<string, string>] = [200, { "docker-distribution-api-version": "registry/2.0" }];
    registry = createHttpServer((_q, res) => res.writeHead(...answer).end());
    await new Promise<void>((resolve) => registry!.listen(0, "127.0.0.1", () => resolve()));
    const host = `127.0.0.1:${(registry.address() as AddressInfo).port}`;
    writeDocker({ credHelpers: { [host]: "codespaces" } });
    const open = await run(triple("L", host, "me", SECRET));
    expect(open.report.registries[0]?.checks.at(-1)).toMatchObject({ name: "registry", ok: true, message: expect.stringMatching(/^open registry: /) });
    answer = [401, { "www-authenticate": 'Bearer realm="https://auth.elsewhere.test/token"' }];
    const unverified = await run(triple("L", host, "me", SECRET));
    expect(unverified.code).toBe(0);
    expect(unverified.report.registries[0]?.checks.at(-1)).toMatchObject({ name: "registry", ok: true, message: expect.stringMatching(/^not verified: /) });
    answer = [404, {}];
    expect((await run(triple("L", host, "me", SECRET))).report.registries[0]?.checks.at(-1)).toMatchObject({ name: "registry", ok: false });
  });

  it("online, an ECR registry's token is minted (here: the ECR endpoint refuses, so the registry is not tried)", async () => {
    const ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
    const port = await closedLoopbackPort();
    writeDocker({ credHelpers: { [ECR]: "codespaces" } });
    const r = await run({ ...triple("E", ECR, "AKIAEXAMPLEEXAMPLE01", "secret-key-value"), AWS_ENDPOINT_URL_ECR: `http://127.0.0.1:${port}`, AWS_EC2_METADATA_DISABLED: "true" });
    expect(r.report.registries[0]?.checks.slice(2)).toEqual([
      { name: "ecr token", ok: false, message: `${ECR}: could not reach http://127.0.0.1:${port}/ (ECONNREFUSED); check network access to AWS or AWS_ENDPOINT_URL*` },
    ]);
  });

  it("a registry with a triple but no credentials to try (incomplete) is not contacted", async () => {
    const host = await serveRegistry();
    const r = await run({ L_CONTAINER_REGISTRY_SERVER: host, L_CONTAINER_REGISTRY_USER: "me" });
    expect(r.report.registries[0]?.checks.map((c) => c.name)).toEqual(["configuration", "routing"]);
  });

  it("blanks every secret the client files hold, whatever text it is, and lists an unreadable containers file as a problem", async () => {
    const host = await serveRegistry();
    // Contrived on purpose: a stored password that reads like the registry's own name.
    writeDocker({ credHelpers: { [host]: "codespaces" }, auths: { "other.test": { password: host } } });
    const auth = join(dir, ".config", "containers", "auth.json");
    mkdirSync(join(dir, ".config", "containers"), { recursive: true });
    writeFileSync(auth, "[]");
    const r = await run(triple("L", host, "me", SECRET));
    expect(r.stdout).not.toContain(host);
    expect(r.stdout).toContain("<redacted>");
    expect(r.report.problems).toEqual([`${auth} is not a configuration docker understands (credHelpers, credsStore or auths has the wrong type)`]);
  });
});

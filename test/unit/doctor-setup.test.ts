import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkProgramOnPath } from "../../src/doctor/program.js";
import { runInProcess } from "../support/fake-io.js";
import { triple } from "../support/triple.js";

// doctor --offline --json in-process, for the verdicts about the setup that
// the cases in doctor.test.ts leave open: where the files are looked for,
// which registries become subjects, the routing corner cases, and which
// program PATH finds. Every path the run reads lies in a temp folder.

const PASSWORD = "setup-Secret-Value-1";
const ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const CONFIGURE = "run `docker-credential-codespaces configure`";

interface JsonReport {
  ok: boolean;
  registries: { server: string | null; id: string | null; ok: boolean; checks: { name: string; ok: boolean; message: string }[] }[];
  problems: string[];
}

let dir: string;
let bin: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "doctor-setup-"));
  bin = join(dir, "bin");
  mkdirSync(join(dir, ".docker"), { recursive: true });
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, "docker-credential-codespaces"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const dockerJson = () => join(dir, ".docker", "config.json");
const write = (path: string, config: unknown) => {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, typeof config === "string" ? config : JSON.stringify(config));
};
const ghcr = triple("GH", "ghcr.io", "me", PASSWORD);

const doctor = async (env: Record<string, string>): Promise<JsonReport> => {
  const r = await runInProcess(["doctor", "--offline", "--json"], {
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
    const r = await runInProcess(["doctor", "--offline", "--json"], { env: { HOME: dir, PATH: bin, ...ghcr } });
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(message(report, "GH", "containers routing")).toBe(`podman and skopeo ask this helper: credHelpers["ghcr.io"] in ${containers}`);
  });

  it("a folder, a FIFO or a link loop where config.json should be is a problem; a file on the way means none", async () => {
    mkdirSync(dockerJson());
    expect((await doctor(ghcr)).problems).toEqual([`${dockerJson()} is a folder, not a config file`]);
    rmSync(dockerJson(), { recursive: true });
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

import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { helperTargets, runHelper } from "../support/helper-process.js";

const [target] = helperTargets();
const triples = {
  ACR_CONTAINER_REGISTRY_SERVER: "mycompany.azurecr.io",
  ACR_CONTAINER_REGISTRY_USER: "acr-user",
  ACR_CONTAINER_REGISTRY_PASSWORD: "acr-secret",
  HUB_CONTAINER_REGISTRY_SERVER: "docker.io",
  HUB_CONTAINER_REGISTRY_USER: "hubuser",
  HUB_CONTAINER_REGISTRY_PASSWORD: "hub-secret",
};

let dir: string;
let configPath: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "configure-"));
  configPath = join(dir, "docker", "config.json");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const configure = (args: string[] = [], env: Record<string, string> = triples) =>
  runHelper(target!, ["configure", ...args], { env: { ...env, DOCKER_CONFIG: join(dir, "docker"), HOME: dir } });
const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8"));
const writeConfig = (content: string, mode = 0o600) => {
  mkdirSync(join(dir, "docker"), { recursive: true });
  writeFileSync(configPath, content, { mode });
};

describe("configure", () => {
  it("creates a private config.json routing every configured registry to the helper", async () => {
    const r = await configure();
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(readJson(configPath)).toEqual({
      credHelpers: { "https://index.docker.io/v1/": "codespaces", "mycompany.azurecr.io": "codespaces" },
    });
    expect(statSync(configPath).mode & 0o777).toBe(0o600);
    expect(r.stdout).toContain('credHelpers["mycompany.azurecr.io"] = "codespaces"');
  });

  it("keeps other settings, drops the plaintext copies of served secrets, and says so", async () => {
    const hubAuth = Buffer.from("hubuser:hub-secret").toString("base64");
    writeConfig(
      JSON.stringify({
        auths: { "https://index.docker.io/v1/": { auth: hubAuth }, "other.test": { auth: "b3RoZXI6eA==" } },
        credHelpers: { "gcr.io": "gcloud" },
        psFormat: "table {{.ID}}",
        experimental: "enabled",
      }),
      0o644,
    );
    const r = await configure();
    expect(r.code).toBe(0);
    expect(readJson(configPath)).toEqual({
      auths: { "other.test": { auth: "b3RoZXI6eA==" } },
      credHelpers: { "gcr.io": "gcloud", "https://index.docker.io/v1/": "codespaces", "mycompany.azurecr.io": "codespaces" },
      psFormat: "table {{.ID}}",
      experimental: "enabled",
    });
    expect(readFileSync(configPath, "utf8")).not.toContain(hubAuth);
    expect(statSync(configPath).mode & 0o777).toBe(0o644);
    expect(r.stdout).toContain('removed the plaintext auths entry for "https://index.docker.io/v1/"');
    expect(r.stdout).not.toContain("hub-secret");
    expect(readdirSync(join(dir, "docker"))).toEqual(["config.json"]);
  });

  it("is idempotent: a second run changes nothing and does not rewrite the file", async () => {
    await configure();
    const before = statSync(configPath);
    const r = await configure();
    expect(r).toEqual({ code: 0, stdout: `${configPath}: already configured, nothing to change\n`, stderr: "" });
    const after = statSync(configPath);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it("follows a symlinked config and leaves the link in place", async () => {
    const real = join(dir, "dotfiles-config.json");
    writeFileSync(real, '{"credsStore":"desktop"}', { mode: 0o600 });
    mkdirSync(join(dir, "docker"));
    symlinkSync(real, configPath);
    expect((await configure()).code).toBe(0);
    expect(lstatSync(configPath).isSymbolicLink()).toBe(true);
    expect(readJson(real)).toMatchObject({ credsStore: "desktop", credHelpers: { "mycompany.azurecr.io": "codespaces" } });
  });

  it("--dry-run shows the change and writes nothing", async () => {
    writeConfig('{"auths":{"mycompany.azurecr.io":{"auth":"eDp5"}}}');
    const r = await configure(["--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(dry run, not written) credHelpers["mycompany.azurecr.io"] = "codespaces"');
    expect(r.stdout).toContain('(dry run, not written) removed the plaintext auths entry for "mycompany.azurecr.io"');
    expect(readFileSync(configPath, "utf8")).toBe('{"auths":{"mycompany.azurecr.io":{"auth":"eDp5"}}}');
  });

  it.each([
    ['{"auths": {', "is not valid JSON"],
    ['{"credHelpers": {"x": 1}}', "is not a config file this helper understands"],
    ["[1,2]", "is not a config file this helper understands"],
  ])("refuses a malformed config %j with one line and leaves it untouched", async (content, message) => {
    writeConfig(content);
    const r = await configure();
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`${configPath} ${message}${message.includes("JSON") ? "; fix or move it and run again (nothing was changed)" : " (credHelpers must map names to strings, auths must be an object); fix it and run again (nothing was changed)"}\n`);
    expect(readFileSync(configPath, "utf8")).toBe(content);
  });

  it("--containers-auth also writes the auth.json podman and skopeo read, naming Docker Hub docker.io", async () => {
    const authFile = join(dir, "containers", "auth.json");
    const r = await configure([`--containers-auth=${authFile}`]);
    expect(r.code).toBe(0);
    expect(readJson(authFile)).toEqual({ credHelpers: { "docker.io": "codespaces", "mycompany.azurecr.io": "codespaces" } });
    const viaEnv = await runHelper(target!, ["configure", "--containers-auth"], {
      env: { ...triples, DOCKER_CONFIG: join(dir, "docker"), HOME: dir },
    });
    expect(viaEnv.stdout).toContain(join(dir, ".config", "containers", "auth.json"));
  });

  it("refuses to run with nothing configured, or with an unknown option", async () => {
    expect((await configure([], {})).stdout).toMatch(/^no <ID>_CONTAINER_REGISTRY_SERVER.*nothing to configure\n$/);
    const r = await configure(["--force"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('configure: unknown option "--force"; use --dry-run and/or --containers-auth[=PATH]\n');
  });
});

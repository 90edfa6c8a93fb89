import { execFileSync } from "node:child_process";
import {
  chownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { hasStrace, readTraces } from "../support/e2e/trace.js";
import { helperTargets, runHelper, type HelperTarget } from "../support/helper-process.js";
import { triple } from "../support/triple.js";

const [target] = helperTargets();
const triples = {
  ...triple("ACR", "mycompany.azurecr.io", "acr-user", "acr-secret"),
  ...triple("HUB", "docker.io", "hubuser", "hub-secret"),
};
const hubAuth = Buffer.from("hubuser:hub-secret").toString("base64");

let dir: string;
let configDir: string;
let configPath: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "configure-"));
  configDir = join(dir, "docker");
  configPath = join(configDir, "config.json");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The helper under `sh -c 'umask U; exec …'`, so the mode tests see the umask a user's shell could have. */
const withUmask = (umask: string, inner: HelperTarget = target!): HelperTarget => ({
  name: `${inner.name} (umask ${umask})`,
  command: ["sh", "-c", `umask ${umask} && exec "$@"`, "sh", ...inner.command],
});
const configure = (args: string[] = [], env: Record<string, string> = triples, via: HelperTarget = target!) =>
  runHelper(via, ["configure", ...args], { env: { ...env, DOCKER_CONFIG: configDir, HOME: dir }, cwd: dir, timeoutMs: 10_000 });
const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8"));
const writeConfig = (content: string, mode = 0o600) => {
  mkdirSync(configDir, { recursive: true });
  writeFileSync(configPath, content, { mode });
};
const modeOf = (path: string) => statSync(path).mode & 0o777;
/** Every entry under `root` with its type, mode, inode and bytes: equal snapshots mean nothing was written. */
const snapshot = (root: string): string[] =>
  readdirSync(root, { recursive: true, withFileTypes: true }).map((e) => {
    const path = join(e.parentPath, e.name);
    const s = lstatSync(path);
    return `${path} ${s.mode} ${s.ino} ${s.mtimeMs} ${s.isFile() ? readFileSync(path, "base64") : ""}`;
  });

if (!hasStrace && process.env["CI"]) throw new Error("strace is missing: the test command installs it (test/setup/install-deps.sh)");
// libuv may submit file operations through io_uring, which strace cannot see: off for the traced runs.
const traced = (prefix: string, inner: HelperTarget = target!): HelperTarget => ({
  name: `${inner.name} under strace`,
  command: ["env", "UV_USE_IO_URING=0", "strace", "-f", "-ff", "-qq", "-e", "trace=%file,%desc", "-o", prefix, ...inner.command],
});

describe("configure", () => {
  it("creates a private config.json routing every configured registry to the helper", async () => {
    const r = await configure();
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(readJson(configPath)).toEqual({
      credHelpers: { "https://index.docker.io/v1/": "codespaces", "mycompany.azurecr.io": "codespaces" },
    });
    expect(modeOf(configPath)).toBe(0o600);
    expect(r.stdout).toContain('credHelpers["mycompany.azurecr.io"] = "codespaces"');
  });

  it("keeps other settings byte for byte, drops the plaintext copies of served secrets, and says so", async () => {
    const before = [
      "{",
      '  "auths": {',
      `    "https://index.docker.io/v1/": { "auth": "${hubAuth}" },`,
      '    "other.test": { "auth": "b3RoZXI6eA==" }',
      "  },",
      '  "credHelpers": { "gcr.io": "gcloud" },',
      '  "psFormat": "table {{.ID}}",',
      '  "big": 123456789012345678901234567890, "huge": 1e400, "__proto__": { "x": 1 }',
      "}",
      "",
    ].join("\n");
    writeConfig(before, 0o644);
    const r = await configure();
    expect(r.code).toBe(0);
    const after = readFileSync(configPath, "utf8");
    expect(after).toBe(
      before
        .replace(`    "https://index.docker.io/v1/": { "auth": "${hubAuth}" },\n`, "")
        .replace(
          '{ "gcr.io": "gcloud" }',
          '{ "gcr.io": "gcloud","mycompany.azurecr.io": "codespaces","https://index.docker.io/v1/": "codespaces" }',
        ),
    );
    expect(modeOf(configPath)).toBe(0o644);
    expect(r.stdout).toContain('removed the plaintext auths entry for "https://index.docker.io/v1/"');
    expect(r.stdout).not.toContain("hub-secret");
    expect(readdirSync(configDir)).toEqual(["config.json"]);
  });

  it("--dry-run shows the change and writes nothing", async () => {
    const content = `{"auths":{"mycompany.azurecr.io":{"auth":"${Buffer.from("acr-user:acr-secret").toString("base64")}"}}}`;
    writeConfig(content);
    const before = snapshot(dir);
    const r = await configure(["--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(dry run, not written) credHelpers["mycompany.azurecr.io"] = "codespaces"');
    expect(r.stdout).toContain('(dry run, not written) removed the plaintext auths entry for "mycompany.azurecr.io"');
    expect(snapshot(dir)).toEqual(before);
  });

  it.each([
    ['{"auths": {', "is not valid JSON; fix or move it and run again (nothing was changed)"],
    ['{"credHelpers": {"x": 1}}', "is not a config file this helper understands (credHelpers must map names to strings, auths must be an object); fix it and run again (nothing was changed)"],
    ["[1,2]", "is not a config file this helper understands (credHelpers must map names to strings, auths must be an object); fix it and run again (nothing was changed)"],
  ])("refuses a malformed config %j with one line and leaves it untouched", async (content, message) => {
    writeConfig(content);
    const r = await configure();
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`${configPath} ${message}\n`);
    expect(readFileSync(configPath, "utf8")).toBe(content);
  });

  it.each([
    ["REGISTRY_AUTH_FILE", { REGISTRY_AUTH_FILE: "rf/auth.json", XDG_CONFIG_HOME: "xdg" }, "rf/auth.json"],
    ["XDG_CONFIG_HOME", { REGISTRY_AUTH_FILE: "", XDG_CONFIG_HOME: "xdg" }, "xdg/containers/auth.json"],
    ["HOME", { REGISTRY_AUTH_FILE: "", XDG_CONFIG_HOME: "" }, ".config/containers/auth.json"],
  ])("--containers-auth edits the file %s names, and only it", async (_, vars, expected) => {
    const env = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, v === "" ? "" : join(dir, v)]));
    const r = await configure(["--containers-auth"], { ...triples, ...env });
    expect(r.code, r.stdout).toBe(0);
    expect(readJson(join(dir, expected)).credHelpers).toEqual({ "docker.io": "codespaces", "mycompany.azurecr.io": "codespaces" });
    const written = readdirSync(dir, { recursive: true }).filter((p) => String(p).endsWith(".json")).sort();
    expect(written).toEqual([expected, "docker/config.json"].sort());
  });

  it("treats an empty DOCKER_CONFIG or HOME as unset, as docker does, never the current folder", async () => {
    const cwd = join(dir, "cwd");
    mkdirSync(cwd);
    const r = await runHelper(target!, ["configure"], { env: { ...triples, DOCKER_CONFIG: "", HOME: dir }, cwd });
    expect(r.code, r.stdout).toBe(0);
    expect(readJson(join(dir, ".docker", "config.json")).credHelpers).toBeDefined();
    const noHome = await runHelper(target!, ["configure", "--dry-run"], { env: { ...triples, DOCKER_CONFIG: "", HOME: "" }, cwd });
    // Whatever this machine's real config holds (configured already or not), that is the file named.
    // The real password database: this process sees a stand-in one (test/support/no-real-home.ts).
    const { userInfo } = await vi.importActual<typeof import("node:os")>("node:os");
    expect(noHome.stdout.startsWith(`${join(userInfo().homedir, ".docker", "config.json")}: `), noHome.stdout).toBe(true);
    expect(readdirSync(cwd)).toEqual([]);
  });
});

describe("configure refuses what is not a config file, at once and with one line", () => {
  it.each([[[]], [["--dry-run"]]])("a dangling symlink is never replaced by a file (%j)", async (args) => {
    mkdirSync(configDir);
    symlinkSync(join(dir, "missing", "config.json"), configPath);
    const r = await configure(args);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `${configPath} is a symbolic link to ${join(dir, "missing", "config.json")}, which does not exist; point it at a file or remove it, then run again (nothing was changed)\n`,
    );
    expect(lstatSync(configPath).isSymbolicLink()).toBe(true);
    expect(readdirSync(dir, { recursive: true })).toEqual(["docker", join("docker", "config.json")]);
  });

  it.each([
    ["a FIFO", "a FIFO", () => execFileSync("mkfifo", [configPath])],
    ["a device (via a link)", "a device", () => symlinkSync("/dev/zero", configPath)],
    ["a folder", "a folder", () => mkdirSync(configPath)],
  ])("%s at the config path, even with --dry-run", async (_, kind, make) => {
    mkdirSync(configDir);
    make();
    for (const args of [[], ["--dry-run"]]) {
      const r = await configure(args);
      const shown = kind === "a device" ? "/dev/zero" : configPath;
      expect(r.stdout).toBe(`${shown} is ${kind}, not a config file; move it away or point configure elsewhere (nothing was changed)\n`);
      expect(r.code).toBe(1);
    }
  });

  it("a folder that cannot be created gets the cannot-write line", async () => {
    writeFileSync(join(dir, "a-file"), "");
    const r = await runHelper(target!, ["configure"], { env: { ...triples, DOCKER_CONFIG: join(dir, "a-file", "docker") } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`cannot write ${join(dir, "a-file", "docker", "config.json")}: ENOTDIR; it was not changed\n`);
    expect(r.stderr).toBe(`docker-credential-codespaces: ${r.stdout}`);
  });
});

// Issue 13: each of these fails when the write is done in place, when the temp
// file's mode is left to the umask, when a kept mode is masked, or when the
// folder is created 0777.
describe("configure writes atomically with exact modes", () => {
  it("replaces the file by rename: a hard link to the old file still holds the old bytes", async () => {
    const old = '{"psFormat": "x"}';
    writeConfig(old);
    const held = join(dir, "held");
    linkSync(configPath, held);
    const inode = statSync(configPath).ino;
    expect((await configure()).code).toBe(0);
    expect(readFileSync(held, "utf8")).toBe(old);
    expect(statSync(configPath).ino).not.toBe(inode);
    expect(readdirSync(configDir)).toEqual(["config.json"]);
  });

  it.each(["000", "077", "022"])("under umask %s a new file is 0600 and each new folder 0700", async (umask) => {
    configDir = join(dir, "a", "b");
    configPath = join(configDir, "config.json");
    expect((await configure([], triples, withUmask(umask))).code).toBe(0);
    expect([modeOf(join(dir, "a")), modeOf(configDir), modeOf(configPath)]).toEqual([0o700, 0o700, 0o600]);
  });

  it.each([0o640, 0o604, 0o660, 0o644, 0o400])("keeps mode %s exactly, under umask 000 and 077", async (mode) => {
    for (const umask of ["000", "077"]) {
      writeConfig("{}", mode);
      execFileSync("chmod", [mode.toString(8), configPath]);
      expect((await configure([], triples, withUmask(umask))).code).toBe(0);
      expect(modeOf(configPath)).toBe(mode);
      rmSync(configPath);
    }
  });

  it.runIf(process.getuid?.() === 0)("run as root on a user's file, keeps its owner and group", async () => {
    writeConfig("{}", 0o600);
    chownSync(configDir, 4321, 8765);
    chownSync(configPath, 4321, 8765);
    expect((await configure()).code).toBe(0);
    expect(statSync(configPath)).toMatchObject({ uid: 4321, gid: 8765 });
    expect(readJson(configPath).credHelpers).toBeDefined();
  });

  it.runIf(process.getuid?.() === 0)("run as root for a user, creates the folder and file as that user's", async () => {
    const home = join(dir, "home");
    mkdirSync(home);
    chownSync(home, 4321, 8765);
    const r = await runHelper(target!, ["configure"], { env: { ...triples, HOME: home } });
    expect(r.code, r.stdout).toBe(0);
    for (const path of [join(home, ".docker"), join(home, ".docker", "config.json")]) {
      expect(statSync(path)).toMatchObject({ uid: 4321, gid: 8765 });
    }
  });

  it.skipIf(!hasStrace).each([
    [undefined, 0o600],
    [0o640, 0o640],
  ])("never opens the temp file wider than its final mode (existing mode %s, umask 000)", async (existing, mode) => {
    if (existing !== undefined) writeConfig("{}", existing);
    const prefix = join(tmpdir(), `configure-trace-${process.pid}-${mode}`);
    try {
      const r = await configure([], triples, traced(prefix, withUmask("000")));
      expect(r.code, r.stdout).toBe(0);
      const creates = readTraces(prefix).lines.filter((l) => /O_CREAT/.test(l) && l.includes(configDir));
      expect(creates).toHaveLength(1);
      expect(creates[0]).toMatch(new RegExp(`O_EXCL.*, 0${mode.toString(8)}\\) = \\d+$`));
      expect(modeOf(configPath)).toBe(mode);
    } finally {
      for (const f of readdirSync(tmpdir()).filter((n) => n.startsWith(`configure-trace-${process.pid}-${mode}.`))) rmSync(join(tmpdir(), f));
    }
  });

  const planted = `{"auths":{"mycompany.azurecr.io":{"auth":"${Buffer.from("acr-user:acr-secret").toString("base64")}"}}}`;
  it.skipIf(!hasStrace).each([
    ["--dry-run", ["--dry-run"], planted, 0],
    ["a refused file", [], `${planted.slice(0, -1)},}`, 1],
  ])("writes nothing, as traced: %s", async (_, args, content, code) => {
    writeConfig(content);
    const prefix = join(dir, "trace");
    const r = await configure([...args, `--containers-auth=${join(dir, "auth.json")}`], triples, traced(prefix));
    expect(r.code, r.stdout).toBe(code);
    const trace = readTraces(prefix);
    expect(trace.opened).toContain(configPath);
    expect(trace.writes.filter((l) => !/\/dev\/(null|tty)|\/proc\//.test(l))).toEqual([]);
    expect(readFileSync(configPath, "utf8")).toBe(content);
  });
});

import {
  chmodSync,
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
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { triple } from "../support/triple.js";
import { passwdSays } from "../support/no-real-home.js";

// configure driven in-process through run(io), on files in a temp folder: the
// cases of test/cli/configure.test.ts that need no process (strace, a shell's
// umask), so that mutation testing reaches configure.ts and docker-config.ts.

const triples = {
  ...triple("ACR", "mycompany.azurecr.io", "acr-user", "acr-secret"),
  ...triple("HUB", "docker.io", "hubuser", "hub-secret"),
};
const hubAuth = Buffer.from("hubuser:hub-secret").toString("base64");

// The CLI (and configure.ts, docker-config.ts, which it loads on demand) is
// loaded afresh in each test, so that mutation testing's per-test coverage
// counts their load-time constants for every test here, not only the first.
let runInProcess: typeof import("../support/fake-io.js").runInProcess;
beforeEach(async () => {
  vi.resetModules();
  ({ runInProcess } = await import("../support/fake-io.js"));
});

let dir: string;
let configDir: string;
let configPath: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "configure-"));
  configDir = join(dir, "docker");
  configPath = join(configDir, "config.json");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const configure = (args: string[] = [], env: Record<string, string> = triples) =>
  runInProcess(["configure", ...args], { env: { ...env, DOCKER_CONFIG: configDir, HOME: dir } });
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

  it("keeps auths entries for a repository path or with other credentials, and says they exist", async () => {
    const other = Buffer.from("hubuser:older-secret").toString("base64");
    const entries = { "docker.io/otherorg": { auth: hubAuth }, "mycompany.azurecr.io": { auth: other } };
    writeConfig(JSON.stringify({ auths: entries }));
    const r = await configure();
    expect(r.code).toBe(0);
    expect(readJson(configPath).auths).toEqual(entries);
    expect(r.stdout).toContain(`${configPath}: kept the plaintext auths entry for "docker.io/otherorg": it is for a repository path`);
    expect(r.stdout).toContain(`${configPath}: kept the plaintext auths entry for "mycompany.azurecr.io": it holds credentials other than the environment's`);
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
    mkdirSync(configDir);
    symlinkSync(real, configPath);
    expect((await configure()).code).toBe(0);
    expect(lstatSync(configPath).isSymbolicLink()).toBe(true);
    expect(readJson(real)).toMatchObject({ credsStore: "desktop", credHelpers: { "mycompany.azurecr.io": "codespaces" } });
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

  it("--containers-auth=PATH also writes the auth.json podman and skopeo read, naming Docker Hub docker.io", async () => {
    const authFile = join(dir, "containers", "auth.json");
    const r = await configure([`--containers-auth=${authFile}`]);
    expect(r.code).toBe(0);
    expect(readJson(authFile)).toEqual({ credHelpers: { "docker.io": "codespaces", "mycompany.azurecr.io": "codespaces" } });
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
    // --dry-run: a mutant taking "" for the current folder names it without writing there (in-process
    // the current folder is the checkout's). The password database is a stand-in (no-real-home.ts).
    passwdSays(() => ({ homedir: join(dir, "passwd-home") }));
    for (const [env, home] of [[{ DOCKER_CONFIG: "", HOME: dir }, dir], [{ DOCKER_CONFIG: "", HOME: "" }, join(dir, "passwd-home")]] as const) {
      const r = await runInProcess(["configure", "--dry-run"], { env: { ...triples, ...env } });
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout.startsWith(`${join(home, ".docker", "config.json")}: (dry run, not written) `), r.stdout).toBe(true);
    }
  });

  it("says why when every triple conflicts or is incomplete, and which ones it skipped otherwise", async () => {
    const conflicting = { ...triple("A", "ghcr.io", "u", "p1"), ...triple("B", "ghcr.io", "u", "p2") };
    const all = await configure([], conflicting);
    expect(all.code).toBe(1);
    expect(all.stdout).toBe(
      "nothing to configure: ghcr.io skipped: ghcr.io is configured twice with different credentials, by A_CONTAINER_REGISTRY_* " +
        "and B_CONTAINER_REGISTRY_*; remove or correct one of them\n",
    );
    const incomplete = await configure([], { Q_CONTAINER_REGISTRY_SERVER: "quay.io", Q_CONTAINER_REGISTRY_USER: "u" });
    expect(incomplete.stdout).toBe("nothing to configure: quay.io skipped: Q_CONTAINER_REGISTRY_PASSWORD missing or empty\n");
    const some = await configure([], { ...conflicting, ...triples });
    expect(some.code).toBe(0);
    expect(some.stdout).toContain("ghcr.io skipped: ghcr.io is configured twice");
    expect(Object.keys(readJson(configPath).credHelpers).sort()).toEqual(["https://index.docker.io/v1/", "mycompany.azurecr.io"]);
    expect((await configure([], {})).stdout).toMatch(/^no <ID>_CONTAINER_REGISTRY_SERVER.*nothing to configure\n$/);
  });

  it("refuses an unknown option, and explains every option with --help", async () => {
    const r = await configure(["--force"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('configure: unknown option "--force"; use --dry-run, --remove and/or --containers-auth[=PATH] (see configure --help)\n');
    const help = await configure(["--dry-run", "--help"], {});
    expect(help.code).toBe(0);
    for (const option of ["--dry-run", "--remove", "--containers-auth[=PATH]", "REGISTRY_AUTH_FILE", "DOCKER_CONFIG"]) expect(help.stdout).toContain(option);
    expect(readdirSync(dir)).toEqual([]);
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

  it("a symlink loop", async () => {
    mkdirSync(configDir);
    symlinkSync(configPath, configPath);
    const r = await configure();
    expect(r.stdout).toMatch(/is a symbolic link to .*, which loops; point it at a file or remove it/);
    expect(lstatSync(configPath).isSymbolicLink()).toBe(true);
  });

  it.each([
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

  it("a socket at the config path", async () => {
    mkdirSync(configDir);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(configPath, resolve));
    try {
      const r = await configure(["--dry-run"]);
      expect(r.stdout).toBe(`${configPath} is a socket, not a config file; move it away or point configure elsewhere (nothing was changed)\n`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("a file that is not UTF-8, whose stray bytes a rewrite would change", async () => {
    mkdirSync(configDir);
    const bytes = Buffer.concat([Buffer.from('{"psFormat": "'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    writeFileSync(configPath, bytes);
    const r = await configure();
    expect(r.stdout).toBe(`${configPath} is not UTF-8 text; fix or move it and run again (nothing was changed)\n`);
    expect(readFileSync(configPath)).toEqual(bytes);
  });

  it("a refused auth.json leaves config.json unwritten too", async () => {
    writeConfig("{}");
    const authFile = join(dir, "auth.json");
    writeFileSync(authFile, "{,}");
    const r = await configure([`--containers-auth=${authFile}`]);
    expect(r.stdout).toBe(`${authFile} is not valid JSON; fix or move it and run again (nothing was changed)\n`);
    expect(readFileSync(configPath, "utf8")).toBe("{}");
  });

  it("a folder that cannot be created gets the cannot-write line", async () => {
    writeFileSync(join(dir, "a-file"), "");
    const r = await runInProcess(["configure"], { env: { ...triples, DOCKER_CONFIG: join(dir, "a-file", "docker") } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`cannot write ${join(dir, "a-file", "docker", "config.json")}: ENOTDIR; it was not changed\n`);
    expect(r.stderr).toBe(`docker-credential-codespaces: ${r.stdout}`);
  });
});

describe("configure --remove", () => {
  it("removes only the credHelpers entries naming this helper, from both files, whatever the environment holds", async () => {
    const authFile = join(dir, "auth.json");
    const original = '{\n\t"credHelpers": {\n\t\t"gcr.io": "gcloud"\n\t},\n\t"psFormat": "x"\n}\n';
    writeConfig(original);
    writeFileSync(authFile, "{}");
    expect((await configure([`--containers-auth=${authFile}`])).code).toBe(0);
    writeFileSync(authFile, readFileSync(authFile, "utf8").replace("}}", ',"quay.io": "codespaces"}}'));

    const dry = await configure(["--remove", "--dry-run", `--containers-auth=${authFile}`], {});
    expect(dry.stdout).toContain(`${configPath}: (dry run, not written) removed credHelpers["mycompany.azurecr.io"] (it named "codespaces")`);
    expect(dry.stdout).toContain(`${authFile}: (dry run, not written) removed credHelpers["quay.io"] (it named "codespaces")`);
    expect(readJson(authFile).credHelpers["quay.io"]).toBe("codespaces");

    const r = await configure(["--remove", `--containers-auth=${authFile}`], {});
    expect(r.code).toBe(0);
    expect(readFileSync(configPath, "utf8")).toBe(original);
    expect(readFileSync(authFile, "utf8")).toBe("{}");
    expect(r.stdout).toMatch(/plaintext auths entries that configure removed earlier are not restored/);
    const again = await configure(["--remove"], {});
    expect(again.stdout).toContain(`${configPath}: already without this helper, nothing to change`);
    expect(modeOf(configPath)).toBe(0o600);
  });

  it("creates no file when there is none", async () => {
    const r = await configure(["--remove"], {});
    expect(r.code).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
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

  // Stryker runs suites in worker threads, which cannot set the umask: these run under this process's own
  // (022 here); the spawned suite covers umask 000 and 077.
  it("a new file is 0600 and each new folder 0700", async () => {
    configDir = join(dir, "a", "b");
    configPath = join(configDir, "config.json");
    expect((await configure()).code).toBe(0);
    expect([modeOf(join(dir, "a")), modeOf(configDir), modeOf(configPath)]).toEqual([0o700, 0o700, 0o600]);
  });

  it.each([0o640, 0o604, 0o660, 0o644, 0o400, 0o666])("keeps mode %o exactly", async (mode) => {
    writeConfig("{}", mode);
    chmodSync(configPath, mode);
    expect((await configure()).code).toBe(0);
    expect(modeOf(configPath)).toBe(mode);
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
    const r = await runInProcess(["configure"], { env: { ...triples, HOME: home } });
    expect(r.code, r.stdout).toBe(0);
    for (const path of [join(home, ".docker"), join(home, ".docker", "config.json")]) {
      expect(statSync(path)).toMatchObject({ uid: 4321, gid: 8765 });
    }
  });
});

describe("configure's exact lines (mutation-found gaps)", () => {
  it("says each change without the dry-run mark and never 'already' when it changed something", async () => {
    const r = await configure();
    expect(r.stdout).toBe(
      [
        `${configPath}: credHelpers["mycompany.azurecr.io"] = "codespaces"`,
        `${configPath}: credHelpers["https://index.docker.io/v1/"] = "codespaces"`,
        "",
      ].join("\n"),
    );
  });

  it("-h prints the help too, and writes nothing", async () => {
    const r = await configure(["-h"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--containers-auth[=PATH]");
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each(["--containers-auth=", "--containers-authority", "--dry-run-and-more"])("refuses %j as an unknown option", async (arg) => {
    const r = await configure([arg]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`configure: unknown option ${JSON.stringify(arg)}; use --dry-run, --remove and/or --containers-auth[=PATH] (see configure --help)\n`);
  });

  it("lists every reason when nothing can be configured, and names each missing part", async () => {
    const env = {
      ...triple("A", "ghcr.io", "u", "p1"),
      ...triple("B", "ghcr.io", "u", "p2"),
      Q_CONTAINER_REGISTRY_SERVER: "quay.io",
    };
    const r = await configure([], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      "nothing to configure: ghcr.io skipped: ghcr.io is configured twice with different credentials, by A_CONTAINER_REGISTRY_* " +
        "and B_CONTAINER_REGISTRY_*; remove or correct one of them; " +
        "quay.io skipped: Q_CONTAINER_REGISTRY_USER and Q_CONTAINER_REGISTRY_PASSWORD missing or empty\n",
    );
  });

  it("does not call a registry skipped when a complete triple configures it beside an incomplete one", async () => {
    const r = await configure([], { ...triples, HALF_CONTAINER_REGISTRY_SERVER: "mycompany.azurecr.io" });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("skipped");
  });
});

describe("configure on a path the system cannot look up", () => {
  it("a name too long is a cannot-read line, not a symlink story, and nothing is written", async () => {
    const long = join(dir, "x".repeat(300));
    const r = await runInProcess(["configure"], { env: { ...triples, DOCKER_CONFIG: long, HOME: dir } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`cannot read ${join(long, "config.json")}: ENAMETOOLONG; nothing was changed\n`);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("configure without HOME finds the home in the password database, as docker does", () => {

  it("uses the home the password database names", async () => {
    passwdSays(() => ({ homedir: dir }));
    const r = await runInProcess(["configure", "--dry-run"], { env: triples });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain(`${join(dir, ".docker", "config.json")}: (dry run, not written) credHelpers["mycompany.azurecr.io"] = "codespaces"\n`);
  });

  it.each([
    ["has no entry for this user", () => {
      throw Object.assign(new Error("ENOENT: no such file or directory, uv_os_get_passwd"), { code: "ENOENT" });
    }],
    ["names no home", () => ({ homedir: "" })],
  ])("says what to set when the password database %s", async (_, userInfo) => {
    passwdSays(userInfo);
    // --dry-run: a mutant that took an empty home for the current folder must not write there.
    expect(await runInProcess(["configure", "--dry-run"], { env: triples })).toEqual({
      code: 1,
      stdout: "HOME is not set and this user has no home folder; set DOCKER_CONFIG and run again\n",
      stderr: "docker-credential-codespaces: HOME is not set and this user has no home folder; set DOCKER_CONFIG and run again\n",
    });
    expect(readdirSync(dir)).toEqual([]);
  });
});

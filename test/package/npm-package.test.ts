// The npm package as a user gets it: `npm pack`, then `npm i -g` of the tarball into an empty prefix,
// offline and with an empty cache (so any runtime dependency would fail the install), on every Node
// line `engines` claims; then the installed command answers get, list, an ECR get and configure.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakePasswordPayload, fakePayloadFor, startFakeEcr, type FakeEcr } from "../support/fake-ecr.js";
import { baseEnv, repoRoot, runHelper, type HelperTarget } from "../support/helper-process.js";
import { triple } from "../support/triple.js";

const NAME = "docker-credential-codespaces";
const manifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  version: string;
  engines: { node: string };
  dependencies?: object;
};

/** The pinned runtime of build/node-runtime.mjs (fetched there with its integrity checked on first use). */
const pinned = (version: string) =>
  execFileSync(process.execPath, ["build/node-runtime.mjs", "x64", version], { cwd: repoRoot, encoding: "utf8" }).trim();

// One Node per line in engines: the machine's own 20 (end of life, still the floor), 22 and 24.
const NODE_LINES: ReadonlyArray<{ line: number; node: () => string }> = [
  { line: 20, node: () => process.execPath },
  { line: 22, node: () => pinned("22.23.3") },
  { line: 24, node: () => pinned("24.21.0") },
];

const KEY = { accessKeyId: "AKIAFAKEPACKAGE00001", secretAccessKey: "fake-package-secret/PPPPPPPPPPPPPPPPPPPPPP" };
const ECR_HOST = "333333333333.dkr.ecr.ap-southeast-2.amazonaws.com";
const npmCli = realpathSync(execFileSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).trim());

const work = mkdtempSync(join(tmpdir(), "dcc-package-"));
let tarball: string;
let fake: FakeEcr;

beforeAll(async () => {
  const packed = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
  ) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(work, packed[0]!.filename);
  fake = await startFakeEcr({ keys: [KEY] });
});
afterAll(async () => {
  await fake?.close();
  rmSync(work, { recursive: true, force: true });
});

it("claims the Node lines this suite runs and has no runtime dependencies", () => {
  expect(manifest.engines.node).toBe(`>=${NODE_LINES[0]!.line}`);
  expect(manifest.dependencies).toBeUndefined();
});

it("packs only bin/, dist/, LICENSE, README.md and package.json", () => {
  const listing = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).trim().split("\n");
  const outside = listing.filter((p) => !/^package\/(bin\/|dist\/|LICENSE$|README\.md$|package\.json$)/.test(p));
  expect(outside).toEqual([]);
  expect(listing).toContain("package/LICENSE");
  expect(listing).toContain("package/dist/main.js");
});

describe.each(NODE_LINES)("installed with npm i -g on Node $line", ({ line, node }) => {
  const dir = mkdtempSync(join(work, `node${line}-`));
  const prefix = join(dir, "prefix");
  const nodeDir = join(dir, "node-bin"); // PATH holds only this Node, so the installed command must use it
  let installed: HelperTarget;

  beforeAll(() => {
    const binary = node();
    execFileSync("mkdir", ["-p", nodeDir]);
    symlinkSync(binary, join(nodeDir, "node"));
    const version = execFileSync(join(nodeDir, "node"), ["-p", "process.versions.node"], { encoding: "utf8" }).trim();
    expect(Number(version.split(".")[0])).toBe(line);
    // No npmrc of this machine's: a user's fresh npm.
    const env = { PATH: `${nodeDir}:/usr/bin:/bin`, HOME: dir, npm_config_userconfig: join(dir, "npmrc"), npm_config_globalconfig: join(dir, "global-npmrc") };
    const r = spawnSync(
      join(nodeDir, "node"),
      [npmCli, "install", "--global", "--offline", "--no-audit", "--no-fund", "--prefix", prefix, "--cache", join(dir, "empty-cache"), tarball],
      { env, encoding: "utf8", timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr, "npm warns about nothing (no install scripts, no engines mismatch)").toBe("");
    installed = { name: `Node ${line}`, command: [join(prefix, "bin", NAME)] };
  }, 180_000);

  const run = (args: string[], options: { stdin?: string; env?: Record<string, string> } = {}) =>
    runHelper(installed, args, { ...options, env: { ...options.env, PATH: nodeDir } });

  it("installs the package and nothing else", () => {
    const modules = join(prefix, "lib", "node_modules");
    expect(readdirSync(modules)).toEqual([NAME]);
    expect(existsSync(join(modules, NAME, "node_modules"))).toBe(false);
  });

  it("answers get and list from a triple", async () => {
    const env = triple("ACR", "mycompany.azurecr.io", "acr-user", "acr-secret");
    expect(await run(["get"], { stdin: "https://mycompany.azurecr.io/v2/", env })).toEqual({
      code: 0,
      stdout: '{"ServerURL":"https://mycompany.azurecr.io/v2/","Username":"acr-user","Secret":"acr-secret"}\n',
      stderr: "",
    });
    expect(await run(["list"], { env })).toEqual({ code: 0, stdout: '{"mycompany.azurecr.io":"acr-user"}\n', stderr: "" });
    expect(await run(["version"])).toEqual({ code: 0, stdout: `${NAME} (${NAME}) ${manifest.version}\n`, stderr: "" });
  });

  it("mints an ECR token against the loopback fake", async () => {
    const env = { ...triple("ECR", ECR_HOST, KEY.accessKeyId, KEY.secretAccessKey), AWS_ENDPOINT_URL_ECR: fake.url };
    const r = await run(["get"], { stdin: ECR_HOST, env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const answer = JSON.parse(r.stdout) as { Username: string; Secret: string };
    expect(answer.Username).toBe("AWS");
    expect(fakePasswordPayload(answer.Secret).payload).toBe(fakePayloadFor(KEY.accessKeyId, "ap-southeast-2", "ecr"));
  });

  it("shows what configure --dry-run would change and writes nothing", async () => {
    const home = mkdtempSync(join(dir, "home-"));
    const r = await run(["configure", "--dry-run"], { env: { ...baseEnv(), HOME: home, ...triple("GH", "ghcr.io", "me", "gh-secret") } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('credHelpers["ghcr.io"] = "codespaces"');
    expect(r.stdout).not.toContain("gh-secret");
    expect(readdirSync(home)).toEqual([]);
  });
});

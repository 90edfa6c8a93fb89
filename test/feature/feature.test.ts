// The Feature as a dev container user meets it: the real dev container CLI builds and starts a
// container from a devcontainer.json naming the Feature from this repository, on a Debian made
// offline (with and without Node), with the tarballs served by a loopback npm-like registry.
// install.sh's refusals (checksum, 404, no download client, musl, architecture) run in plain
// containers of the same image.
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertPrerequisites, dockerCli, makeTempDir, removeDir, repoRoot } from "../support/e2e/env.js";
import { startDockerd, type Dockerd } from "../support/e2e/dockerd.js";
import { run, type RunResult } from "../support/e2e/process.js";
import { importBaseImage } from "../support/feature/base-image.js";
import { startStaticRegistry, type StaticRegistry } from "../support/feature/npm-registry.js";
import { triple } from "../support/triple.js";

const NAME = "docker-credential-codespaces";
const featureDir = join(repoRoot, "feature", "src", NAME);
const outNpm = join(repoRoot, "out", "npm");
const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
const feature = JSON.parse(readFileSync(join(featureDir, "devcontainer-feature.json"), "utf8")) as {
  id: string;
  options: Record<string, { default: unknown }>;
  postStartCommand: string;
};
const MAIN_TGZ = `${NAME}-${version}.tgz`;
const X64_TGZ = `${NAME}-linux-x64-${version}.tgz`;
const devcontainerCli = join(repoRoot, "node_modules", "@devcontainers", "cli", "devcontainer.js");
// The Node the image "with node" gets: the runtime the executables embed (build/node-runtime.mjs).
const pinnedNode = join(repoRoot, ".cache", "node-v24.21.0-linux-x64", "node");

const GH = triple("GH", "ghcr.io", "gh-user", "gh-token-1111");
const ACR = triple("ACR", "mycompany.azurecr.io", "acr-user", "acr-token-2222");

const tarball = (file: string) => readFileSync(join(outNpm, file));
const served = (...files: string[]) => new Map(files.map((f) => [f, tarball(f)]));

let dockerd: Dockerd;
let docker: string;
let image: string;
let registry: StaticRegistry;
const work = makeTempDir("feature");
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  assertPrerequisites();
  for (const file of [MAIN_TGZ, X64_TGZ]) {
    if (!existsSync(join(outNpm, file))) throw new Error(`out/npm/${file} is missing: run npm run build first`);
  }
  if (!existsSync(pinnedNode)) throw new Error(`${pinnedNode} is missing: run npm run build first`);
  docker = dockerCli();
  dockerd = await startDockerd({ storageDriver: "overlay2" });
  image = await importBaseImage(docker, dockerd.dockerHost);
  registry = await startStaticRegistry(served(MAIN_TGZ, X64_TGZ));
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  await registry?.close();
  await dockerd?.stop();
  removeDir(work);
});

const dockerEnv = () => ({ PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: work, DOCKER_HOST: dockerd.dockerHost });
const dockerRun = (args: string[], timeoutMs = 120_000) => run(docker, args, { env: dockerEnv(), timeoutMs });
const output = (r: RunResult) => `${r.stdout}${r.stderr}`;

/** A workspace whose .devcontainer uses the Feature from this repository with `options`. */
function workspace(name: string, options: { node: boolean; registry: string; featureOptions?: Record<string, unknown> }): string {
  const ws = join(work, name);
  const dc = join(ws, ".devcontainer");
  mkdirSync(dc, { recursive: true });
  cpSync(featureDir, join(dc, NAME), { recursive: true });
  const lines = [`FROM ${image}`, "RUN useradd --create-home --shell /bin/sh dev"];
  if (options.node) {
    cpSync(pinnedNode, join(dc, "node"));
    lines.push("COPY node /usr/local/bin/node");
  }
  writeFileSync(join(dc, "Dockerfile"), `${lines.join("\n")}\n`);
  const config = {
    name,
    // --network=host: install.sh reaches the registry on the host's loopback (the daemon has no bridge).
    build: { dockerfile: "Dockerfile", options: ["--network=host"] },
    runArgs: ["--network=host"],
    features: { [`./${NAME}`]: { registry: options.registry, ...options.featureOptions } },
    remoteUser: "dev",
    updateRemoteUserUID: false,
    containerEnv: GH,
    remoteEnv: ACR,
  };
  writeFileSync(join(dc, "devcontainer.json"), JSON.stringify(config, null, 2));
  return ws;
}

function devcontainer(args: string[]): Promise<RunResult> {
  return run(process.execPath, [devcontainerCli, ...args, "--docker-path", docker, "--log-format", "text"], {
    env: dockerEnv(),
    timeoutMs: 600_000,
  });
}

async function up(ws: string): Promise<void> {
  const r = await devcontainer(["up", "--workspace-folder", ws, "--buildkit", "never"]);
  const id = /"containerId":"([0-9a-f]+)"/.exec(r.stdout)?.[1];
  if (id !== undefined) cleanups.push(() => dockerRun(["rm", "-f", id]));
  if (r.code !== 0 || !r.stdout.includes('"outcome":"success"')) throw new Error(`devcontainer up failed:\n${output(r).slice(-6000)}`);
}

/** Runs `script` with sh in the started container as the remote user with remoteEnv, like a terminal would. */
const exec = (ws: string, script: string) => devcontainer(["exec", "--workspace-folder", ws, "sh", "-c", script]);

it("the Feature's id is its folder's and its default version is this package's", () => {
  expect(feature.id).toBe(NAME);
  expect(feature.options["version"]?.default).toBe(version);
  expect(feature.options["registry"]?.default).toBe("https://registry.npmjs.org");
});

describe.each([
  { variant: "without node", node: false, tarball: X64_TGZ, kind: "executable", containersAuth: false },
  { variant: "with Node 24, containersAuth", node: true, tarball: MAIN_TGZ, kind: "npm bundle", containersAuth: true },
])("devcontainer up on Debian $variant", ({ node, tarball: expected, kind, containersAuth }) => {
  let ws: string;
  let before: number;

  beforeAll(async () => {
    ws = workspace(node ? "with-node" : "without-node", { node, registry: registry.url, featureOptions: { containersAuth } });
    before = registry.requests.length;
    await up(ws);
  });

  it(`downloaded only the ${kind} tarball from the registry`, () => {
    expect(registry.requests.slice(before)).toEqual([`/${expected.replace(/-\d.*$/, "")}/-/${expected}`]);
  });

  it("puts the helper on PATH for the remote user", async () => {
    const r = await exec(ws, `id -un; command -v ${NAME}; ${NAME} version; head -c 4 "$(command -v ${NAME})" | od -An -c | tr -d ' '`);
    expect(r.code, output(r)).toBe(0);
    const [user, path, versionLine, magic] = r.stdout.trim().split("\n");
    expect(user).toBe("dev");
    expect(path).toBe(`/usr/local/bin/${NAME}`);
    expect(versionLine).toBe(`${NAME} (${NAME}) ${version}`);
    expect(magic).toBe(node ? "#!/b" : "177ELF"); // the npm bundle's command is a small sh wrapper around node
  });

  it("postStartCommand routed the containerEnv and remoteEnv registries to the helper", async () => {
    const routed = { credHelpers: { "ghcr.io": "codespaces", "mycompany.azurecr.io": "codespaces" } };
    const r = await exec(ws, "cat ~/.docker/config.json");
    expect(r.code, output(r)).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(routed);
    const containers = await exec(ws, "cat ~/.config/containers/auth.json 2>/dev/null || echo none");
    expect(containers.stdout === "none\n" ? "none" : JSON.parse(containers.stdout)).toEqual(containersAuth ? routed : "none");
  });

  it("get answers through the installed command", async () => {
    const r = await exec(ws, `printf ghcr.io | ${NAME} get; printf https://mycompany.azurecr.io | ${NAME} get`);
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toBe(
      '{"ServerURL":"ghcr.io","Username":"gh-user","Secret":"gh-token-1111"}\n' +
        '{"ServerURL":"https://mycompany.azurecr.io","Username":"acr-user","Secret":"acr-token-2222"}\n',
    );
  });

  it("the start hook is silent when configured and never fails a start (one stderr line)", async () => {
    const hook = feature.postStartCommand;
    const quiet = await exec(ws, hook);
    expect({ code: quiet.code, stdout: quiet.stdout, stderr: quiet.stderr }).toEqual({ code: 0, stdout: "", stderr: "" });
    const broken = await exec(ws, `printf '{' > ~/.docker/config.json && ${hook}; echo "exit $?"`);
    expect(broken.stdout).toBe("exit 0\n");
    expect(broken.stderr.trim().split("\n")).toHaveLength(1);
    expect(broken.stderr).toMatch(new RegExp(`^${NAME}: start-up configure skipped: .*config\\.json`));
    expect(`${broken.stdout}${broken.stderr}`).not.toMatch(/gh-token|acr-token/);
  });
});

describe("a tampered tarball", () => {
  it("fails the image build on the checksum (one byte changed)", async () => {
    const bytes = Buffer.from(tarball(X64_TGZ));
    const at = bytes.length >> 1;
    bytes[at] = bytes[at]! ^ 0x01;
    const bad = await startStaticRegistry(new Map([[X64_TGZ, bytes]]));
    cleanups.push(() => bad.close());
    const ws = workspace("tampered", { node: false, registry: bad.url });
    const r = await devcontainer(["build", "--workspace-folder", ws, "--buildkit", "never"]);
    expect(r.code).not.toBe(0);
    expect(bad.requests).toEqual([`/${NAME}-linux-x64/-/${X64_TGZ}`]);
    expect(output(r)).toMatch(new RegExp(`${NAME} feature: SHA-256 mismatch for ${bad.url}/${NAME}-linux-x64/-/${X64_TGZ}: got [0-9a-f]{64}, this Feature pins [0-9a-f]{64}; refusing to install`));
  });
});

describe("install.sh refuses with one line naming the problem", () => {
  // One container for every case, each changing the system and putting it back (`undo`).
  let box: string;
  beforeAll(async () => {
    const r = await dockerRun(["run", "-d", "--network=host", "-v", `${featureDir}:/feature:ro`, "-v", `${pinnedNode}:/opt/node/node:ro`, image, "sleep", "900"]);
    if (r.code !== 0) throw new Error(`docker run failed: ${output(r)}`);
    box = r.stdout.trim();
    cleanups.push(() => dockerRun(["rm", "-f", box]));
  });

  interface Case {
    readonly prepare?: string;
    readonly undo?: string;
    readonly env?: Record<string, string>;
  }
  const hide = (...paths: string[]): Case => ({
    prepare: paths.map((p) => `mv ${p} ${p}.off;`).join(" "),
    undo: paths.map((p) => `mv ${p}.off ${p};`).join(" "),
  });
  const MUSL: Case = { prepare: "touch /lib/ld-musl-x86_64.so.1;", undo: "rm /lib/ld-musl-x86_64.so.1;" };
  const RISCV: Case = {
    prepare: "printf '#!/bin/sh\\necho riscv64\\n' >/usr/local/bin/uname; chmod +x /usr/local/bin/uname;",
    undo: "rm /usr/local/bin/uname;",
  };
  const WITH_NODE = { PATH: "/opt/node:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" };

  /** Runs install.sh as the Feature would (root, options as env), then the installed command. */
  function install({ prepare = "", undo = "", env = {} }: Case, registryUrl = registry.url): Promise<RunResult> {
    const opts = Object.entries({ REGISTRY: registryUrl, ...env }).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    const script = `rm -f /usr/local/bin/${NAME}; ${prepare} (cd /tmp && sh /feature/install.sh && ${NAME} version); rc=$?; ${undo} exit $rc`;
    return dockerRun(["exec", ...opts, box, "sh", "-c", script]);
  }
  const line = (r: RunResult) => r.stderr.trim().split("\n").filter((l) => l.startsWith(`${NAME} feature:`));

  it.each<{ name: string; case: Case; empty?: boolean; message: string }>([
    { name: "an unpublished version (404)", case: {}, empty: true, message: "404 not found; is version" },
    { name: "an unpublished version (404), with wget", case: hide("/usr/bin/curl"), empty: true, message: "404 not found; is version" },
    { name: "a version the Feature pins nothing for", case: { env: { VERSION: "9.9.9" } }, message: "pins no SHA-256 for" },
    { name: "no curl and no wget", case: hide("/usr/bin/curl", "/usr/bin/wget"), message: "neither curl nor wget is installed" },
    { name: "a musl system without node", case: MUSL, message: "musl libc system" },
    { name: "an architecture without an executable", case: RISCV, message: "no executable for architecture riscv64" },
    { name: "installMode npm without node", case: { env: { INSTALLMODE: "npm" } }, message: "installMode npm needs Node >= 20" },
  ])("$name", async ({ case: c, empty, message }) => {
    const reg = empty ? await startStaticRegistry(new Map()) : undefined;
    if (reg) cleanups.push(() => reg.close());
    const r = await install(c, reg?.url);
    expect(r.code, output(r)).not.toBe(0);
    const lines = line(r);
    expect(lines, output(r)).toHaveLength(1);
    expect(lines[0]).toContain(message);
  });

  it("downloads with wget when curl is missing", async () => {
    const r = await install(hide("/usr/bin/curl"));
    expect(r.code, output(r)).toBe(0);
    expect(r.stdout).toContain(`installed ${NAME} ${version} (executable)`);
  });

  it("installs the npm bundle on musl or another architecture when node is there", async () => {
    for (const c of [MUSL, RISCV]) {
      const r = await install({ ...c, env: WITH_NODE });
      expect(r.code, output(r)).toBe(0);
      expect(r.stdout).toContain(`installed ${NAME} ${version} (npm)`);
    }
  });
});

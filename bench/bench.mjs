// Start-up benchmark: median wall time of whole processes, compared with a bare start of the pinned
// Node 24 that the executables embed. Usage: node bench/bench.mjs (after node build/sea.mjs and,
// for the npm row, node build/bundle.mjs). BENCH_RUNS overrides the 30 timed runs per row.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { runtime } from "../build/node-runtime.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const WARMUP = 3;
const TIMEOUT_MS = 10_000;
const exe = join(root, "out/linux-x64/docker-credential-codespaces");
const dist = join(root, "dist/main.js");
const work = join(root, ".cache/bench");
const home = join(work, "home"); // empty: no ~/.aws or ~/.docker of the person running the bench
mkdirSync(home, { recursive: true });

const GH = "ghcr.io";
const ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
const KEY = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
const baseEnv = { PATH: "/usr/bin:/bin", HOME: home, AWS_EC2_METADATA_DISABLED: "true" };
const staticEnv = { ...baseEnv, GH_CONTAINER_REGISTRY_SERVER: GH, GH_CONTAINER_REGISTRY_USER: "u", GH_CONTAINER_REGISTRY_PASSWORD: "p" };

/** One run: resolves with its wall time in ms; rejects on a time-out or an unexpected exit code. `env` may depend on the run's number. */
let runNumber = 0;
async function once({ cmd, args, env, input, code = 0, before }) {
  await before?.();
  runNumber++;
  return new Promise((resolve, reject) => {
    if (typeof env === "function") env = env(runNumber);
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ["pipe", "pipe", "pipe"], timeout: TIMEOUT_MS, killSignal: "SIGKILL" });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (status, signal) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (status === code) resolve(ms);
      else reject(new Error(`${cmd} ${args.join(" ")}: exit ${status ?? signal}, expected ${code}\n${output}`));
    });
    child.stdin.end(input ?? "");
  });
}

// Rows take turns, one run each per round, so that a change in the machine's load (2 cores, shared)
// weighs on every row alike instead of on whichever row happened to run at that moment.
async function medians(rows) {
  for (let i = 0; i < WARMUP; i++) for (const row of rows) await once(row);
  const times = rows.map(() => []);
  for (let i = 0; i < RUNS; i++) for (const [r, row] of rows.entries()) times[r].push(await once(row));
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
}

/** A test support module, bundled so that plain Node can import it. */
async function support(name) {
  const outfile = join(work, `${name.replaceAll("/", "-")}.mjs`);
  await build({ entryPoints: [join(root, `test/support/${name}.ts`)], bundle: true, platform: "node", format: "esm", packages: "external", outfile, logLevel: "warning" });
  return import(outfile);
}

/** The fake ECR over plain HTTP, and over HTTPS with a certificate from a throwaway CA (given as the system bundle). */
async function startFakeEcrs() {
  const { startFakeEcr } = await support("fake-ecr");
  const { makeTestCa, issueServerCert } = await support("e2e/tls");
  const dir = join(work, "ca");
  mkdirSync(dir, { recursive: true });
  const ca = await makeTestCa(dir);
  const tls = await issueServerCert(ca, "fake-ecr", { ips: ["127.0.0.1"] });
  return { plain: await startFakeEcr({ keys: [KEY] }), tls: await startFakeEcr({ keys: [KEY], tls }), caPath: ca.certPath };
}

/** The agent serving `runtime`, if one runs: its pid from `agent status`. */
function agentPid(runtime) {
  const status = spawnSync(exe, ["agent", "status"], { env: { ...baseEnv, XDG_RUNTIME_DIR: runtime }, encoding: "utf8" }).stdout;
  const pid = /pid (\d+)/.exec(status)?.[1];
  return pid === undefined ? undefined : Number(pid);
}

/** Stops the agent serving `runtime` by its pid and waits (bounded) until it is gone. */
async function stopAgent(runtime) {
  const pid = agentPid(runtime);
  if (pid === undefined) return;
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 200; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`agent ${pid} did not stop`);
}

function onPath(name) {
  return spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).stdout.trim() || undefined;
}

const node24 = runtime("x64");
// Each agent row has its own runtime directory, so its own agent.
const runtimes = ["hit", "miss", "cold"].map((name) => join(work, `run-${name}`));
for (const dir of runtimes) mkdirSync(dir, { recursive: true, mode: 0o700 });
const fakes = await startFakeEcrs();
try {
  const ecrEnv = { ...baseEnv, AWS_ENDPOINT_URL_ECR: fakes.plain.url, ECR_CONTAINER_REGISTRY_SERVER: ECR, ECR_CONTAINER_REGISTRY_USER: KEY.accessKeyId, ECR_CONTAINER_REGISTRY_PASSWORD: KEY.secretAccessKey };
  const agentOff = { ...ecrEnv, DOCKER_CREDENTIAL_CODESPACES_AGENT: "off" };
  // What a real mint also pays: a TLS handshake and adding the system certificate store.
  const agentOffTls = { ...agentOff, AWS_ENDPOINT_URL_ECR: fakes.tls.url, SSL_CERT_FILE: fakes.caPath };
  const [hitRun, missRun, coldRun] = runtimes;
  const agentRows = (cmd, pre) => [
    { name: `${pre} get (ECR, agent hit)`, cmd: [...cmd, "get"], env: { ...ecrEnv, XDG_RUNTIME_DIR: hitRun }, input: ECR, target: 1.3 },
    // A fresh AWS_* setting per run makes every lookup a miss for the running agent.
    { name: `${pre} get (ECR, agent miss)`, cmd: [...cmd, "get"], env: (n) => ({ ...ecrEnv, XDG_RUNTIME_DIR: missRun, AWS_BENCH_RUN: String(n) }), input: ECR, target: 2.0 },
    { name: `${pre} get (ECR, no agent yet)`, cmd: [...cmd, "get"], env: { ...ecrEnv, XDG_RUNTIME_DIR: coldRun }, input: ECR, before: () => stopAgent(coldRun) },
    // Only where the system store is read (Node 20 would need NODE_EXTRA_CA_CERTS instead).
    { name: `${pre} get (ECR over HTTPS, agent off)`, cmd: [...cmd, "get"], env: agentOffTls, input: ECR },
  ];
  const cli = (cmd, pre) => [
    { name: `${pre} get (static)`, cmd: [...cmd, "get"], env: staticEnv, input: GH, target: 1.2 },
    { name: `${pre} get (not found)`, cmd: [...cmd, "get"], env: staticEnv, input: "nowhere.example", code: 1 },
    { name: `${pre} list`, cmd: [...cmd, "list"], env: staticEnv },
    { name: `${pre} get (ECR, agent off)`, cmd: [...cmd, "get"], env: agentOff, input: ECR, target: 2.0 },
  ];
  const rows = [{ name: "bare node 24 -e 0", cmd: [node24, "-e", "0"], env: baseEnv }];
  if (existsSync(exe)) rows.push(...cli([exe], "executable"), ...agentRows([exe], "executable"));
  else console.log(`(no ${exe}: run node build/sea.mjs)`);
  if (existsSync(dist)) {
    rows.push({ name: `bare system node ${process.version} -e 0`, cmd: [process.execPath, "-e", "0"], env: baseEnv });
    rows.push(...cli([process.execPath, dist], `node ${process.version} dist/main.js`));
  } else console.log(`(no ${dist}: run node build/bundle.mjs)`);
  const ecrLogin = onPath("docker-credential-ecr-login");
  if (ecrLogin) rows.push({ name: "docker-credential-ecr-login version", cmd: [ecrLogin, "version"], env: baseEnv });
  else console.log("(docker-credential-ecr-login not installed: apt-get install amazon-ecr-credential-helper)");

  console.log(`median of ${RUNS} runs after ${WARMUP} warm-up runs; ratio = median / bare node 24`);
  const ms = await medians(rows.map((row) => ({ cmd: row.cmd[0], args: row.cmd.slice(1), env: row.env, input: row.input, code: row.code, before: row.before })));
  for (const [r, row] of rows.entries()) {
    const ratio = ms[r] / ms[0];
    const verdict = row.target && row.cmd[0] === exe ? `  target ≤ ${row.target}×: ${ratio <= row.target ? "met" : "MISSED"}` : "";
    console.log(`${row.name.padEnd(48)} ${ms[r].toFixed(1).padStart(7)} ms  ${ratio.toFixed(2)}×${verdict}`);
  }
} finally {
  if (existsSync(exe)) for (const dir of runtimes) await stopAgent(dir);
  await fakes.plain.close();
  await fakes.tls.close();
}

import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { helperTargets, repoRoot, runHelper, type HelperTarget } from "../support/helper-process.js";
import { triple } from "../support/triple.js";

// `doctor --offline` through the real process: configuration and routing
// verdicts from real files, the PATH check, exit codes, and no secret in any
// output. The network checks are in test/e2e/doctor.test.ts.

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
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const shQuote = (w: string) => `'${w.replaceAll("'", `'\\''`)}'`;
/** Puts a `docker-credential-codespaces` on the test PATH that runs `target` (or any other script). */
const onPath = (script: string) => {
  writeFileSync(join(bin, "docker-credential-codespaces"), `#!/bin/sh\n${script}\n`);
  chmodSync(join(bin, "docker-credential-codespaces"), 0o755);
};
const wrapperOf = (target: HelperTarget) => `exec ${target.command.map(shQuote).join(" ")} "$@"`;
const writeDocker = (config: unknown) => writeFileSync(join(dir, ".docker", "config.json"), typeof config === "string" ? config : JSON.stringify(config));

describe.each(helperTargets())("doctor --offline via $name", (target) => {
  /** Both output modes; the exit codes agree with the JSON's ok, and no secret shows anywhere. */
  const doctor = async (env: Record<string, string>, secrets: readonly string[] = [PASSWORD, PLAINTEXT]) => {
    const base = { HOME: dir, PATH: `${bin}:${process.env["PATH"] ?? "/usr/bin:/bin"}`, XDG_CONFIG_HOME: join(dir, ".config"), ...env };
    const [json, lines] = await Promise.all([
      runHelper(target, ["doctor", "--offline", "--json"], { env: base }),
      runHelper(target, ["doctor", "--offline"], { env: base }),
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
  beforeEach(() => onPath(wrapperOf(target)));

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
    expect(lines).toContain(`note: docker runs ${join(bin, "docker-credential-codespaces")}, which reports this program's version\n`);
  });

  it("null maps read as empty, as docker (and configure) read them", async () => {
    writeDocker({ credHelpers: { "ghcr.io": "codespaces" }, auths: null, credsStore: null });
    const { report } = await doctor(ghcr);
    expect(report.problems).toEqual([]);
    expect(checkOf(report, "GH", "routing")).toEqual({ name: "routing", ok: true, message: `docker asks this helper: credHelpers["ghcr.io"] in ${join(dir, ".docker", "config.json")}` });
  });

  it("a FIFO or device at config.json is a problem said at once, never read", async () => {
    const path = join(dir, ".docker", "config.json");
    execFileSync("mkfifo", [path]);
    const fifo = await doctor(ghcr);
    expect(fifo.report.problems).toContain(`${path} is a FIFO, not a config file`);
    rmSync(path);
    symlinkSync("/dev/zero", path);
    expect((await doctor(ghcr)).report.problems).toContain(`${path} is a device, not a config file`);
  });

  it("the program on PATH: missing, or another program", async () => {
    writeDocker({ credHelpers: { "ghcr.io": "codespaces" } });
    rmSync(join(bin, "docker-credential-codespaces"));
    const missing = await doctor(ghcr);
    expect(missing.report.problems).toEqual(["docker-credential-codespaces is not on PATH, so docker cannot run it; put the directory holding it on PATH"]);
    expect(missing.report.ok).toBe(false);
    onPath('echo "docker-credential-codespaces (old) 0.0.1"');
    const other = await doctor(ghcr);
    expect(other.report.problems).toEqual([
      `docker runs ${join(bin, "docker-credential-codespaces")}, which is not this program (it says "docker-credential-codespaces (old) 0.0.1"); fix PATH or replace it`,
    ]);
    expect(other.lines).toContain("problem: docker runs");
  });

  it("nothing configured: nothing to check, exit 0", async () => {
    const { report, lines } = await doctor({});
    expect(report).toEqual({ ok: true, registries: [], problems: [] });
    expect(lines).toContain("nothing to check");
  });

  it("an unknown option is one line, exit 1", async () => {
    const r = await runHelper(target, ["doctor", "--verbose"], { env: { HOME: dir } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('doctor: unknown option "--verbose"; use --offline and/or --json\n');
  });
});

it("says 'docker runs this program' when PATH holds this very program (npm bin script)", async () => {
  symlinkSync(join(repoRoot, "bin", "docker-credential-codespaces.js"), join(bin, "docker-credential-codespaces"));
  writeDocker({ credHelpers: { "ghcr.io": "codespaces" } });
  const r = await runHelper({ name: "PATH", command: [join(bin, "docker-credential-codespaces")] }, ["doctor", "--offline"], {
    env: { ...ghcrEnv(), HOME: dir, PATH: `${bin}:${process.env["PATH"] ?? ""}` },
  });
  expect(r.stdout).toContain(`note: docker runs this program (${join(bin, "docker-credential-codespaces")})`);
  expect(r.code).toBe(0);
});

function ghcrEnv() {
  return triple("GH", "ghcr.io", "me", PASSWORD);
}

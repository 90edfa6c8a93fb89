import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { baseEnv, helperTargets, repoRoot, runHelper, type HelperTarget } from "../support/helper-process.js";
import { triple } from "../support/triple.js";

// Where the answer cannot be written, or the request cannot be read: each
// ends in one plain line and a non-zero exit, the same from both builds.
const env = triple("G", "ghcr.io", "user", "ghcr-secret-1");
const empty = mkdtempSync(`${tmpdir()}/edges-`);
afterAll(() => rmSync(empty, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the helper with stdout and stdin wired as given: "full" (/dev/full), "closed" (a pipe nobody reads), or a path. */
function runWired(target: HelperTarget, args: string[], wiring: { stdout?: "full" | "closed"; stdin?: string; input?: string }): Promise<Run> {
  const [file, ...prefix] = target.command as [string, ...string[]];
  const fds: number[] = [];
  const open = (path: string, flags: string) => {
    const fd = openSync(path, flags);
    fds.push(fd);
    return fd;
  };
  const child = spawn(file, [...prefix, ...args], {
    env: { ...baseEnv(), ...env },
    cwd: repoRoot,
    stdio: [wiring.stdin === undefined ? "pipe" : open(wiring.stdin, "r"), wiring.stdout === "full" ? open("/dev/full", "w") : "pipe", "pipe"],
  });
  for (const fd of fds) closeSync(fd);
  let stdout = "";
  let stderr = "";
  // A closed pipe: the read end goes before the helper has read its request, so its write gets EPIPE.
  if (wiring.stdout === "closed") child.stdout?.destroy();
  else child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdin?.on("error", () => {});
  child.stdin?.end(wiring.input ?? "");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`helper ${args.join(" ")} did not finish`));
    }, 15_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const NO_STACK = /\n\s+at |node:internal|Error:|throw /;

describe.each(helperTargets())("output and input edges via $name", (target) => {
  it.each([
    ["get", "ghcr.io", "full"],
    ["list", "", "full"],
    ["version", "", "full"],
    ["get", "ghcr.io", "closed"],
    ["list", "", "closed"],
  ] as const)("%s (stdin %j) with stdout %s fails with one line on stderr", async (verb, input, stdout) => {
    const r = await runWired(target, [verb], { stdout, input });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^docker-credential-codespaces: could not write to stdout \((ENOSPC|EPIPE)\); the client got no answer\n$/);
    expect(r.stderr).not.toMatch(NO_STACK);
    expect(r.stderr).not.toContain("ghcr-secret-1");
  });

  it("says that stdin is a directory", async () => {
    const r = await runWired(target, ["get"], { stdin: empty });
    const line = "cannot read the request: stdin is a directory; pipe the request into the helper\n";
    expect(r).toEqual({ code: 1, stdout: line, stderr: `docker-credential-codespaces: ${line}` });
  });

  it("puts an unknown action on stdout and stderr", async () => {
    const r = await runHelper(target, ["fetch"], { env });
    const line = "unknown action \"fetch\"; see --help\n";
    expect(r).toEqual({ code: 1, stdout: line, stderr: `docker-credential-codespaces: ${line}` });
  });

  it("fails store for an incomplete triple with the line get gives", async () => {
    const partial = { P_CONTAINER_REGISTRY_SERVER: "partial.test", P_CONTAINER_REGISTRY_USER: "u" };
    const get = await runHelper(target, ["get"], { stdin: "partial.test", env: partial });
    const store = await runHelper(target, ["store"], {
      stdin: JSON.stringify({ ServerURL: "https://partial.test/", Username: "u", Secret: "typed" }),
      env: partial,
    });
    expect(get.code).toBe(1);
    expect(get.stdout).toContain("P_CONTAINER_REGISTRY_PASSWORD is missing or empty");
    expect(store).toEqual(get);
  });

  it("reports a secret that was not valid UTF-8 in the environment, naming the variable, on get and store", async () => {
    // Node decodes the environment as UTF-8, so an invalid byte arrives as U+FFFD.
    const broken = triple("BAD", "bad.test", "u", "sec\ufffdret");
    const line =
      "bad.test is configured by BAD_CONTAINER_REGISTRY_* but BAD_CONTAINER_REGISTRY_PASSWORD is not valid UTF-8 " +
      "(it holds U+FFFD); set it again in your Codespaces secrets and restart the codespace\n";
    const get = await runHelper(target, ["get"], { stdin: "bad.test", env: broken });
    expect(get).toEqual({ code: 1, stdout: line, stderr: `docker-credential-codespaces: ${line}` });
    const store = await runHelper(target, ["store"], { stdin: JSON.stringify({ ServerURL: "bad.test", Username: "u", Secret: "x" }), env: broken });
    expect(store).toEqual(get);
  });

  it("keeps Unicode spaces of a secret, trimming only ASCII whitespace", async () => {
    const r = await runHelper(target, ["get"], { stdin: "nb.test", env: triple("NB", "nb.test\n", " u\t", "\u00a0pass\ufeff\r\n") });
    expect(JSON.parse(r.stdout)).toEqual({ ServerURL: "nb.test", Username: "u", Secret: "\u00a0pass\ufeff" });
  });
});

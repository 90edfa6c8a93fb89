import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readTraces } from "../support/e2e/trace.js";
import { repoRoot, runHelper } from "../support/helper-process.js";
import { triple } from "../support/triple.js";

// Start-up is a feature: every file of the npm bundle that a call opens is
// resolved, read, parsed and linked before the helper answers (about 0.6 ms
// each on Node 20). The static verbs are served by dist/main.js alone
// (build/bundle.mjs); everything lazily imported lives in other files. strace
// is installed by the test command (test/setup/install-deps.sh): without it
// these tests fail rather than skip.
const DIST = join(repoRoot, "dist");
const dir = mkdtempSync(join(tmpdir(), "static-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `node dist/main.js args` under strace; the dist/ files it opened, relative to dist/. */
async function distFilesOpened(args: string[], stdin: string, env: Record<string, string>) {
  const logs = mkdtempSync(join(dir, "run-"));
  const prefix = join(logs, "t");
  // io_uring off: with it, Node may open files in ways strace does not see.
  const command = ["strace", "-ff", "-qq", "-e", "signal=none", "-e", "trace=open,openat,openat2", "-o", prefix, "--", process.execPath, join(DIST, "main.js")];
  const result = await runHelper({ name: "traced", command }, args, { stdin, env: { ...env, UV_USE_IO_URING: "0" } });
  const files = readTraces(prefix)
    .opened.filter((p) => p.startsWith(`${DIST}/`) && existsSync(p))
    .map((p) => relative(DIST, p))
    .sort();
  return { ...result, files };
}

const ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const GH = { ...triple("GH", "ghcr.io", "gh-user", "gh-secret"), ...triple("ECR", ECR, "AKIAEXAMPLE", "aws-secret") };

describe("node dist/main.js: the static verbs open dist/main.js and no other file of the bundle", () => {
  it.each([
    ["get", ["get"], "ghcr.io", GH, 0],
    ["get, not found", ["get"], "quay.io", GH, 1],
    ["get, bad input", ["get"], "ftp://x", GH, 1],
    ["get, ECR token passed through (USER=AWS)", ["get"], ECR, triple("E", ECR, "AWS", "token"), 0],
    ["list", ["list"], "", GH, 0],
    ["store", ["store"], JSON.stringify({ ServerURL: "ghcr.io", Username: "x", Secret: "y" }), GH, 0],
    ["erase", ["erase"], "ghcr.io", GH, 0],
    ["version", ["version"], "", GH, 0],
    ["--version", ["--version"], "", GH, 0],
  ] as const)("%s", async (_, args, stdin, env, code) => {
    const r = await distFilesOpened([...args], stdin, env);
    expect(r.code, r.stdout).toBe(code);
    expect(r.files).toEqual(["main.js"]);
  });

  // Controls: the same trace sees the lazily imported files, so the check above can fail.
  it("control: help opens help.js besides", async () => {
    const r = await distFilesOpened(["--help"], "", GH);
    expect(r.code).toBe(0);
    expect(r.files).toContain("main.js");
    expect(r.files).toContain("help.js");
  });

  it("control: a mint opens the mint module and AWS SDK files", async () => {
    // No triple and no AWS identity anywhere (baseEnv): the default chain finds nothing, offline.
    const r = await distFilesOpened(["get"], ECR, {});
    expect(r.stdout).toMatch(/no AWS credentials found/);
    expect(r.files).toContain("ecr-mint.js");
    expect(r.files.filter((f) => readFileSync(join(DIST, f), "utf8").includes("GetAuthorizationToken")).length).toBeGreaterThan(0);
  });
});

// The lazy files carry copies of the small pure modules they share with
// main.js, but not src/errors.ts: one HelperError class, so `instanceof` in
// main.js recognises errors thrown in a lazy file (test/cli/ecr.test.ts sees
// it work: a mint's failure is its own message, not "internal error").
it("only dist/main.js defines the error classes; the lazy files import them from it", () => {
  const files = readdirSync(DIST).filter((f) => f.endsWith(".js"));
  const text = (f: string) => readFileSync(join(DIST, f), "utf8");
  expect(files.filter((f) => text(f).includes('"HelperError"'))).toEqual(["main.js"]);
  expect(files.filter((f) => /from"\.\/main\.js"/.test(text(f))).length).toBeGreaterThan(0);
});

import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { baseEnv, repoRoot } from "../support/helper-process.js";

// The README's examples run as written, with the helper on PATH as `npm link` would put it.
const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
const bin = mkdtempSync(join(tmpdir(), "readme-bin-"));
writeFileSync(
  join(bin, "docker-credential-codespaces"),
  `#!/bin/sh\nexec "${process.execPath}" "${join(repoRoot, "bin/docker-credential-codespaces.js")}" "$@"\n`,
);
chmodSync(join(bin, "docker-credential-codespaces"), 0o755);
afterAll(() => rmSync(bin, { recursive: true, force: true }));

const bash = (script: string) =>
  execFileSync("bash", ["-c", script], {
    env: { ...baseEnv(), PATH: `${bin}:${baseEnv()["PATH"]}` },
    encoding: "utf8",
    timeout: 15_000,
  });

describe("README", () => {
  it("install example prints what the README says", () => {
    const [, command, printed] = /npm ci && npm run build:js && npm link && (.+)\n```\n\nwhich prints `(.+)`/.exec(readme) ?? [];
    expect(command).toBeDefined();
    expect(bash(command!)).toBe(`${printed}\n`);
  });

  const sessions = [...readme.matchAll(/```console\n([\s\S]*?)```/g)].map((m) => m[1]!);
  // it.each over nothing registers no test at all: vanished examples must fail here instead.
  it("has console examples, each with at least one command", () => {
    expect(sessions.length).toBeGreaterThan(0);
    for (const session of sessions) expect(session).toMatch(/^\$ /m);
  });
  it.each(sessions.map((s, i) => [i, s]))("console example %i prints what it shows", (_, session) => {
    // Echo each `$ ` line before running it, so the shell's output must equal the block.
    const commands = session.split("\n").filter((l) => l.startsWith("$ "));
    expect(commands.length).toBeGreaterThan(0);
    const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
    const script = commands.map((l) => `printf '%s\\n' ${quote(l)}\n${l.slice(2)} 2>&1`).join("\n");
    expect(bash(script)).toBe(session);
  });
});

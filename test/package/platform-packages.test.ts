// What `npm run build` leaves in out/npm/: the npm package and one package per platform carrying the
// single executable, ready to publish, with SHA256SUMS the Feature pins. Fixed mtimes and modes
// make packing reproducible (two full builds giving the same sums is checked by hand: README).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../support/helper-process.js";

const NAME = "docker-credential-codespaces";
const out = join(repoRoot, "out", "npm");
const { version, license } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string; license: string };
const ARCHES = ["x64", "arm64"] as const;
const tgz = (arch?: string) => join(out, `${arch ? `${NAME}-linux-${arch}` : NAME}-${version}.tgz`);
const built = existsSync(join(out, "SHA256SUMS"));
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

if (!built) {
  const reason = "no out/npm/SHA256SUMS: run `npm run build` first";
  if (process.env["CI"]) it("has the npm tarballs built", () => expect.fail(reason));
  else it.skip(`skipped: ${reason}`, () => {});
}

describe.runIf(built)("npm tarballs in out/npm", () => {
  const scratch = mkdtempSync(join(tmpdir(), "dcc-npm-out-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("SHA256SUMS covers exactly the three tarballs with their real sums", () => {
    const files = [tgz(), ...ARCHES.map(tgz)].sort();
    const expected = files.map((f) => `${sha256(readFileSync(f))}  ${f.slice(out.length + 1)}`).join("\n");
    expect(readFileSync(join(out, "SHA256SUMS"), "utf8")).toBe(`${expected}\n`);
  });

  it("the Feature pins these sums for this version", () => {
    const pins = readFileSync(join(repoRoot, "feature", "src", NAME, "checksums.txt"), "utf8");
    for (const line of readFileSync(join(out, "SHA256SUMS"), "utf8").trim().split("\n")) expect(pins.split("\n")).toContain(line);
  });

  it.each(ARCHES)("linux-%s holds package.json, the executable, LICENSE and README with fixed mtimes", (arch) => {
    const listing = execFileSync("tar", ["--numeric-owner", "-tvzf", tgz(arch)], { encoding: "utf8", env: { TZ: "UTC", PATH: "/usr/bin:/bin" } })
      .trim()
      .split("\n")
      .map((l) => l.split(/\s+/))
      .map(([mode, , , date, time, path]) => ({ mode, date: `${date} ${time}`, path }));
    expect(listing.map((e) => e.path).sort()).toEqual(["package/LICENSE", "package/README.md", `package/bin/${NAME}`, "package/package.json"]);
    expect(listing.find((e) => e.path === `package/bin/${NAME}`)?.mode).toBe("-rwxr-xr-x");
    expect(new Set(listing.map((e) => e.date))).toEqual(new Set(["1985-10-26 08:15"]));

    execFileSync("tar", ["-xzf", tgz(arch), "-C", scratch]);
    const manifest = JSON.parse(readFileSync(join(scratch, "package", "package.json"), "utf8"));
    expect(manifest).toMatchObject({ name: `${NAME}-linux-${arch}`, version, license, os: ["linux"], cpu: [arch], bin: { [NAME]: `bin/${NAME}` } });
    expect(sha256(readFileSync(join(scratch, "package", "bin", NAME)))).toBe(sha256(readFileSync(join(repoRoot, "out", `linux-${arch}`, NAME))));
    rmSync(join(scratch, "package"), { recursive: true });
  });
});

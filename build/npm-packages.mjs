// Packs what an npm registry would serve, into out/npm/: the main package (the bundle, for any Node
// line in `engines`) and one package per platform carrying the single executable, plus SHA256SUMS over
// the tarballs. npm pack stores fixed mtimes and normalised modes, so the same inputs give the same
// bytes: the Feature pins these sums (feature/src/docker-credential-codespaces/checksums.txt, rewritten
// here for this version; other versions' lines are kept). Nothing is published.
// Usage: node build/npm-packages.mjs (after build/bundle.mjs and build/sea.mjs)
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const NAME = "docker-credential-codespaces";
const ARCHES = ["x64", "arm64"];
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "out", "npm");
const stage = join(root, ".cache", "npm-stage");
const pins = join(root, "feature", "src", NAME, "checksums.txt");
const { version, license } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/** `npm pack` of `dir` into out/npm; returns the tarball's file name. */
function pack(dir) {
  const json = execFileSync("npm", ["pack", dir, "--json", "--ignore-scripts", "--pack-destination", out], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return JSON.parse(json)[0].filename;
}

function platformPackage(arch) {
  const name = `${NAME}-linux-${arch}`;
  const dir = join(stage, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "bin"), { recursive: true });
  const exe = join(root, "out", `linux-${arch}`, NAME);
  if (!existsSync(exe)) throw new Error(`${exe} is missing: run node build/sea.mjs first`);
  copyFileSync(exe, join(dir, "bin", NAME));
  chmodSync(join(dir, "bin", NAME), 0o755);
  copyFileSync(join(root, "LICENSE"), join(dir, "LICENSE"));
  const manifest = { name, version, description: `${NAME} as a single executable for Linux ${arch} (glibc)`, license, os: ["linux"], cpu: [arch], bin: { [NAME]: `bin/${NAME}` } };
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(
    join(dir, "README.md"),
    `# ${name}\n\nThe \`${NAME}\` Docker credential helper as one executable for Linux ${arch} with glibc, Node embedded; no \`node\` needed.\nSee the \`${NAME}\` package for documentation.\n`,
  );
  return pack(dir);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const tarballs = [pack(root), ...ARCHES.map(platformPackage)].sort();
const sums = tarballs.map((file) => `${createHash("sha256").update(readFileSync(join(out, file))).digest("hex")}  ${file}`);
writeFileSync(join(out, "SHA256SUMS"), `${sums.join("\n")}\n`);

const kept = existsSync(pins) ? readFileSync(pins, "utf8").split("\n").filter((line) => line && !tarballs.includes(line.split(/\s+/)[1])) : [];
writeFileSync(pins, `${[...kept, ...sums].sort((a, b) => a.split(/\s+/)[1].localeCompare(b.split(/\s+/)[1])).join("\n")}\n`);
for (const line of sums) console.log(`out/npm/${line.split("  ")[1]}  ${line.split("  ")[0]}`);

// Pinned Node runtimes: official binaries republished on npm as node-linux-<arch>. The integrity is
// the registry's own (`npm view node-linux-<arch>@VERSION dist.integrity`); a tarball that differs is
// refused. The single executables embed SEA_NODE; the package test also runs on every other line
// `engines` claims (test/package).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const SEA_NODE = "24.21.0";
const INTEGRITY = {
  "24.21.0": {
    x64: "sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==",
    arm64: "sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g==",
  },
  "22.23.3": {
    x64: "sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==",
  },
};

const cache = join(dirname(fileURLToPath(import.meta.url)), "..", ".cache");

/** Path of the cached Node `version` binary for `arch`, fetched with `npm pack` (never installed) on first use. */
export function runtime(arch, version = SEA_NODE) {
  const dir = join(cache, `node-v${version}-linux-${arch}`);
  const bin = join(dir, "node");
  if (existsSync(bin)) return bin;
  const integrity = INTEGRITY[version]?.[arch];
  if (!integrity) throw new Error(`no pinned Node ${version} for ${arch}`);
  mkdirSync(cache, { recursive: true });
  const tmp = mkdtempSync(join(cache, "fetch-"));
  try {
    const spec = `node-linux-${arch}@${version}`;
    const packed = execFileSync("npm", ["pack", spec, "--json", "--pack-destination", tmp], { cwd: tmp, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const [{ filename, integrity: got }] = JSON.parse(packed);
    if (got !== integrity) throw new Error(`${spec}: integrity ${got} is not the pinned one`);
    execFileSync("tar", ["-xzf", join(tmp, filename), "-C", tmp, "package/bin/node"]);
    mkdirSync(dir, { recursive: true });
    renameSync(join(tmp, "package/bin/node"), bin);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return bin;
}

// `node build/node-runtime.mjs <arch> <version>` prints the binary's path (fetching it first).
if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(runtime(process.argv[2] ?? "x64", process.argv[3]));

/**
 * The dev container suites' base image, made offline: debootstrap a minimal
 * Debian from the machine's own apt mirror and `docker import` it. The rootfs
 * tarball is cached under .cache/feature-base/, keyed by a hash of the recipe,
 * so only the first run on a machine pays for debootstrap.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { removeDir, repoRoot, requireProgram } from "../e2e/env.js";
import { runOk } from "../e2e/process.js";

// curl and wget: install.sh must find a download client (tests remove them to see it fail).
// Left out of the image: the downloaded .debs, docs, man pages and locales (a third of the size).
const RECIPE = {
  suite: "bookworm",
  variant: "minbase",
  include: ["curl", "wget"],
  exclude: ["./var/cache/apt/archives/*.deb", "./usr/share/doc/*", "./usr/share/man/*", "./usr/share/locale/*"],
} as const;
const KEY = createHash("sha256").update(JSON.stringify(RECIPE)).digest("hex").slice(0, 16);
export const BASE_IMAGE = `dcc-feature-base:${KEY}`;

/** The Debian mirror apt uses here (deb822 or one-line sources), else Debian's own. */
function aptMirror(): string {
  for (const file of ["/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"]) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, "utf8");
    const uri = /^URIs:\s*(\S+\/debian)\s*$/m.exec(text)?.[1] ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\s+bookworm\b/m.exec(text)?.[1];
    if (uri !== undefined) return uri;
  }
  return "http://deb.debian.org/debian";
}

/** Path of the cached rootfs tarball, made on first use (needs root and debootstrap). */
export async function baseRootfsTar(): Promise<string> {
  const dir = join(repoRoot, ".cache", "feature-base");
  const tar = join(dir, `${RECIPE.suite}-${KEY}.tar`);
  if (existsSync(tar)) return tar;
  const debootstrap = requireProgram("debootstrap");
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(dir, "build-")); // same filesystem as the cache: the rename is atomic
  try {
    const rootfs = join(work, "rootfs");
    const args = [`--variant=${RECIPE.variant}`, `--include=${RECIPE.include.join(",")}`, RECIPE.suite, rootfs, aptMirror()];
    await runOk(debootstrap, args, { env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" }, timeoutMs: 600_000 });
    const excludes = RECIPE.exclude.map((pattern) => `--exclude=${pattern}`);
    await runOk("tar", ["--numeric-owner", ...excludes, "-C", rootfs, "-cf", join(work, "rootfs.tar"), "."], { timeoutMs: 300_000 });
    renameSync(join(work, "rootfs.tar"), tar);
  } finally {
    removeDir(work);
  }
  return tar;
}

/** Imports the base image into the daemon at `dockerHost`; returns its name. */
export async function importBaseImage(docker: string, dockerHost: string): Promise<string> {
  const tar = await baseRootfsTar();
  await runOk(docker, ["import", tar, BASE_IMAGE], { env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", DOCKER_HOST: dockerHost }, timeoutMs: 300_000 });
  return BASE_IMAGE;
}

// A digest of everything a build embeds (src/, build/, package.json): the single executable carries
// it, so a test can tell an executable built from other sources than the checkout's.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/** @param {string} root @returns {string} */
export function sourceHash(root) {
  const files = ["src", "build"].flatMap((dir) => listFiles(join(root, dir))).concat(join(root, "package.json")).sort();
  const hash = createHash("sha256");
  for (const file of files) hash.update(`${relative(root, file)}\0`).update(readFileSync(file)).update("\0");
  return hash.digest("hex").slice(0, 16);
}

/** The marker text the executable holds. @param {string} hash */
export const buildIdMarker = (hash) => `docker-credential-codespaces build-id:${hash}`;

/** @param {string} dir @returns {string[]} */
function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Builds dist/ so that every CLI test runs what `npm i -g` would install. */
export default function setup(): void {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  execFileSync(process.execPath, ["build/bundle.mjs"], { cwd: root, stdio: "inherit" });
}

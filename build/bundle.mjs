// Bundles src/ into dist/ for the npm package: one file for the static path,
// with the AWS SDK split into a chunk that is only read when an ECR get needs it.
import { build } from "esbuild";
import { readFile, rm } from "node:fs/promises";
import { builtinImportsAsRequire } from "./builtin-imports.mjs";
import { endpointRulesOnly } from "./endpoint-rules-only.mjs";
import { noEventStreams } from "./no-event-streams.mjs";

const root = new URL("..", import.meta.url);
const { version } = JSON.parse(await readFile(new URL("package.json", root), "utf8"));

await rm(new URL("dist", root), { recursive: true, force: true });
await build({
  absWorkingDir: root.pathname,
  entryPoints: { main: "src/main.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  // The SDK's ES module builds: smaller after tree-shaking, and their lazily
  // imported chunks keep named exports (CommonJS ones would only have a default).
  mainFields: ["module", "main"],
  target: "node20",
  minify: true,
  legalComments: "none",
  define: { PACKAGE_VERSION: JSON.stringify(version) },
  // Bundled CommonJS dependencies (the AWS SDK) call require(); give ESM chunks one.
  banner: { js: 'import{createRequire as __cr}from"node:module";const require=__cr(import.meta.url);' },
  plugins: [builtinImportsAsRequire, noEventStreams, endpointRulesOnly],
  logLevel: "warning",
});

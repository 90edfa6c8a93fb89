// Bundles src/ into dist/ for the npm package. The static path (get/list/store/erase/version) is
// dist/main.js alone: every module it needs is in that one file. Each module src/ loads with
// `await import()` (configure, doctor, help, the agent, the ECR mint with the AWS SDK) is built
// apart as dist/<path>.js, split into chunks among themselves, and read only when it is asked for.
// esbuild's splitting over one build would instead cut the static path into a dozen shared chunks
// (one per set of lazy modules that also use a piece of it), each a file to open on every call.
// Like the single executable (build/sea.mjs), the lazy side carries its own copies of the small
// pure modules it shares with main.js, except src/errors.ts: that it imports from main.js.
import { build } from "esbuild";
import { readFile, rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { builtinImportsAsRequire } from "./builtin-imports.mjs";
import { endpointRulesOnly } from "./endpoint-rules-only.mjs";
import { errorsFromMain } from "./errors-from-main.mjs";
import { noEventStreams } from "./no-event-streams.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const src = join(root, "src");
const dist = join(root, "dist");
const { version } = JSON.parse(await readFile(join(root, "package.json"), "utf8"));

const common = {
  absWorkingDir: root,
  bundle: true,
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
  logLevel: "warning",
};

/** src/agent/client.ts → "agent-client": the lazy module's file name in dist/. */
const lazyName = (path) => relative(src, path).replace(/\.ts$/, "").replaceAll("/", "-");

/** Main's `import("./x.js")` of a src module stays an import, of dist/<lazyName>.js; collects them into `lazy`. */
function lazyModules(lazy) {
  return {
    name: "lazy-modules",
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, async ({ path, kind, importer, resolveDir, pluginData }) => {
        if (kind !== "dynamic-import" || pluginData === lazy) return undefined;
        const resolved = await build.resolve(path, { kind, importer, resolveDir, pluginData: lazy });
        if (resolved.errors.length > 0 || !resolved.path.startsWith(`${src}/`)) return resolved;
        lazy.set(lazyName(resolved.path), resolved.path);
        return { path: `./${lazyName(resolved.path)}.js`, external: true };
      });
    },
  };
}

await rm(dist, { recursive: true, force: true });
const lazy = new Map();
await build({
  ...common,
  // main.js also exports the errors module, for the lazy side (errorsFromMain below).
  stdin: { contents: 'export * from "./src/errors.ts";\nimport "./src/main.ts";', resolveDir: root, sourcefile: "npm-main.ts", loader: "ts" },
  outfile: join(dist, "main.js"),
  plugins: [lazyModules(lazy), builtinImportsAsRequire],
});
// A lazy module importing another (the agent its client) gets that entry's file, not a copy.
await build({
  ...common,
  entryPoints: Object.fromEntries(lazy),
  outdir: dist,
  splitting: true,
  plugins: [errorsFromMain(root, "./main.js"), builtinImportsAsRequire, noEventStreams, endpointRulesOnly],
});

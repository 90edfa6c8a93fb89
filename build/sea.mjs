// Builds the single executables: out/linux-{x64,arm64}/docker-credential-codespaces and out/SHA256SUMS.
// Usage: node build/sea.mjs
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { builtinImportsAsRequire } from "./builtin-imports.mjs";
import { endpointRulesOnly } from "./endpoint-rules-only.mjs";
import { errorsFromMain } from "./errors-from-main.mjs";
import { noEventStreams } from "./no-event-streams.mjs";
import { runtime } from "./node-runtime.mjs";
import { buildIdMarker, sourceHash } from "./source-hash.mjs";

const require = createRequire(import.meta.url);

const TARGETS = [
  // V8 code cache is produced by the x64 runtime that generates the blob, so only x64 gets it.
  { arch: "x64", codeCache: true },
  { arch: "arm64", codeCache: false },
];
const NAME = "docker-credential-codespaces";
const FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";
const MINT_ASSET = "mint.js";
const MINT_CACHE_ASSET = "mint.cache";
// V8 code caches differ from run to run (background compilation, GC timing) unless V8 runs
// single-threaded with fixed seeds; the caches it writes so are still accepted by a normal run.
// Same bytes on every build, so the npm packages' SHA-256 can be pinned (build/npm-packages.mjs).
const PREDICTABLE = ["--predictable"];

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const work = join(root, ".cache", "sea");
const out = join(root, "out");

const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const common = { bundle: true, platform: "node", format: "cjs", target: "node24", minify: true, mainFields: ["module", "main"], legalComments: "none", define: { PACKAGE_VERSION: JSON.stringify(version) }, logLevel: "silent", write: false };

/** Runs a tool whose chatter (postject's ELF library warns about note names) matters only if it fails. */
function quiet(cmd, args, options = {}) {
  try {
    return execFileSync(cmd, args, { ...options, stdio: "pipe", encoding: "utf8" });
  } catch (error) {
    process.stderr.write(`${error.stdout ?? ""}${error.stderr ?? ""}`);
    throw error;
  }
}

/** esbuild output text; any warning (e.g. import.meta in CJS) fails the build. */
async function bundle(options) {
  const result = await esbuild.build({ ...common, ...options, plugins: [...(options.plugins ?? []), builtinImportsAsRequire] });
  if (result.warnings.length) {
    const text = await esbuild.formatMessages(result.warnings, { kind: "warning" });
    throw new Error(`esbuild warnings:\n${text.join("\n")}`);
  }
  const text = result.outputFiles[0].text;
  if (/\bimport\(/.test(text)) throw new Error(`${options.entryPoints}: a dynamic import() is left, which cannot run in the executable`);
  return text;
}

// In the executable `import("./ecr/mint.js")` becomes a module that evaluates the mint bundle kept as
// an asset, so the AWS code is neither parsed nor compiled unless an ECR login is asked for; the mint
// asset in turn reaches the AWS credential chain (needed only without keys in a triple) through a
// second asset. `require` here is the SEA's own (built-ins only). The mint asset gets the main
// bundle's errors module instead of a copy of its own, so `instanceof HelperError` holds across
// bundles. (Not zod: requiring its namespace would put all of zod into the main bundle.)
const ERRORS_MODULE = "codespaces:errors";
const SHARED = { [ERRORS_MODULE]: "./errors.ts" };
const CHAIN_ASSET = "chain.js";
const assetLoader = (asset, { cacheAsset, shareMain }) => `
const sea = require("node:sea");
const vm = require("node:vm");
const shared = ${shareMain ? `{ ${Object.entries(SHARED).map(([id, path]) => `${JSON.stringify(id)}: require(${JSON.stringify(path)})`).join(", ")} }` : "{}"};
let cachedData;
${cacheAsset ? `try { cachedData = Buffer.from(sea.getAsset(${JSON.stringify(cacheAsset)})); } catch {}` : ""}
const script = new vm.Script(sea.getAsset(${JSON.stringify(asset)}, "utf8"), { filename: ${JSON.stringify(asset)}, cachedData });
const mod = { exports: {} };
script.runInThisContext()(mod.exports, (id) => shared[id] ?? require(id), mod);
module.exports = mod.exports;
`;

/** An esbuild plugin turning imports matching `filter` into a loader of `asset`. */
const asAsset = (filter, asset, options = {}) => ({
  name: `${asset}-as-sea-asset`,
  setup(build) {
    build.onResolve({ filter }, () => ({ path: asset, namespace: "sea-asset" }));
    build.onLoad({ filter: /.*/, namespace: "sea-asset" }, () => ({ contents: assetLoader(asset, options), loader: "js", resolveDir: join(root, "src") }));
  },
});
const mintAsAsset = asAsset(/(^|\/)ecr\/mint\.js$/, MINT_ASSET, { cacheAsset: MINT_CACHE_ASSET, shareMain: true });
const chainAsAsset = asAsset(/^@aws-sdk\/credential-providers$/, CHAIN_ASSET);

/** A bundle as an asset: a CommonJS wrapper of our own, so it is a function taking (exports, require, module). */
const asAssetText = (code) => `(function(exports,require,module){${code}\n})`;

async function main() {
  rmSync(work, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true }); // never leave a stale executable beside a failed build
  mkdirSync(work, { recursive: true });
  const node = runtime("x64"); // generates every blob: it must run here
  for (const { arch } of TARGETS) runtime(arch);
  const cleanEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin" };

  const mainJs = join(work, "main.js");
  // The build id rides in a comment the blob keeps verbatim (test/support/helper-process.ts checks it).
  const mainCode = await bundle({ entryPoints: [join(root, "src/main.ts")], plugins: [mintAsAsset] });
  writeFileSync(mainJs, `/* ${buildIdMarker(sourceHash(root))} */\n${mainCode}`);
  const mintJs = join(work, MINT_ASSET);
  const mint = await bundle({ entryPoints: [join(root, "src/ecr/mint.ts")], plugins: [errorsFromMain(root, ERRORS_MODULE), chainAsAsset, noEventStreams, endpointRulesOnly] });
  writeFileSync(mintJs, asAssetText(mint));
  const chain = await bundle({ entryPoints: [require.resolve("@aws-sdk/credential-providers")], plugins: [noEventStreams] });
  writeFileSync(join(work, CHAIN_ASSET), asAssetText(chain));
  const mintCache = join(work, MINT_CACHE_ASSET);
  // The warm-up (build/sea-warmup.ts) mints once with the asset so the cache covers a real mint.
  const warmup = join(work, "warmup.cjs");
  writeFileSync(warmup, await bundle({ entryPoints: [join(root, "build/sea-warmup.ts")] }));
  execFileSync(node, [...PREDICTABLE, warmup, mintJs, mintCache, ...Object.keys(SHARED)], { cwd: work, env: { ...cleanEnv, HOME: work }, stdio: "inherit" });
  rmSync(warmup);

  mkdirSync(out, { recursive: true });
  const sums = [];
  for (const { arch, codeCache } of TARGETS) {
    // Paths relative to `work` (the cwd below): the main path is stored in the blob, so no build
    // directory leaks into the executable.
    const blob = `${arch}.blob`;
    const config = `${arch}.sea.json`;
    const assets = { [MINT_ASSET]: MINT_ASSET, [CHAIN_ASSET]: CHAIN_ASSET };
    if (codeCache) assets[MINT_CACHE_ASSET] = MINT_CACHE_ASSET;
    const seaConfig = {
      main: "main.js",
      output: blob,
      disableExperimentalSEAWarning: true,
      useSnapshot: false,
      useCodeCache: codeCache,
      execArgv: [],
      execArgvExtension: "none", // NODE_OPTIONS and --node-options are ignored by the executable
      assets,
    };
    writeFileSync(join(work, config), JSON.stringify(seaConfig, null, 2));
    quiet(node, [...PREDICTABLE, "--experimental-sea-config", config], { cwd: work, env: cleanEnv });

    const exe = join(out, `linux-${arch}`, NAME);
    mkdirSync(dirname(exe), { recursive: true });
    copyFileSync(runtime(arch), exe);
    chmodSync(exe, 0o755);
    quiet(process.execPath, [require.resolve("postject/dist/cli.js"), exe, "NODE_SEA_BLOB", join(work, blob), "--sentinel-fuse", FUSE]);
    const digest = createHash("sha256").update(readFileSync(exe)).digest("hex");
    sums.push(`${digest}  ${relative(out, exe)}`);
    console.log(`${relative(root, exe)}  ${digest}`);
  }
  writeFileSync(join(out, "SHA256SUMS"), `${sums.join("\n")}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();

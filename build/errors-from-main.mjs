import { join } from "node:path";

/**
 * A lazily loaded bundle's imports of our own src/errors.ts become imports of `specifier`, the main
 * bundle's copy: one HelperError class, so `instanceof` holds across the two bundles.
 * Only our own errors module: a dependency's errors.js (zod has one) must stay in the bundle, or
 * esbuild keeps every module that imports it whole (zod's locales: ~390 KB more to evaluate).
 */
export function errorsFromMain(root, specifier) {
  const src = join(root, "src");
  return {
    name: "errors-from-main",
    setup(build) {
      build.onResolve({ filter: /(^|\/)errors\.js$/ }, ({ importer }) => (importer.startsWith(src) ? { path: specifier, external: true } : undefined));
    },
  };
}

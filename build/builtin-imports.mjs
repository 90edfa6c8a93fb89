import { builtinModules } from "node:module";

// Dynamic imports of built-ins (the AWS SDK has a few) become require() calls: a SEA main script
// and a vm.Script asset cannot import() at all, and in an ESM bundle import("node:http") costs
// ~28 ms on Node 20 where require does not.
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
export const builtinImportsAsRequire = {
  name: "builtin-imports-as-require",
  setup(build) {
    build.onResolve({ filter: /^[a-z:_/]+$/ }, ({ path, kind }) =>
      kind === "dynamic-import" && builtins.has(path) ? { path, namespace: "builtin-require" } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "builtin-require" }, ({ path }) => ({ contents: `module.exports = require(${JSON.stringify(path)});`, loader: "js" }));
  },
};

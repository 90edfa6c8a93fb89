import { createRequire } from "node:module";
import { dirname, join } from "node:path";

// The ECR endpoint rules (src/ecr/api.ts) need four things from @smithy/core's endpoints barrel and
// one from @aws-sdk/core's client barrel. Both barrels also run code at their top level (middleware
// factories, config loaders), which a bundler must keep, and which load node:fs/promises, node:os and
// more on every mint. For the rule files only, the barrels are replaced by the modules they re-export
// from: the same files, so every module still exists once (the endpoint function registry included).
const require = createRequire(import.meta.url);
const smithy = join(dirname(require.resolve("@smithy/core/package.json")), "dist-es", "submodules");
const awsClient = join(dirname(require.resolve("@aws-sdk/core/package.json")), "dist-es", "submodules", "client");
const SHIMS = {
  "@smithy/core/endpoints": [
    // What the barrel re-exports from util-endpoints (the rule engine), and nothing of its middleware.
    ...Object.entries({
      BinaryDecisionDiagram: "bdd/BinaryDecisionDiagram.js",
      EndpointCache: "cache/EndpointCache.js",
      decideEndpoint: "decideEndpoint.js",
      isIpAddress: "lib/isIpAddress.js",
      customEndpointFunctions: "utils/customEndpointFunctions.js",
      resolveEndpoint: "resolveEndpoint.js",
      EndpointError: "types/index.js",
    }).map(([name, file]) => `export { ${name} } from ${JSON.stringify(join(smithy, "endpoints/util-endpoints", file))};`),
    `export { isValidHostLabel } from "@smithy/core/transport";`,
  ].join("\n"),
  "@aws-sdk/core/client": `export { awsEndpointFunctions } from ${JSON.stringify(join(awsClient, "util-endpoints/aws.js"))};`,
};
const RULE_FILES = /[/\\](?:client-ecr(?:-public)?[/\\]dist-es[/\\]endpoint|core[/\\]dist-es[/\\]submodules[/\\](?:client|endpoints)[/\\]util-endpoints)[/\\]/;

export const endpointRulesOnly = {
  name: "endpoint-rules-only",
  setup(build) {
    build.onResolve({ filter: /^@(?:smithy\/core\/endpoints|aws-sdk\/core\/client)$/ }, ({ path, importer }) =>
      RULE_FILES.test(importer) ? { path, namespace: "endpoint-rules-only" } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "endpoint-rules-only" }, ({ path }) => ({ contents: SHIMS[path], loader: "js", resolveDir: smithy }));
  },
};

// The SDK's HttpProtocol imports "@smithy/core/event-streams" lazily, for streaming operations;
// neither GetAuthorizationToken nor the credential chain's calls stream. Bundled, that one dynamic
// import makes esbuild wrap every @smithy/core module it reaches in a lazy initialiser, so none is
// tree-shaken and a mint evaluates whole barrels (fs/promises, os, zlib …). The stand-in fails
// loudly should a streaming operation ever be called.
export const noEventStreams = {
  name: "no-event-streams",
  setup(build) {
    build.onResolve({ filter: /^@smithy\/core\/event-streams$/ }, () => ({ path: "event-streams", namespace: "no-event-streams" }));
    build.onLoad({ filter: /.*/, namespace: "no-event-streams" }, () => ({
      contents: 'throw new Error("event streams are not bundled (build/no-event-streams.mjs)");',
      loader: "js",
    }));
  },
};

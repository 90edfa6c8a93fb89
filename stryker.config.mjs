// npm run test:mutation: Stryker over src/ with the in-process suites (vitest.mutation.config.ts).
// Incremental: only mutants whose code or covering tests changed since the last run
// (reports/stryker-incremental.json, local and not committed: every change to src/
// rewrites it, so branches would only conflict over it) are run again. Survivors that
// cannot be killed are listed, with why, in test/mutation/equivalent.md.
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts", related: false },
  plugins: ["@stryker-mutator/vitest-runner"],
  // main.ts is the process entry (fd I/O, process.exit) and agent/spawn.ts starts a detached
  // agent process: only the spawned suites in test/cli run them.
  mutate: ["src/**/*.ts", "!src/main.ts", "!src/agent/spawn.ts"],
  coverageAnalysis: "perTest",
  // A mutant evaluated at module load would rerun every test; the tables those
  // constants feed are asserted case by case in test/unit anyway.
  ignoreStatic: true,
  incremental: true,
  incrementalFile: "reports/stryker-incremental.json",
  reporters: ["clear-text", "progress", "html"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  thresholds: { high: 95, low: 90, break: 90 },
  concurrency: 2,
  timeoutMS: 10_000,
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};

// npm run test:mutation: Stryker over src/ with the in-process suites (vitest.mutation.config.ts).
// Incremental: only mutants whose code or covering tests changed since the recorded run are run
// again. The record, test/mutation/incremental.json, is committed: a whole run of src/ takes hours
// on a 2-core machine, a run after a change minutes. Runs over parts of src/ made apart (branches,
// one module group at a time with --mutate and --incrementalFile) are joined with
// test/mutation/merge-incremental.mjs; test/mutation/score.mjs prints the score per file.
// Survivors that cannot be killed are listed, with why, in test/mutation/equivalent.md.
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
  incrementalFile: "test/mutation/incremental.json",
  reporters: ["clear-text", "progress", "html"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  thresholds: { high: 95, low: 90, break: 90 },
  concurrency: 2,
  timeoutMS: 10_000,
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};

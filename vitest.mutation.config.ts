import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

// What Stryker runs for every mutant: the in-process suites only (no bundle
// build, no spawned helper), which cover every module of src/ but main.ts.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["test/unit/**/*.test.ts"],
    globalSetup: [],
    reporters: ["default"],
  },
});

import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The real-client suite: `vitest run --config test/e2e/vitest.config.ts`
// after `bash test/setup/install-deps.sh` (root). One dockerd and its
// registries per file; files run one at a time (2 cores, daemons are heavy).
export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["test/e2e/**/*.test.ts"],
    globalSetup: ["test/support/e2e/global-setup.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    pool: "forks",
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});

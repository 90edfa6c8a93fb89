import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The dev container Feature in real containers: `vitest run --config test/feature/vitest.config.ts`
// after `npm run build` (the tarballs in out/npm) and test/setup/install-deps.sh (root).
export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["test/feature/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 900_000,
    teardownTimeout: 60_000,
    pool: "forks",
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});

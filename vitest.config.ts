import { readFileSync } from "node:fs";
import { defineConfig } from "vitest/config";

const { version } = JSON.parse(readFileSync(new URL("package.json", import.meta.url), "utf8")) as { version: string };

export default defineConfig({
  define: { PACKAGE_VERSION: JSON.stringify(version) },
  test: {
    include: ["test/**/*.test.ts"],
    // The real-client and Feature suites have their own configs (daemons, one file at a time):
    // npm run test:e2e, npm run test:feature.
    exclude: ["test/e2e/**", "test/feature/**", "**/node_modules/**"],
    // The CLI suites run the bundled helper, so bundle once before any test.
    globalSetup: ["test/support/global-setup.ts"],
    // In-process runs start no agent process, keep the temp dir to themselves, and never see the
    // real home through the password database.
    setupFiles: ["test/support/in-process-agent.ts", "test/support/no-real-home.ts"],
    testTimeout: 20_000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});

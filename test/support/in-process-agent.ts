import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, vi } from "vitest";

// Every in-process suite: a `get` for an ECR host goes through the agent. In-process there is no
// helper program to start as the agent (process.argv[1] is vitest's worker), and the fallback socket
// folder is the real user's under the temp dir. So starting an agent does nothing here (the suites
// that need one serve it themselves), and the temp dir is a private one of this test file.
vi.mock("../../src/agent/spawn.js", () => ({ spawnAgent: () => {} }));

const ownTmp = mkdtempSync(join(tmpdir(), "unit-tmp-"));
const outerTmp = process.env["TMPDIR"];
process.env["TMPDIR"] = ownTmp;
afterAll(() => {
  if (outerTmp === undefined) delete process.env["TMPDIR"];
  else process.env["TMPDIR"] = outerTmp;
  rmSync(ownTmp, { recursive: true, force: true });
});

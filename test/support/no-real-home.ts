import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, vi } from "vitest";

// Every in-process suite: the password database names a private folder of this test file as the
// user's home, never the real one. configure reads HOME and DOCKER_CONFIG through one function, so a
// mutant of it drops both and falls back on the password database: with the real one, an in-process
// `configure` wrote the real ~/.docker/config.json during a Stryker run.
const home = vi.hoisted(() => ({ dir: "", says: undefined as undefined | (() => { homedir: string }) }));

vi.mock("node:os", async (original) => {
  const os = await original<typeof import("node:os")>();
  const userInfo = () => home.says?.() ?? { ...os.userInfo(), homedir: home.dir };
  return { ...os, userInfo, default: { ...os, userInfo } };
});

home.dir = mkdtempSync(join(tmpdir(), "unit-home-"));
afterEach(() => {
  home.says = undefined;
});
afterAll(() => rmSync(home.dir, { recursive: true, force: true }));

/** For this test only, the password database answers with `userInfo`. */
export function passwdSays(userInfo: () => { homedir: string }): void {
  home.says = userInfo;
}

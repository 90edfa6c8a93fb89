import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { runInProcess } from "../support/fake-io.js";
import { triple } from "../support/triple.js";

// Which host doctor checks for a registry. Docker Hub's API host cannot be
// reached from a test (loopback only), so the registry check and the
// insecure lookup are replaced here by recorders.

const seen = vi.hoisted(() => ({ checked: [] as string[], looked: [] as string[] }));
vi.mock("../../src/doctor/registry/check.js", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../../src/doctor/registry/check.js")>()),
  checkRegistry: async ({ host }: { host: string }) => {
    seen.checked.push(host);
    return { kind: "ok", message: `checked ${host}` };
  },
}));
vi.mock("../../src/doctor/registry/insecure.js", () => ({
  dockerTreatsAsInsecure: async (_key: string, host: string) => {
    seen.looked.push(host);
    return false;
  },
}));

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "doctor-hub-"));
  seen.checked.length = 0;
  seen.looked.length = 0;
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

it("Docker Hub is checked at registry-1.docker.io, where docker sends its API calls; another registry at its own host", async () => {
  const env = { HOME: home, PATH: "", ...triple("HUB", "https://index.docker.io/v1/", "me", "hub-Secret-Value-1"), ...triple("GH", "ghcr.io", "me", "gh-Secret-Value-1") };
  const r = await runInProcess(["doctor", "--json"], { env });
  expect(seen.checked.sort()).toEqual(["ghcr.io", "registry-1.docker.io"]);
  expect(seen.looked.sort()).toEqual(["ghcr.io", "registry-1.docker.io"]);
  expect(r.stdout).toContain('"message":"checked registry-1.docker.io"');
});

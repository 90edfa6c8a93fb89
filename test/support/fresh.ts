import { beforeEach, vi } from "vitest";

/**
 * The module `load` imports, loaded afresh before every test of the file. Its tables and patterns
 * are set when the module loads, and mutation testing counts a test as covering them only when the
 * test itself loads the module: loaded once at the top of the file, their mutants would never be
 * run against the tests that check them. Read members at test time (`m.fn()`), not at load time.
 */
export function freshEachTest<T extends object>(load: () => Promise<T>): T {
  let current: T | undefined;
  beforeEach(async () => {
    vi.resetModules();
    current = await load();
  });
  return new Proxy({} as T, {
    get: (_, key) => {
      if (current === undefined) throw new Error("freshEachTest: read a member inside a test, not while the file loads");
      return current[key as keyof T];
    },
  });
}

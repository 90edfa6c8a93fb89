import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ConfigEdit } from "../../src/config-edit.js";
import { HelperError } from "../../src/errors.js";

// The config file editor on files in a temp folder. Failures the suites cannot provoke for real
// (they run as root, so EACCES never happens) are injected through a seam on node:fs/promises:
// `fault` names one call, on one path, that fails with an errno code; every other call is real.
type Call = "lstat" | "realpath" | "readlink" | "stat" | "open" | "rename" | "handle.writeFile" | "handle.readFile" | "handle.stat" | "handle.chmod" | "handle.chown" | "handle.sync";
const seam = vi.hoisted(() => ({
  faults: [] as Array<{ call: string; path: string; code: string }>,
  opened: [] as string[],
  removed: [] as string[],
  statAs: new Map<string, string>(),
}));
vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs/promises")>();
  const fail = (call: string, path: unknown) => {
    // "*.tmp" stands for the temp file a write opens, whose name is random.
    const fault = seam.faults.find((f) => f.call === call && (f.path === String(path) || (f.path === "*.tmp" && String(path).endsWith(".tmp"))));
    // Code "none": an error without an errno code.
    if (fault) throw Object.assign(new Error(`${fault.code}: injected ${call} ${fault.path}`), fault.code === "none" ? {} : { code: fault.code });
  };
  const wrap =
    <A extends unknown[], R>(call: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      fail(call, args[0]);
      return fn(...args);
    };
  return {
    ...real,
    lstat: wrap("lstat", real.lstat),
    realpath: wrap("realpath", real.realpath),
    readlink: wrap("readlink", real.readlink),
    stat: wrap("stat", (path: string) => real.stat(seam.statAs.get(path) ?? path)),
    rename: wrap("rename", real.rename),
    rm: wrap("rm", async (path: string, options: Parameters<typeof real.rm>[1]) => {
      seam.removed.push(path);
      return real.rm(path, options);
    }),
    chown: wrap("chown", real.chown),
    open: wrap("open", async (path: string, ...rest: [never, never]) => {
      seam.opened.push(path);
      const handle = await real.open(path, ...rest);
      return new Proxy(handle, {
        get(target, name) {
          const value = Reflect.get(target, name, target);
          if (typeof value !== "function") return value;
          return (...args: unknown[]) => {
            fail(`handle.${String(name)}`, path);
            return value.apply(target, args);
          };
        },
      });
    }),
  };
});
const { planConfigEdit, writeConfigPlan } = await import("../../src/docker-config.js");

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "docker-config-unit-"));
  path = join(dir, "config.json");
  seam.faults = [];
  seam.opened = [];
  seam.removed = [];
  seam.statAs.clear();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const edit: ConfigEdit = { kind: "add", helpers: new Map([["r.example", "codespaces"]]), served: new Map() };
const expected = '{\n\t"credHelpers": {\n\t\t"r.example": "codespaces"\n\t}\n}\n';
const inject = (call: Call, at: string, code: string) => seam.faults.push({ call, path: at, code });
async function editFile(at = path): Promise<void> {
  await writeConfigPlan(await planConfigEdit(at, edit));
}
async function failure(at = path): Promise<string> {
  const error = await editFile(at).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HelperError);
  return (error as Error).message;
}
const listing = () => readdirSync(dir).sort();

describe("reading a config file", () => {
  it("names the path and the code when it cannot be looked up or read, and changes nothing", async () => {
    writeFileSync(path, "{}");
    for (const [call, code] of [
      ["lstat", "EACCES"],
      ["stat", "EIO"],
      ["open", "EACCES"],
      ["handle.stat", "EIO"],
      ["handle.readFile", "EISDIR"],
      ["handle.readFile", "none"],
    ] as Array<[Call, string]>) {
      seam.faults = [];
      inject(call, path, code);
      expect(await failure()).toBe(`cannot read ${path}: ${code === "none" ? "error" : code}; nothing was changed`);
    }
    expect(readFileSync(path, "utf8")).toBe("{}");
    expect(listing()).toEqual(["config.json"]);
  });

  it("names a symbolic link's target, or the code when the target cannot be looked up", async () => {
    const target = join(dir, "real.json");
    writeFileSync(target, "{}");
    symlinkSync(target, path);
    inject("realpath", path, "EACCES");
    expect(await failure()).toBe(`cannot read ${path}: EACCES; nothing was changed`);
    seam.faults = [];
    rmSync(target);
    inject("readlink", path, "EACCES");
    expect(await failure()).toBe(
      `${path} is a symbolic link to ?, which does not exist; point it at a file or remove it, then run again (nothing was changed)`,
    );
  });

  it("edits the target of a symbolic link, keeping the link", async () => {
    const target = join(dir, "real.json");
    writeFileSync(target, "{}");
    symlinkSync("real.json", path);
    await editFile();
    expect(JSON.parse(readFileSync(target, "utf8"))).toEqual({ credHelpers: { "r.example": "codespaces" } });
    expect(listing()).toEqual(["config.json", "real.json"]);
  });

  it("refuses a FIFO swapped in after the first look, without blocking on it", async () => {
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    writeFileSync(join(dir, "plain"), "{}");
    seam.statAs.set(fifo, join(dir, "plain"));
    expect(await failure(fifo)).toBe(`${fifo} is a FIFO, not a config file; move it away or point configure elsewhere (nothing was changed)`);
  });

  it("creates a file under a path with a missing folder, and says what is in the way of one that is a file", async () => {
    await editFile(join(dir, "new", "config.json"));
    expect(readFileSync(join(dir, "new", "config.json"), "utf8")).toBe(expected);
    writeFileSync(join(dir, "file"), "");
    const under = join(dir, "file", "docker", "config.json");
    expect(await failure(under)).toBe(`cannot write ${under}: ENOTDIR; it was not changed`);
  });
});

describe("writing a config file", () => {
  it("writes a hidden temp file beside the file and renames it over, leaving no temp file", async () => {
    writeFileSync(path, "{}");
    await editFile();
    expect(seam.opened.slice(-1)[0]).toMatch(new RegExp(`^${dir}/\\.config\\.json\\.${process.pid}\\.[0-9a-f]{8}\\.tmp$`));
    expect(listing()).toEqual(["config.json"]);
    expect(seam.removed).toEqual([]);
  });

  it("removes its temp file and leaves the file as it was when the write or the rename fails", async () => {
    writeFileSync(path, "{}");
    for (const [call, code] of [
      ["open", "EMFILE"],
      ["handle.chmod", "EPERM"],
      ["handle.stat", "EIO"],
      ["handle.writeFile", "ENOSPC"],
      ["handle.sync", "EIO"],
      ["rename", "EXDEV"],
    ] as Array<[Call, string]>) {
      seam.faults = [];
      seam.removed = [];
      seam.opened = [];
      inject(call, "*.tmp", code);
      expect(await failure()).toBe(`cannot write ${path}: ${code}; it was not changed`);
      // A temp file that was never created is not removed: it could be another writer's.
      expect(seam.removed).toEqual(call === "open" ? [] : seam.opened.filter((p) => p.endsWith(".tmp")));
      expect(readFileSync(path, "utf8")).toBe("{}");
      expect(listing()).toEqual(["config.json"]);
    }
  });

  it("gives a new file 0600 and keeps an existing file's mode", async () => {
    await editFile();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    writeFileSync(path, "{}");
    chmodSync(path, 0o640);
    await editFile();
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });
});

describe.runIf(process.geteuid?.() === 0)("writing a config file as root", () => {
  const owner = (at: string) => {
    const s = statSync(at);
    return [s.uid, s.gid];
  };

  it("gives a new file, and each folder it creates, the owner and group of the nearest existing folder", async () => {
    for (const [uid, gid] of [
      [4321, 8765],
      [0, 8765],
      [4321, 0],
    ] as const) {
      const home = join(dir, `home-${uid}-${gid}`);
      mkdirSync(home);
      chownSync(home, uid, gid);
      await editFile(join(home, "config.json"));
      expect(owner(join(home, "config.json"))).toEqual([uid, gid]);
      await editFile(join(home, "a", "b", "config.json"));
      expect([join(home, "a"), join(home, "a", "b"), join(home, "a", "b", "config.json")].map(owner)).toEqual([
        [uid, gid],
        [uid, gid],
        [uid, gid],
      ]);
    }
  });

  it("keeps an existing file's owner and group, whoever owns the folder", async () => {
    writeFileSync(path, "{}");
    chownSync(path, 4321, 8765);
    await editFile();
    expect(owner(path)).toEqual([4321, 8765]);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ credHelpers: { "r.example": "codespaces" } });
  });

  it("fails, leaving no temp file, when the owner cannot be set", async () => {
    writeFileSync(path, "{}");
    chownSync(path, 4321, 8765);
    inject("handle.chown", "*.tmp", "EPERM");
    expect(await failure()).toBe(`cannot write ${path}: EPERM; it was not changed`);
    expect(listing()).toEqual(["config.json"]);
    expect(owner(path)).toEqual([4321, 8765]);
  });

  it("run by another user, creates files as that user's: it changes no owner", async () => {
    const home = join(dir, "home");
    mkdirSync(home);
    chownSync(home, 4321, 8765);
    const geteuid = vi.spyOn(process, "geteuid").mockReturnValue(1000);
    try {
      await editFile(join(home, "a", "config.json"));
    } finally {
      geteuid.mockRestore();
    }
    // This process really is root: what it created without a chown is root's.
    expect([join(home, "a"), join(home, "a", "config.json")].map(owner)).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });
});


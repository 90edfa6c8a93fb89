import { isUtf8 } from "node:buffer";
import { randomBytes } from "node:crypto";
import { constants, type Stats } from "node:fs";
import { chown, lstat, mkdir, open, readlink, realpath, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { editConfigText, type ConfigEdit } from "./config-edit.js";
import { HelperError } from "./errors.js";
import { irregularKind } from "./file-kind.js";

export type { ConfigEdit } from "./config-edit.js";

/**
 * Read-modify-write of a docker config.json or containers auth.json: the
 * helper's only file writes, and only of configuration, never of a secret.
 */

/** An edit worked out and checked, not yet written. */
export interface ConfigPlan {
  /** The path as the user named it. */
  readonly path: string;
  readonly changes: readonly string[];
  readonly notes: readonly string[];
  /** The file written: `path`, or the target of its symlink. */
  readonly target: string;
  readonly text: string;
  readonly stats: Stats | undefined;
}

/** Reads the file at `path` (none is fine), refusing anything that is not a config file, and works out `edit`. */
export async function planConfigEdit(path: string, edit: ConfigEdit): Promise<ConfigPlan> {
  const target = await followLink(path);
  const existing = await readRegularFile(target);
  const { text, changes, notes } = editConfigText(path, existing?.text ?? "", edit);
  return { path, changes, notes, target, text, stats: existing?.stats };
}

/** Writes a plan's text, atomically; a plan without changes writes nothing. */
export async function writeConfigPlan(plan: ConfigPlan): Promise<void> {
  if (plan.changes.length > 0) await writeAtomically(plan.target, plan.text, plan.stats);
}

const code = (error: unknown) => (error as NodeJS.ErrnoException).code ?? "error";
// Nothing there: the path or a folder on it is missing, or a folder on it is a file (the write then says which).
const absent = (error: unknown) => code(error) === "ENOENT" || code(error) === "ENOTDIR";

/** The file a config path names: itself, or the target of its symlink, which must exist (never replace a link by a file). */
async function followLink(path: string): Promise<string> {
  try {
    if (!(await lstat(path)).isSymbolicLink()) return path;
    return await realpath(path);
  } catch (error) {
    if (absent(error) && !(await isLink(path))) return path;
    if (code(error) === "ENOENT" || code(error) === "ELOOP") {
      const to = await readlink(path).catch(() => "?");
      throw new HelperError(
        `${path} is a symbolic link to ${to}, which ${code(error) === "ELOOP" ? "loops" : "does not exist"}; ` +
          "point it at a file or remove it, then run again (nothing was changed)",
      );
    }
    throw new HelperError(`cannot read ${path}: ${code(error)}; nothing was changed`);
  }
}

const isLink = (path: string) => lstat(path).then((s) => s.isSymbolicLink(), () => false);

/**
 * The text and status of a regular file, or undefined if there is none. A
 * FIFO, socket, device or folder is refused before it is opened, and the open
 * does not block if one was swapped in since.
 */
async function readRegularFile(path: string): Promise<{ text: string; stats: Stats } | undefined> {
  try {
    refuseIrregular(path, await stat(path));
  } catch (error) {
    if (error instanceof HelperError) throw error;
    if (absent(error)) return undefined;
    throw new HelperError(`cannot read ${path}: ${code(error)}; nothing was changed`);
  }
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    const stats = await handle.stat();
    refuseIrregular(path, stats);
    const bytes = await handle.readFile();
    // Decoding would turn a stray byte into U+FFFD, and the write would then change bytes this never meant to touch.
    if (!isUtf8(bytes)) throw new HelperError(`${path} is not UTF-8 text; fix or move it and run again (nothing was changed)`);
    return { text: bytes.toString("utf8"), stats };
  } catch (error) {
    if (error instanceof HelperError) throw error;
    throw new HelperError(`cannot read ${path}: ${code(error)}; nothing was changed`);
  } finally {
    await handle?.close();
  }
}

function refuseIrregular(path: string, stats: Stats): void {
  const kind = irregularKind(stats);
  if (kind === undefined) return;
  throw new HelperError(`${path} is ${kind}, not a config file; move it away or point configure elsewhere (nothing was changed)`);
}

/**
 * Temp file + rename in the same folder, so a reader sees the old file or the
 * new one, never half of one. The temp file is created with the final mode
 * (never wider, whatever the umask), then set to it exactly, and given the old
 * file's owner and group, so that root editing a user's file leaves it theirs;
 * a file (and folders) root creates get the owner of the folder they land in.
 */
async function writeAtomically(path: string, text: string, old: Stats | undefined): Promise<void> {
  const mode = old === undefined ? 0o600 : old.mode & 0o777;
  const dir = resolve(dirname(path));
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let handle;
  let created = false;
  try {
    const owner = old ?? (await inheritedOwner(dir));
    const made = await mkdir(dir, { recursive: true, mode: 0o700 });
    // Stryker disable all: mutants of this loop, run as root by the suites, would chown every folder up to / to a test uid.
    if (owner !== undefined && made !== undefined) {
      for (let d = dir; ; d = dirname(d)) {
        await chown(d, owner.uid, owner.gid);
        if (d === made || dirname(d) === d) break;
      }
    }
    // Stryker restore all
    handle = await open(temp, "wx", mode);
    created = true;
    await handle.chmod(mode);
    const mine = await handle.stat();
    if (owner !== undefined && (mine.uid !== owner.uid || mine.gid !== owner.gid)) await handle.chown(owner.uid, owner.gid);
    await handle.writeFile(text);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => {});
    if (created) await rm(temp, { force: true }).catch(() => {});
    throw new HelperError(`cannot write ${path}: ${code(error)}; it was not changed`);
  }
}

/** For root only: the owner of the nearest existing folder at or above `dir`, which a new file should belong to. */
async function inheritedOwner(dir: string): Promise<Stats | undefined> {
  if (process.geteuid?.() !== 0) return undefined;
  for (let d = dir; ; d = dirname(d)) {
    const found = await stat(d).catch(() => undefined);
    if (found !== undefined || dirname(d) === d) return found;
  }
}

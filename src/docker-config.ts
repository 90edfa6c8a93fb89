import { chmod, lstat, mkdir, readFile, realpath, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import * as z from "zod/mini";
import { HelperError } from "./errors.js";
import { normaliseServer } from "./server-url.js";

/**
 * Read-modify-write of a docker config.json or containers auth.json: the
 * helper's only file writes, and only of configuration, never of a secret.
 */

// Every key the file has is kept; only the two maps we edit are checked.
const configFile = z.looseObject({
  credHelpers: z.optional(z.record(z.string(), z.string())),
  auths: z.optional(z.record(z.string(), z.unknown())),
});
type ConfigFile = z.infer<typeof configFile>;

export interface ConfigEdit {
  /** credHelpers name → helper suffix to set. */
  readonly helpers: ReadonlyMap<string, string>;
  /** Normalised registry keys whose plaintext `auths` entries are to go. */
  readonly served: ReadonlySet<string>;
}

export interface ConfigChange {
  readonly path: string;
  readonly changes: readonly string[];
}

/** Applies `edit` to the file at `path` (created if missing) and says what changed; writes only if something did. */
export async function editConfigFile(path: string, edit: ConfigEdit, dryRun: boolean): Promise<ConfigChange> {
  const target = await followLink(path);
  const before = await readConfig(target);
  const config: ConfigFile = { ...before };
  const changes: string[] = [];

  const helpers = { ...config.credHelpers };
  for (const [name, helper] of edit.helpers) {
    if (helpers[name] === helper) continue;
    helpers[name] = helper;
    changes.push(`credHelpers["${name}"] = "${helper}"`);
  }
  if (Object.keys(helpers).length > 0) config.credHelpers = helpers;

  if (config.auths !== undefined) {
    const auths = { ...config.auths };
    for (const name of Object.keys(auths)) {
      if (!edit.served.has(keyOrUndefined(name))) continue;
      delete auths[name];
      changes.push(`removed the plaintext auths entry for "${name}" (its secret sat on disk)`);
    }
    config.auths = auths;
  }

  if (changes.length > 0 && !dryRun) await writeAtomically(target, `${JSON.stringify(config, null, "\t")}\n`);
  return { path, changes };
}

function keyOrUndefined(name: string): string {
  try {
    return normaliseServer(name);
  } catch {
    return "";
  }
}

async function followLink(path: string): Promise<string> {
  try {
    return (await lstat(path)).isSymbolicLink() ? await realpath(path) : path;
  } catch {
    return path;
  }
}

async function readConfig(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new HelperError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? "error"}; nothing was changed`);
  }
  if (text.trim() === "") return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HelperError(`${path} is not valid JSON; fix or move it and run again (nothing was changed)`);
  }
  const parsed = configFile.safeParse(json);
  if (!parsed.success) {
    throw new HelperError(
      `${path} is not a config file this helper understands (credHelpers must map names to strings, ` +
        "auths must be an object); fix it and run again (nothing was changed)",
    );
  }
  return parsed.data;
}

/** Temp file + rename in the same folder, keeping the old file's mode (0600 for a new one). */
async function writeAtomically(path: string, text: string): Promise<void> {
  const mode = await stat(path).then(
    (s) => s.mode & 0o777,
    () => 0o600,
  );
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temp, text, { mode, flag: "wx" });
    await chmod(temp, mode);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new HelperError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? "error"}; nothing was changed`);
  }
}

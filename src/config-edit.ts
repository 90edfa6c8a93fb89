import { applyEdits, findNodeAtLocation, format, modify, parseTree, type Edit, type FormattingOptions, type Node } from "jsonc-parser";
import * as z from "zod/mini";
import type { Credentials } from "./credentials.js";
import { authEntry, helperMap, nullableMap } from "./docker-config-shape.js";
import { HelperError } from "./errors.js";
import { normaliseServer } from "./server-url.js";

/**
 * The edit `configure` makes to the text of a docker config.json or a
 * containers auth.json. A pure function of the text: the JSON is edited in
 * place (jsonc-parser), so everything it does not name survives byte for
 * byte: key order, indentation, numbers no JavaScript number can hold,
 * `__proto__` keys, the final newline.
 */

export type ConfigEdit =
  | {
      readonly kind: "add";
      /** credHelpers name → helper suffix to set. */
      readonly helpers: ReadonlyMap<string, string>;
      /** Registry key → the environment's credentials: plaintext `auths` entries holding exactly these go. */
      readonly served: ReadonlyMap<string, Credentials>;
    }
  | {
      readonly kind: "remove";
      /** Every credHelpers entry whose value is this helper suffix goes. */
      readonly helper: string;
    };

export interface EditResult {
  readonly text: string;
  /** What changed, one line each (never a secret). */
  readonly changes: readonly string[];
  /** What was deliberately left that the user may want to know of. */
  readonly notes: readonly string[];
}

// Only the two maps this edit reads are checked; every other key is the file's own business.
const configShape = z.looseObject({
  credHelpers: helperMap,
  auths: nullableMap(z.unknown()),
});

// A path docker login itself may store after a registry host (the Hub's "https://index.docker.io/v1/").
const API_PATH = /^\/(?:v[12]\/?)?$/;

/** Applies `edit` to the config text read from `path` (named in messages only). */
export function editConfigText(path: string, text: string, edit: ConfigEdit): EditResult {
  const root = parse(path, text);
  // A blank file is written afresh, and left as it was when nothing changes.
  const blank = text.trim() === "";
  const state: Draft = { text: blank ? "" : text, style: styleOf(text, root), changes: [], notes: [] };
  if (edit.kind === "add") addHelpers(state, text, root, edit);
  else removeHelpers(state, root, edit.helper);
  // A file this creates ends like one docker writes.
  if (blank) state.text = state.changes.length > 0 ? `${state.text}\n` : text;
  return { text: state.text, changes: state.changes, notes: state.notes };
}

interface Draft {
  text: string;
  readonly style: FormattingOptions;
  readonly changes: string[];
  readonly notes: string[];
}

/**
 * Sets (or, with undefined, removes) the value at `path`. jsonc-parser gives
 * the exact range to insert or cut; an insertion into a multi-line object is
 * then laid out in the file's style, formatting only the inserted text (its
 * own formatter would re-indent whole lines around it).
 */
function set(state: Draft, path: string[], value: unknown): void {
  const tree = parseTree(state.text);
  const parent = tree === undefined ? undefined : findNodeAtLocation(tree, path.slice(0, -1));
  const [edit] = value === undefined ? cut(parent, path.at(-1)) : modify(state.text, path, value, {});
  if (edit === undefined) return;
  const multiline = parent === undefined || state.text.slice(parent.offset, parent.offset + parent.length).includes("\n");
  let content = edit.content;
  if (content !== "" && multiline) {
    const inserted = applyEdits(state.text, [edit]);
    const range = { offset: edit.offset, length: content.length };
    // format() with a range returns only edits that overlap it, and an inserted value
    // starts and ends at a token, so none of them reaches the text around it.
    const formatted = applyEdits(inserted, format(inserted, range, { ...state.style, keepLines: false }));
    content = formatted.slice(edit.offset, edit.offset + content.length + formatted.length - inserted.length);
  }
  state.text = state.text.slice(0, edit.offset) + content + state.text.slice(edit.offset + edit.length);
}

/**
 * The edit that removes property `name` of `parent`: with the comma before it,
 * or for the first of several, with the comma and space after it, so the next
 * one takes its place on its line (jsonc-parser would pull it onto the brace's).
 */
function cut(parent: Node | undefined, name: string | undefined): Edit[] {
  const properties = parent?.children ?? [];
  const index = properties.findIndex((p) => p.children?.[0]?.value === name);
  const property = properties[index];
  if (parent === undefined || property === undefined) return [];
  const end = property.offset + property.length;
  const previous = properties[index - 1];
  const next = properties[index + 1];
  if (previous !== undefined) return [{ offset: previous.offset + previous.length, length: end - previous.offset - previous.length, content: "" }];
  if (next !== undefined) return [{ offset: property.offset, length: next.offset - property.offset, content: "" }];
  return [{ offset: parent.offset + 1, length: end - parent.offset - 1, content: "" }];
}

function addHelpers(state: Draft, text: string, root: Node | undefined, edit: Extract<ConfigEdit, { kind: "add" }>): void {
  const existing = propertiesOf(root, "credHelpers");
  const added: [string, string][] = [];
  for (const [name, helper] of edit.helpers) {
    const before: unknown = existing?.get(name)?.value;
    if (before === helper) continue;
    added.push([name, helper]);
    const was = before === undefined ? "" : ` (was ${JSON.stringify(before)})`;
    state.changes.push(`credHelpers[${JSON.stringify(name)}] = ${JSON.stringify(helper)}${was}`);
  }
  if (existing === undefined && added.length > 0) {
    // fromEntries defines keys, so a "__proto__" name stays a key rather than setting a prototype.
    set(state, ["credHelpers"], Object.fromEntries(added));
  } else {
    for (const [name, helper] of added) set(state, ["credHelpers", name], helper);
  }

  for (const [name, node] of propertiesOf(root, "auths") ?? []) {
    const registry = registryOf(name);
    const credentials = registry === undefined ? undefined : edit.served.get(registry.key);
    if (registry === undefined || credentials === undefined) continue;
    const quoted = JSON.stringify(name);
    if (!registry.exact) {
      state.notes.push(
        `kept the plaintext auths entry for ${quoted}: it is for a repository path, not the registry itself; remove it by hand if it is not needed`,
      );
    } else if (!holdsOnly(valueOf(text, node), credentials)) {
      state.notes.push(
        `kept the plaintext auths entry for ${quoted}: it holds credentials other than the environment's; remove it by hand if it is not needed`,
      );
    } else {
      set(state, ["auths", name], undefined);
      state.changes.push(`removed the plaintext auths entry for ${quoted} (the environment's secret sat on disk)`);
    }
  }
}

function removeHelpers(state: Draft, root: Node | undefined, helper: string): void {
  const existing = propertiesOf(root, "credHelpers");
  if (existing === undefined) return;
  const ours = [...existing].filter(([, node]) => node.value === helper).map(([name]) => name);
  for (const name of ours) state.changes.push(`removed credHelpers[${JSON.stringify(name)}] (it named ${JSON.stringify(helper)})`);
  // An emptied map goes too: configure created it when there was none, and an empty one means nothing to docker.
  if (ours.length > 0 && ours.length === existing.size) set(state, ["credHelpers"], undefined);
  else for (const name of ours) set(state, ["credHelpers", name], undefined);
}

/** The registry an `auths` name is for, and whether it names the registry itself rather than a repository path in it. */
function registryOf(name: string): { key: string; exact: boolean } | undefined {
  let key: string;
  try {
    key = normaliseServer(name);
  } catch {
    return undefined;
  }
  const rest = name.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  const slash = rest.indexOf("/");
  return { key, exact: slash < 0 || API_PATH.test(rest.slice(slash)) };
}

/** True when the entry holds credentials, and every credential in it is the environment's own. */
function holdsOnly(value: unknown, mine: Credentials): boolean {
  const entry = authEntry.safeParse(value);
  if (!entry.success) return false;
  const { auth, username, password, identitytoken, registrytoken } = entry.data;
  if (identitytoken || registrytoken) return false;
  if (auth === undefined && (username === undefined || password === undefined)) return false;
  if (auth !== undefined && Buffer.from(auth, "base64").toString("utf8") !== `${mine.username}:${mine.secret}`) return false;
  return (username === undefined || username === mine.username) && (password === undefined || password === mine.secret);
}

/** A node's value as docker sees it: JSON.parse of its own text (a "__proto__" key stays an own key). */
function valueOf(text: string, node: Node): unknown {
  return JSON.parse(text.slice(node.offset, node.offset + node.length));
}

function parse(path: string, text: string): Node | undefined {
  if (text.trim() === "") return undefined;
  let json: unknown;
  try {
    // Docker reads strict JSON: no comments or trailing commas, which jsonc-parser would forgive.
    json = JSON.parse(text);
  } catch {
    throw new HelperError(`${path} is not valid JSON; fix or move it and run again (nothing was changed)`);
  }
  if (!configShape.safeParse(json).success) {
    throw new HelperError(
      `${path} is not a config file this helper understands (credHelpers must map names to strings, ` +
        "auths must be an object); fix it and run again (nothing was changed)",
    );
  }
  const root = parseTree(text);
  for (const where of [undefined, "credHelpers", "auths"] as const) {
    const names = (where === undefined ? root : objectAt(root, where))?.children?.map((p) => String(p.children?.[0]?.value));
    const seen = new Set<string>();
    // A set, not indexOf: a config with tens of thousands of auths entries must not take minutes.
    const twice = names?.find((name) => seen.has(name) || !seen.add(name));
    if (twice !== undefined) {
      // Docker keeps the last of two equal keys; an in-place edit would change the first.
      throw new HelperError(
        `${path} has the key ${JSON.stringify(twice)} twice${where === undefined ? "" : ` in ${where}`}; keep one and run again (nothing was changed)`,
      );
    }
  }
  return root;
}

function objectAt(root: Node | undefined, key: string): Node | undefined {
  const property = root?.children?.find((p) => p.children?.[0]?.value === key);
  const value = property?.children?.[1];
  return value?.type === "object" ? value : undefined;
}

/** name → value node of the object at `key` (shape already checked), or undefined when the key is absent. */
function propertiesOf(root: Node | undefined, key: string): Map<string, Node> | undefined {
  const object = objectAt(root, key);
  if (object === undefined) return undefined;
  return new Map(
    (object.children ?? []).flatMap((p) => {
      const [name, value] = p.children ?? [];
      return name === undefined || value === undefined ? [] : [[String(name.value), value] as const];
    }),
  );
}

/**
 * How inserted text is laid out: like the file around it. An insertion into
 * an object on one line stays on that line; one into a multi-line object gets
 * the file's indent unit and line ending; a new file is tab-indented, as
 * docker writes it.
 */
function styleOf(text: string, root: Node | undefined): FormattingOptions {
  // No eol option: jsonc-parser takes the line ending from the text itself (its first
  // line break) and reads the option only for a text without one, where it is "\n".
  const first = root?.children?.[0];
  const indent = first === undefined ? "\t" : text.slice(text.lastIndexOf("\n", first.offset) + 1, first.offset);
  return /^ +$/.test(indent) ? { insertSpaces: true, tabSize: indent.length } : { insertSpaces: false, tabSize: 1 };
}

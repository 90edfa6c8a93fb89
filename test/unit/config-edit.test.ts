import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ConfigEdit } from "../../src/config-edit.js";

// config-edit.ts checks files against shapes and patterns built when it loads:
// it is loaded afresh in each test, so that mutation testing's per-test
// coverage counts those constants for these tests.
let editConfigText: typeof import("../../src/config-edit.js").editConfigText;
let HelperError: typeof import("../../src/errors.js").HelperError;
beforeEach(async () => {
  vi.resetModules();
  ({ editConfigText } = await import("../../src/config-edit.js"));
  ({ HelperError } = await import("../../src/errors.js"));
});

const ME = { username: "me", secret: "s3cret" };
const b64 = (s: string) => Buffer.from(s).toString("base64");
const add = (served: Record<string, typeof ME> = { "ghcr.io": ME }, helpers = Object.keys(served)): ConfigEdit => ({
  kind: "add",
  helpers: new Map(helpers.map((h) => [h === "docker.io" ? "https://index.docker.io/v1/" : h, "codespaces"])),
  served: new Map(Object.entries(served)),
});
const remove: ConfigEdit = { kind: "remove", helper: "codespaces" };
const edit = (text: string, e: ConfigEdit = add()) => editConfigText("cfg.json", text, e);

describe("configure's edit keeps every byte it does not name", () => {
  it.each([
    ["big integers, 1e400, __proto__, key order", '{"z": 12345678901234567890123, "e": 1e400, "__proto__": {"a": 1}, "a": [1.50, -0.0]}'],
    ["two-space indent, final newline", '{\n  "psFormat": "table {{.ID}}",\n  "x": {}\n}\n'],
    ["tab indent, no final newline", '{\n\t"psFormat": "x"\n}'],
    ["CRLF line ends", '{\r\n    "a": 1,\r\n    "credHelpers": {\r\n        "gcr.io": "gcloud"\r\n    }\r\n}\r\n'],
    ["one line with odd spacing", '{ "a" :1 ,"credHelpers" : {"gcr.io":"gcloud"}  }'],
  ])("%s: only the helper's entries are added, and --remove gives back the exact text", (_, text) => {
    const configured = edit(text);
    expect(configured.changes).toEqual(['credHelpers["ghcr.io"] = "codespaces"']);
    expect(JSON.parse(configured.text).credHelpers["ghcr.io"]).toBe("codespaces");
    expect(edit(configured.text, remove).text).toBe(text);
  });

  it("inserts in the file's own indent and line ending", () => {
    expect(edit('{\r\n   "a": 1\r\n}').text).toBe('{\r\n   "a": 1,\r\n   "credHelpers": {\r\n      "ghcr.io": "codespaces"\r\n   }\r\n}');
    expect(edit('{"a":1}').text).toBe('{"a":1,"credHelpers": {"ghcr.io":"codespaces"}}');
  });

  it("writes a new file as docker does: tab-indented with a final newline", () => {
    const fresh = '{\n\t"credHelpers": {\n\t\t"ghcr.io": "codespaces"\n\t}\n}\n';
    expect(edit("").text).toBe(fresh);
    // A blank file is a new one: none of its whitespace is kept around the object.
    expect(edit(" \n")).toEqual({ text: fresh, changes: ['credHelpers["ghcr.io"] = "codespaces"'], notes: [] });
    // With nothing to change, a blank file is left exactly as it was.
    expect(edit(" \n", remove)).toEqual({ text: " \n", changes: [], notes: [] });
    expect(edit(" \n", add({}, []))).toEqual({ text: " \n", changes: [], notes: [] });
  });

  it("indents an insertion like the file: tabs where the first key is tab-indented, also with CRLF", () => {
    expect(edit('{\r\n\t"a": 1\r\n}').text).toBe('{\r\n\t"a": 1,\r\n\t"credHelpers": {\r\n\t\t"ghcr.io": "codespaces"\r\n\t}\r\n}');
    // Indentation that is not spaces alone (a space then a tab) is read as tabs.
    expect(edit('{\n \t"a": 1\n}').text).toBe('{\n \t"a": 1,\n\t\t"credHelpers": {\n\t\t\t"ghcr.io": "codespaces"\n\t\t}\n}');
    expect(edit('{\n\t  "a": 1\n}').text).toBe('{\n\t  "a": 1,\n\t\t\t"credHelpers": {\n\t\t\t\t"ghcr.io": "codespaces"\n\t\t\t}\n}');
    // A new entry in an existing multi-line credHelpers goes on its own line, one level deeper.
    expect(edit('{\n  "credHelpers": {\n    "x.io": "y"\n  }\n}\n').text).toBe(
      '{\n  "credHelpers": {\n    "x.io": "y",\n    "ghcr.io": "codespaces"\n  }\n}\n',
    );
  });

  it("lays out only the inserted text: oddly indented lines before it stay as they are", () => {
    const text = '{\n  "a": 1,\n      "b": [1,\n  2]\n}\n';
    const r = edit(text);
    expect(r.text.startsWith('{\n  "a": 1,\n      "b": [1,\n  2],\n')).toBe(true);
    expect(edit(r.text, remove).text).toBe(text);
  });

  it("a file without auths gets no note about them, whatever the registry is called", () => {
    expect(edit("{}", add({ s: ME }))).toEqual({ text: '{"credHelpers": {"s":"codespaces"}}', changes: ['credHelpers["s"] = "codespaces"'], notes: [] });
  });

  it("adds nothing, not even an empty map, when no registry is served", () => {
    expect(edit("{}", add({}, []))).toEqual({ text: "{}", changes: [], notes: [] });
  });

  it("keeps a registry named __proto__ a key, not a prototype", () => {
    const r = edit("{}", add({ __proto__: ME } as unknown as Record<string, typeof ME>, ["__proto__"]));
    expect(r.text).toBe('{"credHelpers": {"__proto__":"codespaces"}}');
  });

  it("reads a null map as docker does, as empty", () => {
    expect(edit('{"credHelpers": null, "auths": null}').text).toBe('{"credHelpers": {"ghcr.io":"codespaces"}, "auths": null}');
    expect(edit('{"credHelpers": null}', remove).changes).toEqual([]);
  });

  it("says when it replaces another helper's entry", () => {
    expect(edit('{"credHelpers":{"ghcr.io":"gcloud"}}').changes).toEqual(['credHelpers["ghcr.io"] = "codespaces" (was "gcloud")']);
  });

  it("changes nothing when already configured", () => {
    const text = '{"credHelpers":{"ghcr.io":"codespaces"}}';
    expect(edit(text)).toEqual({ text, changes: [], notes: [] });
  });
});

describe("plaintext auths: only the environment's own credentials for that exact registry go", () => {
  const auths = (entries: Record<string, unknown>) => JSON.stringify({ auths: entries });
  it.each([
    ["auth", { auth: b64("me:s3cret") }],
    ["username/password", { username: "me", password: "s3cret" }],
    ["auth and username/password", { auth: b64("me:s3cret"), username: "me", password: "s3cret", email: "x@y" }],
  ])("an entry holding them as %s goes", (_, entry) => {
    for (const name of ["ghcr.io", "https://ghcr.io", "https://ghcr.io/v2/", "GHCR.io:443", "ghcr.io/"]) {
      const r = edit(auths({ [name]: entry, "other.io": { auth: b64("you:x") } }));
      expect(JSON.parse(r.text).auths).toEqual({ "other.io": { auth: b64("you:x") } });
      expect(r.changes).toContain(`removed the plaintext auths entry for ${JSON.stringify(name)} (the environment's secret sat on disk)`);
      expect(r.text).not.toContain(JSON.stringify(entry));
    }
  });

  it("Docker Hub's entry goes under any of its names", () => {
    const r = edit(auths({ "https://index.docker.io/v1/": { auth: b64("me:s3cret") } }), add({ "docker.io": ME }));
    expect(JSON.parse(r.text).auths).toEqual({});
  });

  it.each([
    ["another password", { auth: b64("me:other") }],
    ["another user", { username: "you", password: "s3cret" }],
    ["a mismatched pair", { auth: b64("me:s3cret"), password: "other" }],
    ["an identity token too", { auth: b64("me:s3cret"), identitytoken: "tok" }],
    ["a registry token", { registrytoken: "tok" }],
    ["only a username", { username: "me" }],
  ])("an entry with %s stays, and configure says so", (_, entry) => {
    const text = auths({ "ghcr.io": entry });
    const r = edit(text);
    expect(JSON.parse(r.text).auths).toEqual({ "ghcr.io": entry });
    expect(r.notes).toEqual([
      'kept the plaintext auths entry for "ghcr.io": it holds credentials other than the environment\'s; remove it by hand if it is not needed',
    ]);
  });

  it.each(["docker.io/otherorg", "https://index.docker.io/v1/otherorg", "ghcr.io/team"])(
    "a repository-path entry %s stays, and configure says so",
    (name) => {
      const r = edit(auths({ [name]: { auth: b64("me:s3cret") } }), add({ "ghcr.io": ME, "docker.io": ME }));
      expect(Object.keys(JSON.parse(r.text).auths)).toEqual([name]);
      expect(r.notes).toEqual([`kept the plaintext auths entry for "${name}": it is for a repository path, not the registry itself; remove it by hand if it is not needed`]);
    },
  );

  it("entries for other registries, or that hold no credentials, stay silently", () => {
    const text = auths({ "localhost:5000": { auth: b64("me:s3cret") }, "ghcr.io.evil.test": { auth: b64("me:s3cret") }, "ghcr.io": {} });
    const r = edit(text, add({ "ghcr.io": ME, "localhost:5001": ME }));
    expect(JSON.parse(r.text).auths).toEqual(JSON.parse(text).auths);
    expect(r.notes).toEqual(['kept the plaintext auths entry for "ghcr.io": it holds credentials other than the environment\'s; remove it by hand if it is not needed']);
  });

  it("an entry that is not an object, holds only the password, or holds a credential that is not a string, stays", () => {
    for (const entry of ["x", { password: "s3cret" }, { auth: 5 }, { auth: null, username: "me", password: "s3cret" }]) {
      const r = edit(auths({ "ghcr.io": entry }));
      expect(JSON.parse(r.text).auths).toEqual({ "ghcr.io": entry });
      expect(r.notes).toEqual([
        'kept the plaintext auths entry for "ghcr.io": it holds credentials other than the environment\'s; remove it by hand if it is not needed',
      ]);
    }
  });

  it("an entry under a name no client can look up stays silently", () => {
    const r = edit(auths({ "bad url ::": { auth: b64("me:s3cret") }, "ghcr.io": { auth: b64("me:s3cret") } }));
    expect(JSON.parse(r.text).auths).toEqual({ "bad url ::": { auth: b64("me:s3cret") } });
    expect(r.notes).toEqual([]);
  });

  it.each(["HTTPS://GHCR.IO", " https://ghcr.io/v2 ", "ghcr.io/v2", "http://ghcr.io/v1"])("the registry's own entry %j goes too", (name) => {
    const r = edit(auths({ [name]: { auth: b64("me:s3cret") } }));
    expect(JSON.parse(r.text).auths).toEqual({});
    expect(r.notes).toEqual([]);
  });

  it.each(["ghcr.io/v2/team", "ghcr.io/v3", "ghcr.io//", "ghcr.io/v://"])("a path beyond the API root, %j, is a repository path and stays", (name) => {
    const r = edit(auths({ [name]: { auth: b64("me:s3cret") } }));
    expect(Object.keys(JSON.parse(r.text).auths)).toEqual([name]);
    expect(r.notes[0]).toContain("it is for a repository path");
  });

  it("a __proto__ key inside an entry is data, not inherited credentials", () => {
    const text = auths({ "ghcr.io": JSON.parse(`{"__proto__": {"auth": "${b64("me:s3cret")}"}}`) });
    expect(JSON.parse(edit(text).text).auths["ghcr.io"]).toBeDefined();
  });
});

describe("--remove", () => {
  it("removes every credHelpers entry naming the helper, and only those", () => {
    const r = edit('{"credHelpers": {"a.io": "codespaces", "gcr.io": "gcloud", "b.io": "codespaces"}, "x": 1}', remove);
    expect(r.text).toBe('{"credHelpers": {"gcr.io": "gcloud"}, "x": 1}');
    expect(r.changes).toEqual(['removed credHelpers["a.io"] (it named "codespaces")', 'removed credHelpers["b.io"] (it named "codespaces")']);
  });

  it("removes the entry on its line, keeping the lines around it", () => {
    const text = '{\n  "credHelpers": {\n    "x.io": "y",\n    "a.io": "codespaces",\n    "z.io": "y"\n  }\n}\n';
    expect(edit(text, remove).text).toBe('{\n  "credHelpers": {\n    "x.io": "y",\n    "z.io": "y"\n  }\n}\n');
    expect(edit('{\n  "credHelpers": {\n    "a.io": "codespaces"\n  }\n}\n', remove).text).toBe("{\n}\n");
    expect(edit('{"credHelpers": {"a.io": "codespaces"}}', remove).text).toBe("{}");
  });

  it("keeps an empty credHelpers map it did not empty", () => {
    expect(edit('{"credHelpers": {}}', remove)).toEqual({ text: '{"credHelpers": {}}', changes: [], notes: [] });
  });

  it("drops a map it empties, and leaves a file without the helper as it is", () => {
    expect(edit('{"credHelpers": {"a.io": "codespaces"}, "x": 1}', remove).text).toBe('{"x": 1}');
    expect(edit('{"credsStore": "codespaces"}', remove)).toEqual({ text: '{"credsStore": "codespaces"}', changes: [], notes: [] });
    expect(edit("", remove)).toEqual({ text: "", changes: [], notes: [] });
  });
});

describe("files it refuses, with one line and nothing changed", () => {
  it.each([
    ['{"auths": {', "cfg.json is not valid JSON; fix or move it and run again (nothing was changed)"],
    ['{"a": 1, /* comment */ "b": 2}', "cfg.json is not valid JSON; fix or move it and run again (nothing was changed)"],
    ['{"a": 1,}', "cfg.json is not valid JSON; fix or move it and run again (nothing was changed)"],
    ['{"credHelpers": {"x": 1}}', "cfg.json is not a config file this helper understands"],
    ["[]", "cfg.json is not a config file this helper understands"],
    ['{"auths": []}', "cfg.json is not a config file this helper understands"],
    ['{"credHelpers": {"ghcr.io": "a", "ghcr.io": "b"}}', 'cfg.json has the key "ghcr.io" twice in credHelpers; keep one and run again'],
    ['{"auths": {}, "auths": {}}', 'cfg.json has the key "auths" twice; keep one and run again'],
    ['{"auths": {"a.io": {}, "a.io": {}}}', 'cfg.json has the key "a.io" twice in auths; keep one and run again'],
  ])("%s", (text, message) => {
    expect(() => edit(text)).toThrow(HelperError);
    expect(() => edit(text)).toThrow(message);
  });
});

import { describe, expect, it } from "vitest";
import { editConfigText, type ConfigEdit } from "../../src/config-edit.js";
import { HelperError } from "../../src/errors.js";

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
    expect(edit("").text).toBe('{\n\t"credHelpers": {\n\t\t"ghcr.io": "codespaces"\n\t}\n}\n');
    expect(edit(" \n").changes).toHaveLength(1);
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
  ])("%s", (text, message) => {
    expect(() => edit(text)).toThrow(HelperError);
    expect(() => edit(text)).toThrow(message);
  });
});

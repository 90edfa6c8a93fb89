import fc from "fast-check";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ConfigEdit } from "../../src/config-edit.js";
import { planConfigEdit, writeConfigPlan } from "../../src/docker-config.js";

const editConfigFile = async (path: string, edit: ConfigEdit) => {
  const plan = await planConfigEdit(path, edit);
  await writeConfigPlan(plan);
  return plan;
};

// Property: on any config file that does not already route a registry to the
// helper nor hold a plaintext copy of a served secret, `configure` followed by
// `configure --remove` gives back the original bytes. Driven in-process
// through the real file editor (temp file + rename) in a temp folder.

/** A JSON value as text pieces, so numbers JavaScript cannot hold stay as written. */
type Json = { o: [string, Json][] } | { a: Json[] } | { t: string };

interface Style {
  readonly indent: string | undefined; // undefined: all on one line
  readonly eol: string;
  readonly colon: string;
  readonly comma: string;
  readonly finalEol: boolean;
  /** Whitespace left at the end of each line. */
  readonly trail: string;
}

function render(value: Json, style: Style, depth = 0): string {
  if ("t" in value) return value.t;
  const [open, close, items] =
    "o" in value
      ? ["{", "}", value.o.map(([k, v]) => `${JSON.stringify(k)}${style.colon}${render(v, style, depth + 1)}`)]
      : ["[", "]", value.a.map((v) => render(v, style, depth + 1))];
  if (items.length === 0) return open + close;
  if (style.indent === undefined) return open + items.join(style.comma) + close;
  const pad = (n: number) => style.trail + style.eol + style.indent!.repeat(n);
  return open + items.map((item) => pad(depth + 1) + item).join(style.comma.trimEnd()) + pad(depth) + close;
}

const SERVED = ["ghcr.io", "docker.io", "localhost:5000", "mycompany.azurecr.io"] as const;
const configName = (key: string) => (key === "docker.io" ? "https://index.docker.io/v1/" : key);
const CREDENTIALS = { username: "env-user", secret: "env-secret" };
const b64 = (s: string) => Buffer.from(s).toString("base64");

const key = fc.oneof(
  fc.string({ maxLength: 8, unit: "grapheme" }),
  fc.constantFrom("__proto__", "constructor", "psFormat", "credsStore", "", "\u2028", "a\"b\\c"),
);
const scalar: fc.Arbitrary<Json> = fc
  .oneof(
    fc.constantFrom("12345678901234567890123456789", "1e400", "-0.0", "1.50", "-1E-400", "true", "false", "null"),
    fc.integer().map(String),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
    fc.string({ unit: "binary", maxLength: 10 }).map((s) => JSON.stringify(s)),
  )
  .map((t) => ({ t }));
const { value } = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.uniqueArray(fc.tuple(key, tie("value")), { maxLength: 4, selector: ([k]) => k }).map((o) => ({ o })),
    fc.array(tie("value"), { maxLength: 3 }).map((a) => ({ a })),
  ),
}));
const str = (s: string): Json => ({ t: JSON.stringify(s) });

/** Registries whose names are not the served ones, helpers other than this one, auths the edit must keep. */
const unrelatedHelpers = fc.uniqueArray(
  fc.tuple(fc.constantFrom("gcr.io", "quay.io", "ghcr.io.evil.test", "__proto__", "docker.io/otherorg"), fc.constantFrom("gcloud", "desktop", "")),
  { minLength: 1, maxLength: 3, selector: ([k]) => k },
);
const keptAuth = fc.oneof(
  fc.record({ name: fc.constantFrom("quay.io", "localhost:5001", "registry.example"), entry: fc.constant({ auth: b64("env-user:env-secret") }) }),
  fc.record({ name: fc.constantFrom(...SERVED.map(configName)), entry: fc.constant({ auth: b64("someone:else") }) }),
  fc.record({ name: fc.constantFrom("docker.io/otherorg", "localhost:5000/team"), entry: fc.constant({ auth: b64("env-user:env-secret") }) }),
  fc.record({ name: fc.constantFrom("ghcr.io"), entry: fc.constant({ auth: b64("env-user:env-secret"), identitytoken: "t" }) }),
);
const keptAuths = fc.uniqueArray(keptAuth, { maxLength: 3, selector: (a) => a.name });

const toJson = (v: unknown): Json =>
  typeof v === "object" && v !== null ? { o: Object.entries(v).map(([k, x]) => [k, toJson(x)]) } : { t: JSON.stringify(v) };

const configFile = fc
  .record({
    others: fc.uniqueArray(fc.tuple(key.filter((k) => k !== "credHelpers" && k !== "auths"), value), { maxLength: 5, selector: ([k]) => k }),
    helpers: fc.option(unrelatedHelpers, { nil: undefined }),
    auths: fc.option(keptAuths, { nil: undefined }),
    helpersAt: fc.nat(),
    authsAt: fc.nat(),
    style: fc.record({
      indent: fc.constantFrom(undefined, "\t", "  ", "    ", " "),
      eol: fc.constantFrom("\n", "\r\n"),
      colon: fc.constantFrom(":", ": ", " : ", " :"),
      comma: fc.constantFrom(",", ", ", " , "),
      finalEol: fc.boolean(),
      trail: fc.constantFrom("", "", " ", "\t "),
    }),
  })
  .map(({ others, helpers, auths, helpersAt, authsAt, style }) => {
    const entries: [string, Json][] = [...others];
    if (helpers !== undefined) entries.splice(helpersAt % (entries.length + 1), 0, ["credHelpers", { o: helpers.map(([k, h]) => [k, str(h)]) }]);
    if (auths !== undefined) entries.splice(authsAt % (entries.length + 1), 0, ["auths", { o: auths.map((a) => [a.name, toJson(a.entry)]) }]);
    return render({ o: entries }, style) + (style.finalEol ? style.eol : "");
  });

const served = fc.uniqueArray(fc.constantFrom(...SERVED), { minLength: 1, maxLength: SERVED.length });

const dir = mkdtempSync(join(tmpdir(), "config-property-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("configure then configure --remove", () => {
  it("gives back the original file byte for byte, mode included", async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(configFile, served, fc.constantFrom(0o600, 0o640, 0o644), async (text, keys, mode) => {
        const path = join(dir, `config-${n++}.json`);
        writeFileSync(path, text, { mode });
        const add: ConfigEdit = {
          kind: "add",
          helpers: new Map(keys.map((k) => [configName(k), "codespaces"])),
          served: new Map(keys.map((k) => [k, CREDENTIALS])),
        };
        const configured = await editConfigFile(path, add);
        expect(configured.changes).toHaveLength(keys.length);
        const routed = JSON.parse(readFileSync(path, "utf8")) as { credHelpers: Record<string, string> };
        for (const k of keys) expect(routed.credHelpers[configName(k)]).toBe("codespaces");

        await editConfigFile(path, { kind: "remove", helper: "codespaces" });
        expect(readFileSync(path, "utf8")).toBe(text);
        expect(statSync(path).mode & 0o777).toBe(mode);
        rmSync(path);
      }),
      // Under Stryker (STRYKER_MUTATOR_WORKER is set) every mutant reruns this: fewer cases keep a run affordable.
      { numRuns: process.env["STRYKER_MUTATOR_WORKER"] === undefined ? 300 : 40 },
    );
  });
});

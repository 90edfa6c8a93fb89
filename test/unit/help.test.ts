import { readFileSync } from "node:fs";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { CONFIGURE_HELP } from "../../src/configure-help.js";

// The texts are constants built when help.ts loads: it is loaded afresh in each
// test, so that mutation testing's per-test coverage counts them for these tests.
// The CLI is loaded afresh with it, so both share one module graph.
let helpText: typeof import("../../src/help.js").helpText;
let runInProcess: typeof import("../support/fake-io.js").runInProcess;
beforeEach(async () => {
  vi.resetModules();
  ({ helpText } = await import("../../src/help.js"));
  ({ runInProcess } = await import("../support/fake-io.js"));
});

// What `--help` and `help <verb>` print, as a user reads it.

const DOCS = "Documentation: https://www.npmjs.com/package/docker-credential-codespaces";
const VERBS = ["get", "list", "store", "erase", "version", "configure", "doctor", "agent"];

describe("help", () => {
  it("the overview lists every verb by its first line, then the environment and where the documentation is", () => {
    const overview = helpText(undefined)!;
    const listed = overview.split("\nVerbs:\n")[1]!.split("\n\n")[0]!.split("\n");
    expect(listed).toEqual(VERBS.map((verb) => `  ${helpText(verb)!.split("\n")[0]}`));
    expect(listed).toEqual([
      "  docker-credential-codespaces get",
      "  docker-credential-codespaces list",
      "  docker-credential-codespaces store",
      "  docker-credential-codespaces erase",
      "  docker-credential-codespaces version",
      "  docker-credential-codespaces configure [--dry-run] [--remove] [--containers-auth[=PATH]]",
      "  docker-credential-codespaces doctor [--offline] [--json]",
      "  docker-credential-codespaces agent <status|stop>",
    ]);
    expect(overview).toContain("\n\nEnvironment:\n  <ID>_CONTAINER_REGISTRY_SERVER, _USER, _PASSWORD\n");
    expect(overview.endsWith(`\n\n${DOCS} (README.md; also in the npm package)`)).toBe(true);
  });

  it.each([
    ["get", "  Reads a registry server from stdin and prints {\"ServerURL\",\"Username\",\"Secret\"}"],
    ["list", '  Prints {"<server>": "<username>"} for every registry the environment configures.'],
    ["store", "  Stores nothing: succeeds for a registry a triple configures (so docker login"],
    ["erase", '  Erases nothing: succeeds for a registry a triple configures, else "not found".'],
    ["version", "  Prints the helper's version (also: --version, -v)."],
    ["agent", "  The per-user agent that holds minted ECR tokens in memory (never on disk),"],
  ])("help %s says what the verb does", (verb, line) => {
    expect(helpText(verb)!.split("\n")[1]).toBe(line);
  });

  it("help <verb> is that verb's text, the environment, and the documentation link", () => {
    const configure = helpText("configure")!;
    expect(configure).toBe(`docker-credential-codespaces ${CONFIGURE_HELP}\n\n${helpText("get")!.split("\n\n").slice(1).join("\n\n")}`);
    expect(configure.split("\n\n").slice(1)).toEqual([expect.stringMatching(/^Environment:\n/), DOCS]);
    expect(helpText("doctor")!.split("\n").slice(0, 2)).toEqual([
      "docker-credential-codespaces doctor [--offline] [--json]",
      "  Checks, registry by registry, whether a pull will work and why not: the",
    ]);
  });

  it("knows only its verbs, not what every object inherits", async () => {
    for (const topic of ["constructor", "toString", "__proto__", "hasOwnProperty", "nope", ""]) expect(helpText(topic)).toBeUndefined();
    expect(await runInProcess(["help", "constructor"])).toEqual({ code: 1, stdout: 'no help for "constructor"; see --help\n', stderr: 'docker-credential-codespaces: no help for "constructor"; see --help\n' });
  });

  it("names every environment variable the README documents for users", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const overview = helpText(undefined)!;
    for (const variable of ["DOCKER_CREDENTIAL_CODESPACES_DEBUG", "DOCKER_CREDENTIAL_CODESPACES_AGENT", "REGISTRY_AUTH_FILE", "AWS_ENDPOINT_URL_ECR"]) {
      expect(readme).toContain(variable);
      expect(overview).toContain(variable);
    }
  });
});

import { describe, expect, it } from "vitest";
import { freshEachTest } from "../support/fresh.js";
import { triple } from "../support/triple.js";

// Loaded afresh per test: the variable-name pattern is set when the module loads.
const registries = freshEachTest(() => import("../../src/registries.js"));

describe("readRegistries", () => {
  it("reads any number of triples, trimming pasted whitespace", () => {
    const table = registries.readRegistries({
      ...triple("ACR", " https://MyCo.azurecr.io/ \n", "acr-user\n", "  pat-1\n"),
      ...triple("MY_DOCKERHUB", "https://index.docker.io/v1/", "hubuser", "hubtoken"),
      PATH: "/usr/bin",
    });
    expect(table.complete).toEqual([
      { id: "ACR", key: "myco.azurecr.io", user: "acr-user", password: "pat-1" },
      { id: "MY_DOCKERHUB", key: "docker.io", user: "hubuser", password: "hubtoken" },
    ]);
    expect(table.incomplete).toEqual([]);
  });

  it("keeps an optional session token", () => {
    const table = registries.readRegistries({ ...triple("ECR", "ecr.test", "ASIAX", "s"), ECR_CONTAINER_REGISTRY_SESSION_TOKEN: " tok " });
    expect(table.complete[0]?.sessionToken).toBe("tok");
  });

  it("marks a triple with missing or blank parts incomplete, naming the variables", () => {
    const table = registries.readRegistries({
      A_CONTAINER_REGISTRY_SERVER: "a.test",
      A_CONTAINER_REGISTRY_USER: "  ",
      B_CONTAINER_REGISTRY_SERVER: "b.test",
      B_CONTAINER_REGISTRY_USER: "u",
    });
    expect(table.complete).toEqual([]);
    expect(table.incomplete).toEqual([
      { id: "A", key: "a.test", missing: ["A_CONTAINER_REGISTRY_USER", "A_CONTAINER_REGISTRY_PASSWORD"], undecodable: [] },
      { id: "B", key: "b.test", missing: ["B_CONTAINER_REGISTRY_PASSWORD"], undecodable: [] },
    ]);
  });

  it("ignores triples without a usable server, saying why without values", () => {
    const table = registries.readRegistries({
      ...triple("BAD", "user@evil.test", "u", "secret-value"),
      NOSERVER_CONTAINER_REGISTRY_USER: "u",
      _CONTAINER_REGISTRY_SERVER_X: "ignored.test",
      Y_CONTAINER_REGISTRY_SERVER_OLD: "no-triple.test",
      CONTAINER_REGISTRY_SERVER: "no-id.test",
    });
    expect(table.complete).toEqual([]);
    // A name that only starts like one of the four (…_SERVER_OLD) belongs to no triple.
    expect(table.incomplete).toEqual([]);
    expect(table.ignored).toHaveLength(2);
    expect(table.ignored.map((i) => i.id)).toEqual(["BAD", "NOSERVER"]);
    expect(JSON.stringify(table.ignored)).not.toContain("secret-value");
    expect(table.ignored[1]?.reason).toContain("NOSERVER_CONTAINER_REGISTRY_SERVER is missing");
  });
});

describe("lookupRegistry", () => {
  it("finds a registry only by exact key", () => {
    const table = registries.readRegistries(triple("ACR", "myco.azurecr.io", "u", "p"));
    expect(registries.lookupRegistry(table, "myco.azurecr.io").kind).toBe("configured");
    expect(registries.lookupRegistry(table, "myco.azurecr.io.evil.test").kind).toBe("none");
    expect(registries.lookupRegistry(table, "azurecr.io").kind).toBe("none");
  });

  it("accepts duplicates with the same credentials and rejects ones that differ, naming both IDs", () => {
    const same = registries.readRegistries({ ...triple("A", "x.test", "u", "p"), ...triple("B", "https://x.test/", "u", "p") });
    expect(registries.lookupRegistry(same, "x.test")).toMatchObject({ kind: "configured", registry: { id: "A" } });
    const differ = registries.readRegistries({ ...triple("A", "x.test", "u", "p"), ...triple("B", "X.TEST", "u", "q") });
    expect(() => registries.lookupRegistry(differ, "x.test")).toThrow(/A_CONTAINER_REGISTRY_\*.*B_CONTAINER_REGISTRY_\*/);
    expect(registries.listedRegistries(differ)).toEqual([]);
  });

  it("prefers a complete triple over an incomplete one for the same server", () => {
    const table = registries.readRegistries({ ...triple("A", "x.test", "u", "p"), B_CONTAINER_REGISTRY_SERVER: "x.test" });
    expect(registries.lookupRegistry(table, "x.test").kind).toBe("configured");
    expect(registries.lookupRegistry(registries.readRegistries({ B_CONTAINER_REGISTRY_SERVER: "x.test" }), "x.test").kind).toBe("incomplete");
  });
});

describe("secret values", () => {
  it("trims only ASCII whitespace, keeping U+00A0, U+FEFF and other Unicode spaces", () => {
    const table = registries.readRegistries(triple("U", "u.test", "\u2003user\t", " \u00a0pass\ufeff\r\n"));
    expect(table.complete[0]).toMatchObject({ user: "\u2003user", password: "\u00a0pass\ufeff" });
  });

  it("makes a triple holding U+FFFD (not valid UTF-8 in the environment) unusable, naming the variable", () => {
    const table = registries.readRegistries({ ...triple("X", "x.test", "u", "p\ufffd"), X_CONTAINER_REGISTRY_SESSION_TOKEN: "\ufffd" });
    expect(table.complete).toEqual([]);
    const found = registries.lookupRegistry(table, "x.test");
    expect(found.kind).toBe("incomplete");
    if (found.kind !== "incomplete") return;
    expect(registries.incompleteMessage(found.registry)).toBe(
      "x.test is configured by X_CONTAINER_REGISTRY_* but X_CONTAINER_REGISTRY_PASSWORD and X_CONTAINER_REGISTRY_SESSION_TOKEN " +
        "are not valid UTF-8 (they hold U+FFFD); set them again in your Codespaces secrets and restart the codespace",
    );
  });

  it("names one variable that is not valid UTF-8 in the singular", () => {
    const found = registries.lookupRegistry(registries.readRegistries(triple("X", "x.test", "u\ufffd", "p")), "x.test");
    if (found.kind !== "incomplete") throw new Error("expected an incomplete triple");
    expect(registries.incompleteMessage(found.registry)).toBe(
      "x.test is configured by X_CONTAINER_REGISTRY_* but X_CONTAINER_REGISTRY_USER is not valid UTF-8 (it holds U+FFFD); " +
        "set it again in your Codespaces secrets and restart the codespace",
    );
  });
});

describe("environmentSecrets", () => {
  it("takes the passwords, session tokens and AWS secrets, trimmed, and no variable merely named like them", () => {
    const env = {
      ...triple("A", "a.test", "user-a", " pass-a\n"),
      A_CONTAINER_REGISTRY_SESSION_TOKEN: "token-a",
      AWS_SECRET_ACCESS_KEY: "aws-secret",
      AWS_SESSION_TOKEN: "aws-token",
      A_CONTAINER_REGISTRY_PASSWORD_HINT: "hint",
      A_CONTAINER_REGISTRY_SESSION_TOKEN_TTL: "3600",
      MY_AWS_SECRET_ACCESS_KEY: "mine",
      AWS_SESSION_TOKEN_TTL: "900",
      AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
    };
    expect(registries.environmentSecrets(env).sort()).toEqual(["aws-secret", "aws-token", "pass-a", "token-a"]);
  });

  it("an unset variable adds no secret", () => {
    expect(registries.environmentSecrets({ A_CONTAINER_REGISTRY_PASSWORD: undefined }).filter((s) => s !== "")).toEqual([]);
  });
});

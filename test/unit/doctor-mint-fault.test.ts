import { expect, it, vi } from "vitest";
import { credentialsFor } from "../../src/doctor/credentials.js";
import { readRegistries } from "../../src/registries.js";

// A fault in minting that is no HelperError (a bug, not a refusal) cannot be
// provoked through the real mint, so resolveCredentials is replaced here.
vi.mock("../../src/resolve.js", () => ({
  resolveCredentials: async () => {
    throw new TypeError("Cannot read properties of undefined");
  },
}));

it("a fault while minting is one line that points at get's debug output, not the fault's own text", async () => {
  const step = await credentialsFor("123456789012.dkr.ecr.us-east-1.amazonaws.com", { kind: "default-chain" }, readRegistries({}), {}, false);
  expect(step).toEqual({
    check: { name: "ecr token", ok: false, message: "minting failed unexpectedly; run `get` with DOCKER_CREDENTIAL_CODESPACES_DEBUG=1 for details" },
  });
});

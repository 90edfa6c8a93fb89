import type { Credentials } from "./credentials.js";
import type { EcrHost } from "./ecr/host.js";
import { parseEcrHost } from "./ecr/host.js";
import { ecrTokenExpiry } from "./ecr/token.js";
import { HelperError, NoAwsCredentialsError, NotFoundError } from "./errors.js";
import type { Env, Registry, RegistryTable } from "./registries.js";
import { incompleteMessage, lookupRegistry } from "./registries.js";

/**
 * server key → credentials. Sources, in order: a static triple; for ECR hosts
 * a token passed through (USER=AWS) or minted from the triple's AWS keys; for
 * an ECR host without a triple, the standard AWS credential chain. The AWS
 * SDK is imported only on the two minting paths.
 */
export async function resolveCredentials(key: string, table: RegistryTable, env: Env): Promise<Credentials> {
  const found = lookupRegistry(table, key);
  const ecr = parseEcrHost(key);
  switch (found.kind) {
    case "incomplete":
      throw new HelperError(incompleteMessage(found.registry));
    case "configured": {
      const registry = found.registry;
      if (ecr === undefined) return { username: registry.user, secret: registry.password };
      if (registry.user === "AWS") return passThroughEcrToken(key, registry);
      return mint(key, ecr, env, registry);
    }
    case "none":
      if (ecr === undefined) throw new NotFoundError();
      return mint(key, ecr, env).catch((error: unknown) => {
        // ECR Public serves anonymous pulls: with no AWS identity at all, let the client go anonymous.
        if (ecr.kind === "public" && error instanceof NoAwsCredentialsError) throw new NotFoundError();
        throw error;
      });
  }
}

/** USER=AWS: PASSWORD already is a registry token; refuse one that has visibly expired. */
function passThroughEcrToken(key: string, registry: Registry): Credentials {
  const expiry = ecrTokenExpiry(registry.password);
  if (expiry !== undefined && expiry.getTime() <= Date.now()) {
    throw new HelperError(
      `${key}: the ECR token in ${registry.id}_CONTAINER_REGISTRY_PASSWORD expired at ${expiry.toISOString()}; ` +
        `set ${registry.id}_CONTAINER_REGISTRY_USER to an AWS access key id and _PASSWORD to its secret key ` +
        "so that tokens are minted on demand",
    );
  }
  return { username: "AWS", secret: registry.password };
}

/** Mints through the agent's in-memory cache (src/agent), which falls back to minting directly. */
async function mint(key: string, host: EcrHost, env: Env, registry?: Registry): Promise<Credentials> {
  // A triple's keys, and where they came from (for messages); without one, the default chain.
  const fromTriple =
    registry === undefined
      ? undefined
      : {
          source: `${registry.id}_CONTAINER_REGISTRY_*`,
          keys: {
            accessKeyId: registry.user,
            secretAccessKey: registry.password,
            ...(registry.sessionToken === undefined ? {} : { sessionToken: registry.sessionToken }),
          },
        };
  const fresh = async () => {
    const { mintEcrCredentials } = await import("./ecr/mint.js");
    return mintEcrCredentials({ registry: key, host, env, ...fromTriple });
  };
  const { throughAgent } = await import("./agent/client.js");
  return throughAgent({ registry: key, env, ...(fromTriple === undefined ? {} : { keys: fromTriple.keys }) }, fresh);
}

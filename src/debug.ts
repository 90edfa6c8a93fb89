import type { Env } from "./registries.js";

export const DEBUG_VARIABLE = "DOCKER_CREDENTIAL_CODESPACES_DEBUG";

export type Debug = (message: string) => void;

/**
 * Diagnostics on stderr when DOCKER_CREDENTIAL_CODESPACES_DEBUG=1. Callers pass
 * only IDs, server keys and decisions; `write` is the CLI's redacting stderr,
 * in case a secret slips into a message.
 */
export function createDebug(env: Env, write: (line: string) => void): Debug {
  if (env[DEBUG_VARIABLE] !== "1") return () => {};
  return (message) => write(`${DEBUG_VARIABLE}: ${message}\n`);
}

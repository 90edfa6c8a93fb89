import type { Env } from "./registries.js";

export const DEBUG_VARIABLE = "DOCKER_CREDENTIAL_CODESPACES_DEBUG";

export type Debug = (message: string) => void;

/**
 * Diagnostics on stderr when DOCKER_CREDENTIAL_CODESPACES_DEBUG=1. Callers pass
 * only IDs, server keys and decisions; every value they were not meant to pass
 * is still blanked out, in case a secret slips into a message.
 */
export function createDebug(env: Env, write: (line: string) => void, secrets: readonly string[]): Debug {
  if (env[DEBUG_VARIABLE] !== "1") return () => {};
  const hidden = secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  return (message) => {
    let line = message;
    for (const secret of hidden) line = line.split(secret).join("***");
    write(`${DEBUG_VARIABLE}: ${line}\n`);
  };
}

import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { Env } from "../registries.js";

/**
 * The one place that builds the HTTP(S) agents every outgoing request uses:
 * the ECR token calls, the AWS default chain and `doctor`'s registry checks.
 * Proxy and certificate-authority settings belong here and nowhere else.
 * Only network paths import this module, so the static `get` never loads it.
 */
export interface Agents {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
}

export function createAgents(_env: Env): Agents {
  return { http: new HttpAgent(), https: new HttpsAgent() };
}

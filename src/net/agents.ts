import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { Env } from "../registries.js";
import { proxyEnv } from "./proxy.js";
import { trustSystemCertificates } from "./system-ca.js";

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

/**
 * Agents that honour HTTP(S)_PROXY/NO_PROXY from `env` (Node's own `proxyEnv`
 * option; lines without it ignore the option and connect directly) and trust
 * the system's certificate store besides Node's bundled one.
 * Each call gives a fresh pair: an SDK client destroys its agents with itself.
 * The HTTPS agent is made on first use: adding the system store costs several
 * ms that a plain-HTTP endpoint (a loopback or VPC one) never needs.
 */
export function createAgents(env: Env): Agents {
  const proxy = proxyEnv(env);
  // Keep-alive as the SDK's own default agents have it: its retries reuse the connection.
  const options = { keepAlive: true, ...(proxy ? { proxyEnv: proxy } : {}) };
  let https: HttpsAgent | undefined;
  return {
    http: new HttpAgent(options),
    get https() {
      if (https === undefined) {
        trustSystemCertificates(env);
        https = new HttpsAgent(options);
      }
      return https;
    },
  };
}

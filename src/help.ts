import { CONFIGURE_HELP } from "./configure-help.js";
import { HELPER_NAME, USAGE } from "./protocol.js";

/**
 * The text of `--help` and `help <verb>`. Its own module, imported only when
 * help is asked for, so none of this is parsed on the credential path.
 */

// The npm page shows the README; the npm package also carries it as README.md.
const README = "https://www.npmjs.com/package/docker-credential-codespaces";

const VERBS: Record<string, string> = {
  get: `${HELPER_NAME} get
  Reads a registry server from stdin and prints {"ServerURL","Username","Secret"}
  from the matching <ID>_CONTAINER_REGISTRY_* triple, or a freshly minted AWS ECR
  token. Prints "credentials not found in native keychain" for any other server.`,
  list: `${HELPER_NAME} list
  Prints {"<server>": "<username>"} for every registry the environment configures.`,
  store: `${HELPER_NAME} store
  Stores nothing: succeeds for a registry a triple configures (so docker login
  works) and fails for any other.`,
  erase: `${HELPER_NAME} erase
  Erases nothing: succeeds for a registry a triple configures, else "not found".`,
  version: `${HELPER_NAME} version
  Prints the helper's version (also: --version, -v).`,
  configure: `${HELPER_NAME} ${CONFIGURE_HELP}`,
  doctor: `${HELPER_NAME} doctor [--offline] [--json]
  Checks, registry by registry, whether a pull will work and why not: the
  triple, docker's and the containers routing, which helper PATH finds, an
  ECR token, and the credentials against the registry's /v2/ endpoint (as
  docker login does). Secrets are never printed. Exit 0 when all is well.
    --offline  skip the network checks
    --json     one JSON object {"ok","registries":[…],"problems":[…]}`,
  agent: `${HELPER_NAME} agent <status|stop>
  The per-user agent that holds minted ECR tokens in memory (never on disk),
  started by the first ECR get. status: its pid, tokens held, idle time left;
  stop: ends it. DOCKER_CREDENTIAL_CODESPACES_AGENT=off: no agent, every get
  mints; DOCKER_CREDENTIAL_CODESPACES_AGENT_IDLE=<seconds>: idle exit (1800).`,
};

const ENVIRONMENT = `Environment:
  <ID>_CONTAINER_REGISTRY_SERVER, _USER, _PASSWORD
      one registry's server and credentials (Codespaces secrets); for AWS ECR,
      USER=AWS means PASSWORD is a registry token, any other USER is an access key id
  <ID>_CONTAINER_REGISTRY_SESSION_TOKEN
      session token for temporary AWS keys
  AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
  AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_ECR,
  AWS_ENDPOINT_URL_ECR_PUBLIC, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
      honoured when minting ECR tokens (the standard AWS credential chain is used
      for an ECR registry routed here without a triple)
  DOCKER_CONFIG, REGISTRY_AUTH_FILE, XDG_CONFIG_HOME, HOME
      where configure finds the files it edits
  HTTPS_PROXY, HTTP_PROXY, NO_PROXY, NODE_EXTRA_CA_CERTS, SSL_CERT_FILE
      proxies and extra certificate authorities for every network call
  DOCKER_CREDENTIAL_CODESPACES_AGENT=off, DOCKER_CREDENTIAL_CODESPACES_AGENT_IDLE
      the ECR token agent (see help agent)
  DOCKER_CREDENTIAL_CODESPACES_DEBUG=1
      explain each decision on stderr, secrets redacted`;

const OVERVIEW = `${USAGE}

A Docker credential helper serving registry secrets from the environment.
Docker, podman, skopeo and crane call it; you run configure once per start.

Verbs:
${Object.values(VERBS)
  .map((text) => text.split("\n")[0])
  .map((line) => `  ${line}`)
  .join("\n")}

Run '${HELPER_NAME} help <verb>' for one verb's details.

${ENVIRONMENT}

Documentation: ${README} (README.md; also in the npm package)`;

/** The help for `topic` (undefined: the overview), or undefined when there is no such verb. */
export function helpText(topic: string | undefined): string | undefined {
  if (topic === undefined) return OVERVIEW;
  const verb = Object.hasOwn(VERBS, topic) ? VERBS[topic] : undefined;
  return verb === undefined ? undefined : `${verb}\n\n${ENVIRONMENT}\n\nDocumentation: ${README}`;
}

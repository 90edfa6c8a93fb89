import * as z from "zod/mini";
import type { Credentials } from "./credentials.js";
import { HelperError } from "./errors.js";
import { trimAsciiSpace } from "./trim.js";

/**
 * The docker credential-helper wire format: what each verb reads and prints,
 * and the protocol's own error strings. Knows nothing of env or AWS.
 */

export const HELPER_NAME = "docker-credential-codespaces";

const MISSING_SERVER_URL = "no credentials server URL";
const MISSING_USERNAME = "no credentials username";

/** `get` and `erase`: the server string, as received but for surrounding ASCII whitespace. */
export function parseServerRequest(text: string): string {
  const server = trimAsciiSpace(text);
  if (server === "") throw new HelperError(MISSING_SERVER_URL);
  return server;
}

export function formatGet(serverURL: string, credentials: Credentials): string {
  return JSON.stringify({ ServerURL: serverURL, Username: credentials.username, Secret: credentials.secret });
}

/** `list`: server URL → username. */
export function formatList(entries: ReadonlyArray<readonly [server: string, username: string]>): string {
  return JSON.stringify(Object.fromEntries(entries));
}

export interface StoreRequest {
  readonly serverURL: string;
  readonly username: string;
  readonly secret: string;
}

// Clients may send extra fields or omit Secret; only the three names matter.
const storeBody = z.object({
  ServerURL: z.optional(z.string()),
  Username: z.optional(z.string()),
  Secret: z.optional(z.string()),
});

/** Parses a `store` request. Messages never echo the input: it carries a secret. */
export function parseStoreRequest(text: string): StoreRequest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HelperError(
      'invalid store request: expected JSON {"ServerURL":…,"Username":…,"Secret":…} on stdin',
    );
  }
  const body = storeBody.safeParse(json);
  if (!body.success) {
    throw new HelperError(
      "invalid store request: ServerURL, Username and Secret must be strings in a JSON object",
    );
  }
  const { ServerURL = "", Username = "", Secret = "" } = body.data;
  if (trimAsciiSpace(ServerURL) === "") throw new HelperError(MISSING_SERVER_URL);
  if (trimAsciiSpace(Username) === "") throw new HelperError(MISSING_USERNAME);
  return { serverURL: ServerURL, username: Username, secret: Secret };
}

export const USAGE = `Usage: ${HELPER_NAME} <store|get|erase|list|version|configure|doctor|agent>`;

import { createHash } from "node:crypto";
import { connect, type Socket } from "node:net";
import type { AwsKeys, Credentials, Minted } from "../credentials.js";
import { ecrTokenExpiry } from "../ecr/token.js";
import type { Env } from "../registries.js";
import { servable, stillValid } from "./expiry.js";
import { encode, lineReader, Reply, type Token } from "./message.js";
import { socketPath } from "./place.js";

/**
 * The helper's side of the agent: look the token up before minting, hand a
 * fresh one over after. Any trouble with the agent (absent, unsafe socket
 * directory, garbage, silence, death) costs a bounded few ms and ends in a
 * direct mint; nothing here writes to stdout or stderr.
 */

export const AGENT_VARIABLE = "DOCKER_CREDENTIAL_CODESPACES_AGENT";
/** A live agent answers from memory within a millisecond or two; slower than this, it is not worth waiting for. */
const REPLY_MS = 200;
/** How long a waiter trusts the leaseholder's mint before minting itself. */
const WAIT_MS = 5_000;

/** Which identity a token belongs to: a registry plus static keys, or the default chain's environment. */
export interface Identity {
  readonly registry: string;
  readonly keys?: AwsKeys;
  readonly env: Env;
}

/**
 * SHA-256 of everything that decides which token a mint would yield: the
 * registry, the static keys, and every AWS_* setting plus HOME (where the
 * default chain's profiles live). A changed secret is a different key, and the
 * agent never learns a secret.
 */
export function lookupKey({ registry, keys, env }: Identity): string {
  const aws = Object.entries(env)
    .filter(([name, value]) => value !== undefined && (name.startsWith("AWS_") || name === "HOME"))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const material = ["docker-credential-codespaces/1", registry, keys ? [keys.accessKeyId, keys.secretAccessKey, keys.sessionToken ?? ""] : null, aws];
  return createHash("sha256").update(JSON.stringify(material)).digest("hex");
}

/** A cached token for `identity` if the agent has one, else `mint()` (single-flighted through the agent). */
export async function throughAgent(identity: Identity, mint: () => Promise<Minted>): Promise<Credentials> {
  const { env } = identity;
  if (env[AGENT_VARIABLE] === "off") return mint();
  const path = socketPath(env);
  if (path === undefined) return mint();
  const key = lookupKey(identity);
  const first = await exchange(path, key);
  if (first.kind === "absent") {
    const { spawnAgent } = await import("./spawn.js");
    spawnAgent(env);
    const minted = await mint();
    await handOver(path, key, minted);
    return minted;
  }
  return follow(first, mint);
}

type Opened =
  | { kind: "absent" }
  | { kind: "broken" }
  | { kind: "reply"; reply: Reply; socket: Socket; next: (ms: number) => Promise<Reply | undefined> };

/** Follows the agent's answer to a `get` until there is a login. */
async function follow(first: Opened, mint: () => Promise<Minted>): Promise<Credentials> {
  if (first.kind !== "reply") return mint();
  const { socket, next } = first;
  let reply: Reply | undefined = first.reply;
  if (reply.t === "wait") reply = await next(WAIT_MS);
  if (reply?.t === "lease") {
    let fresh: Minted;
    try {
      fresh = await mint();
    } catch (error) {
      socket.end(encode({ op: "fail" }));
      return fallback(error, reply.stale);
    }
    await put(socket, fresh);
    return fresh;
  }
  socket.destroy();
  if (reply?.t === "hit" && servable(reply, Date.now())) return login(reply.secret);
  if (reply?.t !== "mint") return mint();
  const { stale } = reply;
  return mint().catch((error: unknown) => fallback(error, stale));
}

/** A failed mint while a still-valid token exists (AWS unreachable, say): serve that token instead. */
function fallback(error: unknown, stale: Token | undefined): Minted {
  if (stale !== undefined && stillValid(stale, Date.now())) return login(stale.secret);
  throw error;
}

/** The leaseholder's token, with its expiry (AWS's expiresAt, else the one inside the token). */
async function put(socket: Socket, minted: Minted): Promise<void> {
  const expiresAt = (minted.expiresAt ?? ecrTokenExpiry(minted.secret))?.getTime();
  const message = expiresAt === undefined ? encode({ op: "fail" }) : encode({ op: "put", secret: minted.secret, expiresAt });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, REPLY_MS);
    socket.end(message, () => {
      clearTimeout(timer);
      resolve();
    });
  });
  socket.destroy();
}

/**
 * After spawning the agent: give it the token this process just minted, if it
 * already listens (it starts while the mint runs). One try, no waiting: a
 * later get hands over its own token.
 */
async function handOver(path: string, key: string, minted: Minted): Promise<void> {
  const opened = await exchange(path, key);
  if (opened.kind !== "reply") return;
  if (opened.reply.t === "lease") await put(opened.socket, minted);
  else opened.socket.destroy();
}

function login(secret: string): Minted {
  return { username: "AWS", secret };
}

/** Connects, sends `get` and reads the first reply, all within REPLY_MS. */
function exchange(path: string, key: string): Promise<Opened> {
  return request(path, encode({ op: "get", key }));
}

/** One request on a fresh connection; the socket stays open for the rest of the exchange. */
export function request(path: string, line: string): Promise<Opened> {
  return new Promise((resolve) => {
    const replies: Array<Reply | undefined> = [];
    let waiting: ((reply: Reply | undefined) => void) | undefined;
    const deliver = (reply: Reply | undefined) => {
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w(reply);
      } else replies.push(reply);
    };
    const next = (ms: number) =>
      new Promise<Reply | undefined>((res) => {
        if (replies.length > 0) return res(replies.shift());
        const timer = setTimeout(() => deliver(undefined), ms);
        waiting = (reply) => {
          clearTimeout(timer);
          res(reply);
        };
      });
    const socket = connect(path);
    let settled = false;
    const settle = (opened: Opened) => {
      if (settled) return;
      settled = true;
      if (opened.kind !== "reply") socket.destroy();
      resolve(opened);
    };
    // Timers run before I/O in an event-loop turn: a starved process would time out with the
    // reply already waiting. setImmediate gives that reply one poll phase first.
    socket.setTimeout(REPLY_MS, () => setImmediate(() => settle({ kind: "broken" })));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      settle({ kind: error.code === "ENOENT" || error.code === "ECONNREFUSED" ? "absent" : "broken" });
      deliver(undefined);
    });
    socket.on("close", () => {
      settle({ kind: "broken" });
      deliver(undefined);
    });
    socket.on(
      "data",
      lineReader(Reply, (reply) => {
        if (settled) return deliver(reply);
        if (reply === undefined) return settle({ kind: "broken" });
        settle({ kind: "reply", reply, socket, next });
      }),
    );
    socket.write(line);
  });
}

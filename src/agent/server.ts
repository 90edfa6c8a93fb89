import { statSync, unlinkSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import type { Env } from "../registries.js";
import { encode, lineReader, Request, type Reply, type Token } from "./message.js";
import { socketPath } from "./place.js";
import { servable, stillValid } from "./expiry.js";

/**
 * The agent: holds minted ECR tokens in memory, by lookup key, for this
 * user's helper processes. It never sees AWS keys (keys are SHA-256 digests)
 * and writes nothing but its socket. One `get` per key at a time is handed a
 * lease to mint; the others wait for its token.
 */

export const IDLE_VARIABLE = "DOCKER_CREDENTIAL_CODESPACES_AGENT_IDLE";
const DEFAULT_IDLE_S = 30 * 60;
/** How long a silent client, a waiter or a leaseholder may keep a connection. */
const FIRST_MESSAGE_MS = 2_000;
const FLIGHT_MS = 20_000;
/** Holding no valid token, the agent leaves once this long has passed without a request. */
const EMPTY_GRACE_MS = 5_000;
/** More identities than any one user has; past this, the oldest token is dropped. */
const MAX_TOKENS = 1_000;

interface Flight {
  readonly holder: Socket;
  readonly waiters: Set<Socket>;
  readonly stale: Token | undefined;
}

/** Idle time from DOCKER_CREDENTIAL_CODESPACES_AGENT_IDLE (seconds), else 30 minutes. */
export function idleMs(env: Env): number {
  const seconds = Number(env[IDLE_VARIABLE]);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_IDLE_S) * 1000;
}

/** Runs the agent until it is idle, empty, stopped or superseded. */
export async function serve(env: Env): Promise<void> {
  const path = socketPath(env);
  if (path === undefined) return;
  const idle = idleMs(env);
  const tokens = new Map<string, Token>();
  const flights = new Map<string, Flight>();
  const connections = new Set<Socket>();
  let lastActivity = Date.now();
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));

  const send = (socket: Socket, reply: Reply, end = true) => {
    if (end) socket.end(encode(reply));
    else socket.write(encode(reply));
  };

  /** The leaseholder's outcome goes to every waiter. */
  const land = (key: string, flight: Flight, token: Token | undefined) => {
    flights.delete(key);
    const now = Date.now();
    if (token !== undefined && stillValid(token, now)) {
      tokens.delete(key);
      // Bounded memory: the oldest entry makes room (a Map iterates in insertion order).
      if (tokens.size >= MAX_TOKENS) tokens.delete(tokens.keys().next().value ?? "");
      tokens.set(key, token);
    }
    for (const waiter of flight.waiters) {
      if (token !== undefined && servable(token, now)) send(waiter, { t: "hit", ...token });
      else send(waiter, { t: "mint", ...(flight.stale && stillValid(flight.stale, now) ? { stale: flight.stale } : {}) });
    }
  };

  const onConnection = (socket: Socket) => {
    connections.add(socket);
    lastActivity = Date.now();
    socket.setTimeout(FIRST_MESSAGE_MS, () => socket.destroy());
    socket.on("error", () => {});
    // The lease this connection holds: its flight stays in `flights` until it lands, which clears this.
    let held: { key: string; flight: Flight } | undefined;
    let waiting: Flight | undefined;
    socket.on("close", () => {
      connections.delete(socket);
      waiting?.waiters.delete(socket);
      if (held !== undefined) land(held.key, held.flight, undefined);
      lastActivity = Date.now();
    });
    socket.on(
      "data",
      lineReader(Request, (request) => {
        if (request === undefined) return void socket.destroy();
        switch (request.op) {
          case "get": {
            if (held !== undefined || waiting !== undefined) return void socket.destroy();
            const now = Date.now();
            const token = tokens.get(request.key);
            if (token !== undefined && servable(token, now)) return send(socket, { t: "hit", ...token });
            const stale = token !== undefined && stillValid(token, now) ? token : undefined;
            if (stale === undefined) tokens.delete(request.key);
            socket.setTimeout(FLIGHT_MS);
            const flight = flights.get(request.key);
            if (flight !== undefined) {
              flight.waiters.add(socket);
              waiting = flight;
              return send(socket, { t: "wait" }, false);
            }
            held = { key: request.key, flight: { holder: socket, waiters: new Set(), stale } };
            flights.set(held.key, held.flight);
            return send(socket, { t: "lease", ...(stale ? { stale } : {}) }, false);
          }
          case "put":
          case "fail": {
            if (held === undefined) return void socket.destroy();
            land(held.key, held.flight, request.op === "put" ? { secret: request.secret, expiresAt: request.expiresAt } : undefined);
            held = undefined;
            return send(socket, { t: "ok" });
          }
          case "status":
            return send(socket, {
              t: "status",
              pid: process.pid,
              tokens: [...tokens.values()].filter((token) => stillValid(token, Date.now())).length,
              leases: flights.size,
              idleExitMs: Math.max(0, lastActivity + idle - Date.now()),
            });
          case "stop":
            send(socket, { t: "ok" });
            return void shutdown(true);
        }
      }),
    );
  };

  const server = createServer(onConnection);
  const ino = await listen(server, path);
  if (ino === undefined) return;

  const tick = setInterval(() => {
    const now = Date.now();
    for (const [key, token] of tokens) if (!stillValid(token, now)) tokens.delete(key);
    let current: number | undefined;
    try {
      current = statSync(path).ino;
    } catch {
      // No socket at the path: not ours any more either.
    }
    // Another agent took the path over (after a crash left a stale socket): leave, without unlinking its socket.
    if (current !== ino) return shutdown(false);
    // A flight always has its leaseholder's connection open.
    if (connections.size > 0) return;
    const quiet = now - lastActivity;
    if (quiet >= idle || (tokens.size === 0 && quiet >= Math.min(idle, EMPTY_GRACE_MS))) shutdown(true);
  }, Math.min(idle, 1_000));

  function shutdown(unlink: boolean): void {
    clearInterval(tick);
    tokens.clear();
    for (const socket of connections) socket.destroy();
    // Closing a listening unix socket removes its file; an agent that lost its path must not.
    if (unlink) server.close(() => done());
    else done();
  }
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, () => shutdown(true));
  return finished;
}

/** Listens on `path`; replaces a stale socket a crashed agent left. Undefined when another agent is alive. */
async function listen(server: Server, path: string): Promise<number | undefined> {
  let error = await bind(server, path);
  if (error?.code === "EADDRINUSE" && !(await alive(path))) {
    try {
      unlinkSync(path);
    } catch {
      // Gone already, or not ours to remove: the second bind tells.
    }
    error = await bind(server, path);
  }
  return error === undefined ? statSync(path).ino : undefined;
}

function bind(server: Server, path: string): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    server.once("error", resolve);
    server.listen(path, () => {
      server.off("error", resolve);
      resolve(undefined);
    });
  });
}

function alive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

import { HelperError } from "../errors.js";
import type { Io } from "../cli.js";
import { encode } from "./message.js";
import { socketDir, socketPath } from "./place.js";

/** `agent serve|status|stop`: the one door from the CLI. `serve` is what a helper spawns. */
export async function agentCommand(io: Io): Promise<void> {
  const [action, ...rest] = io.argv;
  if (rest.length > 0 || (action !== "serve" && action !== "status" && action !== "stop")) {
    throw new HelperError("usage: agent <status|stop>");
  }
  if (action === "serve") {
    const { serve } = await import("./server.js");
    return serve(io.env);
  }
  const path = socketPath(io.env);
  if (path === undefined) {
    throw new HelperError(`${socketDir(io.env)} is not a private directory of this user (mode 0700), so no agent runs; remove it or fix its owner and mode`);
  }
  const { request } = await import("./client.js");
  const opened = await request(path, encode({ op: action }));
  const reply = opened.kind === "reply" ? opened.reply : undefined;
  if (opened.kind === "reply") opened.socket.destroy();
  if (reply?.t === "status") {
    const minutes = Math.ceil(reply.idleExitMs / 60_000);
    io.stdout(`agent running: pid ${reply.pid}, ${reply.tokens} token(s) in memory, ${reply.leases} mint(s) under way, exits after ${minutes} min idle\n`);
  } else if (reply?.t === "ok") io.stdout("agent stopped\n");
  else io.stdout("no agent running\n");
}

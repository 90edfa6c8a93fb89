import { spawn } from "node:child_process";
import type { Env } from "../registries.js";
import { IDLE_VARIABLE } from "./server.js";

/**
 * Starts the agent in its own session with no stdio, from this same program,
 * with none of the environment but what locates its socket and sets its idle time.
 */
export function spawnAgent(env: Env): void {
  const agentEnv = Object.fromEntries(
    ["XDG_RUNTIME_DIR", "TMPDIR", IDLE_VARIABLE].flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]]])),
  );
  // The single executable is the program itself; under node the script must be named again.
  const sea = process.getBuiltinModule?.("node:sea")?.isSea() ?? false;
  const script = sea ? [] : [process.argv[1] ?? ""];
  // cwd "/": a long-lived agent must not keep the caller's directory busy.
  const child = spawn(process.execPath, [...script, "agent", "serve"], { detached: true, stdio: "ignore", env: agentEnv, cwd: "/" });
  child.on("error", () => {});
  child.unref();
}

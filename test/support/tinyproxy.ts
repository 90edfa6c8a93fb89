/**
 * A real HTTP proxy on loopback: Debian's tinyproxy in the foreground, with
 * or without Basic proxy authentication, logging every request to a file the
 * test reads (the proxy's own record of what went through it).
 */
import { connect } from "node:net";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { requireProgram } from "./e2e/env.js";
import { freePort, startDaemon, stopDaemon, waitFor } from "./e2e/process.js";

export interface Tinyproxy {
  /** http://127.0.0.1:<port>, with user:password@ when it asks for credentials. */
  readonly url: string;
  /** http://127.0.0.1:<port>, never with credentials. */
  readonly address: string;
  readonly port: number;
  /** The request lines ("CONNECT host:port", "POST http://...") logged so far. */
  requests(): string[];
  stop(): Promise<void>;
}

export async function startTinyproxy(dir: string, auth?: { user: string; password: string }): Promise<Tinyproxy> {
  const tinyproxy = requireProgram("tinyproxy");
  const port = await freePort();
  const log = join(dir, `tinyproxy-${port}.log`);
  const conf = join(dir, `tinyproxy-${port}.conf`);
  writeFileSync(log, "");
  writeFileSync(
    conf,
    [`Port ${port}`, "Listen 127.0.0.1", "Allow 127.0.0.1", "Timeout 20", `LogFile "${log}"`, "LogLevel Connect", "MaxClients 20",
      ...(auth ? [`BasicAuth ${auth.user} ${auth.password}`] : [])].join("\n") + "\n",
  );
  const daemon = startDaemon("tinyproxy", tinyproxy, ["-d", "-c", conf], { PATH: "/usr/bin:/bin" });
  await waitFor(`tinyproxy on 127.0.0.1:${port}`, 10_000, () => {
    if (daemon.exited()) throw new Error(`tinyproxy exited: ${daemon.output()}`);
    return new Promise<true | undefined>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(undefined));
    });
  });
  return {
    url: `http://${auth ? `${auth.user}:${encodeURIComponent(auth.password)}@` : ""}127.0.0.1:${port}`,
    address: `http://127.0.0.1:${port}`,
    port,
    requests: () =>
      readFileSync(log, "latin1")
        .split("\n")
        .flatMap((line) => /\bRequest \(file descriptor \d+\): (\S+ \S+)/.exec(line)?.[1] ?? []),
    stop: () => stopDaemon(daemon),
  };
}

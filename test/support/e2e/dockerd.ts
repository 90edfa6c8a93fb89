import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { makeTempDir, removeDir, requireProgram } from "./env.js";
import { isAlive, startDaemon, stopDaemon, stopPid, waitFor, type Daemon } from "./process.js";

export interface DockerdOptions {
  /** Host names the daemon resolves (name → address), through a private /etc/hosts. */
  readonly hosts?: Readonly<Record<string, string>>;
  /**
   * Run the daemon in a network namespace of its own that has only a
   * loopback interface, carrying 127.0.0.1 and these extra addresses (use
   * TEST-NET ones, e.g. 192.0.2.x: nothing can route anywhere from there).
   * A registry on such an address is not "insecure" to dockerd (only
   * 127.0.0.0/8 is by default), so dockerd really verifies its TLS
   * certificate. Start registries inside it with `startRegistry({ netns: dockerd.netns })`.
   */
  readonly privateNetwork?: readonly string[];
  /** Storage driver; default vfs. overlay2 (needs an overlay-capable filesystem) spares copying a whole rootfs per layer. */
  readonly storageDriver?: "vfs" | "overlay2";
}

export interface Dockerd {
  /** The value for DOCKER_HOST. */
  readonly dockerHost: string;
  readonly socketPath: string;
  readonly pid: number;
  /** containerd started by dockerd itself (not the system's). */
  readonly containerdPid: number | undefined;
  readonly root: string;
  /** Path of the daemon's network namespace when started with privateNetwork. */
  readonly netns: string | undefined;
  /** Adds `name → address` to the daemon's private /etc/hosts (seen by it within seconds). */
  addHost(name: string, address: string): void;
  /** Makes the daemon trust `caPath` for `registry` (host[:port]) via its private /etc/docker/certs.d. */
  trustCa(registry: string, caPath: string): void;
  /** The daemon's log so far. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts a Docker engine of its own: data root, exec root, socket, pid file
 * and daemon.json in a temp dir; no iptables, no bridge, the vfs storage
 * driver; its own containerd (dockerd starts one under the exec root when no
 * --containerd is given). It runs inside its own mount namespace
 * (`unshare --mount`), where a private /etc/hosts and a private /etc/docker
 * are bind-mounted, so the daemon's name resolution, its certs.d trust store
 * and the key.json it writes never touch the machine's own files.
 */
export async function startDockerd(options: DockerdOptions = {}): Promise<Dockerd> {
  const dockerd = requireProgram("dockerd");
  const unshare = requireProgram("unshare");
  const root = makeTempDir("dockerd");
  const dirs = { data: join(root, "data"), exec: join(root, "exec"), run: join(root, "run"), etcDocker: join(root, "etc-docker") };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  mkdirSync(join(dirs.etcDocker, "certs.d"), { recursive: true });
  const hostsFile = join(root, "hosts");
  copyFileSync("/etc/hosts", hostsFile);
  for (const [name, address] of Object.entries(options.hosts ?? {})) appendFileSync(hostsFile, `${address}\t${name}\n`);
  const configFile = join(root, "daemon.json");
  writeFileSync(configFile, "{}\n");
  const socketPath = join(dirs.run, "docker.sock");
  const pidFile = join(dirs.run, "docker.pid");

  const args = [
    "--data-root", dirs.data,
    "--exec-root", dirs.exec,
    "--pidfile", pidFile,
    "--host", `unix://${socketPath}`,
    "--config-file", configFile,
    "--storage-driver", options.storageDriver ?? "vfs",
    "--iptables=false",
    "--ip6tables=false",
    "--ip-forward=false",
    "--ip-masq=false",
    "--bridge=none",
    "--log-level", "warn",
  ];
  // unshare without --fork execs in place, and so does the shell: the PID we
  // get is dockerd's own.
  const network = options.privateNetwork;
  const netSetup =
    network === undefined
      ? ""
      : ["ip link set lo up", ...network.map((address) => `ip addr add ${address}/32 dev lo`)].join(" && ") + " && ";
  for (const address of network ?? []) {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(address)) throw new Error(`privateNetwork: not an IPv4 address: ${address}`);
  }
  const script = `${netSetup}mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/docker && shift 2 && exec "$@"`;
  const daemon: Daemon = startDaemon(
    "dockerd",
    unshare,
    [
      "--mount", "--propagation", "private", ...(network === undefined ? [] : ["--net"]),
      "--", "/bin/sh", "-c", script, "sh", hostsFile, dirs.etcDocker, dockerd, ...args,
    ],
    { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", HOME: root },
  );

  let containerdPid: number | undefined;
  const stop = async (): Promise<void> => {
    const problems: string[] = [];
    try {
      await stopDaemon(daemon, 20_000);
    } catch (error) {
      problems.push(String(error));
    }
    if (containerdPid !== undefined && isAlive(containerdPid)) {
      problems.push(`dockerd's containerd (pid ${containerdPid}) outlived dockerd`);
      await stopPid("containerd", containerdPid).catch((error: unknown) => problems.push(String(error)));
    }
    if (existsSync(socketPath) && !daemon.exited()) problems.push("docker socket still served");
    if (problems.length === 0) removeDir(root);
    else throw new Error(`stopping dockerd: ${problems.join("; ")} (left ${root} for inspection)\n${daemon.output().slice(-4000)}`);
  };

  try {
    await waitFor("dockerd to answer /_ping", 60_000, async () => {
      if (daemon.exited()) throw new Error(`dockerd exited early:\n${daemon.output()}`);
      if (!existsSync(socketPath)) return undefined;
      return (await ping(socketPath)) ? true : undefined;
    });
    const written = Number(readFileSync(pidFile, "utf8").trim());
    if (written !== daemon.pid) throw new Error(`dockerd pid file says ${written}, spawned pid is ${daemon.pid}`);
    const containerdPidFile = join(dirs.exec, "containerd", "containerd.pid");
    if (existsSync(containerdPidFile)) containerdPid = Number(readFileSync(containerdPidFile, "utf8").trim()) || undefined;
  } catch (error) {
    await stop().catch(() => {});
    throw new Error(`dockerd did not start: ${String(error)}\n${daemon.output().slice(-4000)}`);
  }

  return {
    dockerHost: `unix://${socketPath}`,
    socketPath,
    pid: daemon.pid,
    containerdPid,
    root,
    netns: network === undefined ? undefined : `/proc/${daemon.pid}/ns/net`,
    addHost: (name, address) => appendFileSync(hostsFile, `${address}\t${name}\n`), // same inode: the bind mount sees it
    trustCa: (registry, caPath) => {
      const dir = join(dirs.etcDocker, "certs.d", registry);
      mkdirSync(dir, { recursive: true });
      copyFileSync(caPath, join(dir, "ca.crt"));
    },
    log: () => daemon.output(),
    stop,
  };
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: "/_ping", method: "GET", timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

import { randomBytes, randomInt } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { makeTempDir, removeDir, requireProgram } from "./env.js";
import { freePort, portIsFree, runOk, startDaemon, stopDaemon, waitFor } from "./process.js";
import type { ServerCert } from "./tls.js";

export interface RegistryOptions {
  /** user → password, stored bcrypt-hashed with htpasswd -B. None: an open registry (no auth). */
  readonly users?: Readonly<Record<string, string>>;
  /** Loopback address to listen on (default 127.0.0.1; ::1 too). */
  readonly address?: string;
  /** Port (default: a free one the kernel picks). */
  readonly port?: number;
  /** Serve HTTPS with this certificate. */
  readonly tls?: ServerCert;
  /** Token auth instead of htpasswd: the token service's realm, service and issuer, and the certificate its tokens carry. */
  readonly token?: { readonly realm: string; readonly service: string; readonly issuer: string; readonly rootCertBundle: string };
  /**
   * Run inside this network namespace (a dockerd's `netns`, see
   * startDockerd's privateNetwork) instead of the machine's. It is then
   * reachable only from that namespace, so readiness is read from its log.
   */
  readonly netns?: string;
}

export interface Registry {
  readonly address: string;
  readonly port: number;
  /** How clients name it: `address:port`, or the bare address on 443 with TLS. */
  readonly host: string;
  /** Base URL, e.g. http://127.0.0.1:40123. */
  readonly url: string;
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts the CNCF distribution registry (/usr/bin/docker-registry) with its
 * own config file and storage dir, on loopback, optionally behind htpasswd
 * (bcrypt) basic auth and TLS.
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  const registryBin = requireProgram("docker-registry");
  const address = options.address ?? "127.0.0.1";
  if (!address.startsWith("127.") && address !== "::1" && options.netns === undefined) {
    throw new Error(`registry must listen on loopback, not ${address} (other addresses only inside a private netns)`);
  }
  const port = options.port ?? (options.netns === undefined ? await freePort(address) : options.tls ? 443 : 5000);
  const hostPart = address.includes(":") ? `[${address}]` : address;
  const root = makeTempDir("registry");
  mkdirSync(join(root, "storage"));
  const lines = [
    "version: 0.1",
    "log:",
    `  level: ${options.netns === undefined ? "warn" : "info"}`,
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${JSON.stringify(join(root, "storage"))}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: ${JSON.stringify(`${hostPart}:${port}`)}`,
    `  secret: ${JSON.stringify(randomBytes(16).toString("hex"))}`,
  ];
  if (options.tls) {
    lines.push("  tls:", `    certificate: ${JSON.stringify(options.tls.certPath)}`, `    key: ${JSON.stringify(options.tls.keyPath)}`);
  }
  const users = Object.entries(options.users ?? {});
  if (users.length > 0) {
    const htpasswd = requireProgram("htpasswd");
    const file = join(root, "htpasswd");
    let content = "";
    for (const [user, password] of users) {
      // -B bcrypt, -b password from argv, -n print instead of updating a file
      const { stdout } = await runOk(htpasswd, ["-Bbn", user, password]);
      content += `${stdout.trim()}\n`;
    }
    writeFileSync(file, content, { mode: 0o600 });
    lines.push("auth:", "  htpasswd:", "    realm: e2e-registry", `    path: ${JSON.stringify(file)}`);
  } else if (options.token) {
    const t = options.token;
    lines.push("auth:", "  token:", ...Object.entries({ realm: t.realm, service: t.service, issuer: t.issuer, rootcertbundle: t.rootCertBundle }).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`));
  }
  const configPath = join(root, "config.yml");
  writeFileSync(configPath, `${lines.join("\n")}\n`);

  const env = { PATH: "/usr/bin:/bin", HOME: root };
  // nsenter --net joins the namespace and execs in place: the PID is the registry's.
  const daemon =
    options.netns === undefined
      ? startDaemon("docker-registry", registryBin, ["serve", configPath], env)
      : startDaemon("docker-registry", requireProgram("nsenter"), [`--net=${options.netns}`, "--", registryBin, "serve", configPath], env);
  const scheme = options.tls ? "https" : "http";
  const stop = async (): Promise<void> => {
    await stopDaemon(daemon, 10_000);
    removeDir(root);
  };
  try {
    await waitFor(`registry on ${address}:${port}`, 20_000, async () => {
      if (daemon.exited()) throw new Error(`docker-registry exited early:\n${daemon.output()}`);
      if (options.netns !== undefined) return daemon.output().includes(`listening on ${address}:${port}`) ? 200 : undefined;
      const status = await probe(scheme, address, port);
      return status === 200 || status === 401 ? status : undefined;
    });
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
  const host = options.tls && port === 443 ? hostPart : `${hostPart}:${port}`;
  return { address, port, host, url: `${scheme}://${host}`, log: () => daemon.output(), stop };
}

function probe(scheme: "http" | "https", host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const request = scheme === "https" ? httpsRequest : httpRequest;
    const req = request({ host, port, path: "/v2/", method: "GET", timeout: 2_000, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on("error", () => resolve(undefined));
    req.on("timeout", () => {
      req.destroy();
      resolve(undefined);
    });
    req.end();
  });
}

/**
 * A random loopback address other than 127.0.0.1 whose `port` is free, so a
 * registry can take port 443 (as an ECR host needs) without colliding.
 */
export async function freeLoopbackAddress(port: number): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const address = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    if (await portIsFree(address, port)) return address;
  }
  throw new Error(`no free loopback address for port ${port}`);
}

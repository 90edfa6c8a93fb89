/**
 * A loopback server laid out like an npm registry's tarball URLs
 * (`/<name>/-/<name>-<version>.tgz`), serving exactly the files it is given
 * and 404 for anything else. Records every path asked for.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface StaticRegistry {
  readonly url: string;
  readonly requests: string[];
  close(): Promise<void>;
}

/** `files`: tarball file name → bytes; each is served under its package's path. */
export async function startStaticRegistry(files: ReadonlyMap<string, Buffer>): Promise<StaticRegistry> {
  const routes = new Map<string, Buffer>();
  for (const [file, bytes] of files) {
    const name = /^(.*)-\d+\.\d+\.\d+[^/]*\.tgz$/.exec(file)?.[1];
    if (name === undefined) throw new Error(`not an npm tarball name: ${file}`);
    routes.set(`/${name}/-/${file}`, bytes);
  }
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? "";
    requests.push(path);
    const body = req.method === "GET" ? routes.get(path) : undefined;
    if (body === undefined) {
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":"Not found"}');
      return;
    }
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

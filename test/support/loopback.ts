import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";

export interface Listening {
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 at a free port; close() also drops kept-alive connections. */
export async function listenOnLoopback(server: Server & { closeAllConnections?: () => void }): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

/** A port on 127.0.0.1 with nothing listening (just freed): a request to it is refused. */
export async function closedLoopbackPort(): Promise<number> {
  const listening = await listenOnLoopback(createServer());
  await listening.close();
  return Number(new URL(listening.url).port);
}

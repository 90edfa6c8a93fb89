import { readSync, writeSync } from "node:fs";
import { run } from "./cli.js";
import { HELPER_NAME } from "./protocol.js";

// The process entry point. Requests and answers are tiny, so stdin, stdout and
// stderr go through their file descriptors synchronously: merely touching
// process.stdin or process.stdout on a pipe loads the net and stream
// machinery, several ms of every call. The streams are only the fallback for
// a non-blocking descriptor (EAGAIN).

type Fd = 1 | 2;
/** Why writing to a descriptor failed (ENOSPC, EPIPE …); later writes to it are dropped. */
const failed = new Map<Fd, string>();
const streamed = new Set<Fd>();
const flushes: Promise<void>[] = [];

async function* stdin(): AsyncGenerator<Uint8Array, void, undefined> {
  const buffer = Buffer.alloc(16 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buffer);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EBADF") return; // stdin closed: no input
      if (code !== "EAGAIN") throw error;
      yield* process.stdin;
      return;
    }
    if (n === 0) return;
    yield Buffer.from(buffer.subarray(0, n));
  }
}

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException | null)?.code ?? "EIO";

function writer(fd: Fd): (text: string) => void {
  return (text) => {
    if (failed.has(fd)) return;
    const bytes = Buffer.from(text);
    let offset = 0;
    if (!streamed.has(fd)) {
      try {
        while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
        return;
      } catch (error) {
        if (errorCode(error) !== "EAGAIN") {
          failed.set(fd, errorCode(error));
          return;
        }
        streamed.add(fd);
        // Failures arrive through the write callback; without a listener they would crash the process.
        (fd === 1 ? process.stdout : process.stderr).on("error", () => {});
      }
    }
    const stream = fd === 1 ? process.stdout : process.stderr;
    flushes.push(
      new Promise((resolve) =>
        stream.write(bytes.subarray(offset), (error) => {
          if (error) failed.set(fd, errorCode(error));
          resolve();
        }),
      ),
    );
  };
}

async function main(): Promise<number> {
  const stderr = writer(2);
  const code = await run({ argv: process.argv.slice(2), env: process.env, stdin: stdin(), stdout: writer(1), stderr });
  await Promise.all(flushes);
  // A client that got no answer must not see success; stderr is the only place left to say why.
  const lost = failed.get(1);
  if (lost === undefined) return code;
  stderr(`${HELPER_NAME}: could not write to stdout (${lost}); the client got no answer\n`);
  await Promise.all(flushes);
  return 1;
}

// Exit at once: an idle keep-alive socket must not delay the client.
main().then((code) => process.exit(code));

import { readSync, writeSync } from "node:fs";
import { run } from "./cli.js";

// The process entry point. Requests and answers are tiny, so stdin, stdout and
// stderr go through their file descriptors synchronously: merely touching
// process.stdin or process.stdout on a pipe loads the net and stream
// machinery, several ms of every call. The streams are only the fallback for
// a non-blocking descriptor (EAGAIN).

let streamed = false;

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

function writer(fd: 1 | 2): (text: string) => void {
  return (text) => {
    const bytes = Buffer.from(text);
    let offset = 0;
    try {
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
    } catch {
      streamed = true;
      (fd === 1 ? process.stdout : process.stderr).write(bytes.subarray(offset));
    }
  };
}

run({ argv: process.argv.slice(2), env: process.env, stdin: stdin(), stdout: writer(1), stderr: writer(2) }).then(
  (code) => {
    // Exit at once: an idle keep-alive socket must not delay the client. Flush a fallback write first.
    if (streamed) process.stdout.write("", () => process.exit(code));
    else process.exit(code);
  },
);

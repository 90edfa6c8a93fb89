import type { Io } from "../../src/cli.js";
import { run } from "../../src/cli.js";

export interface InProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process through `run(io)`, with `stdin` as one chunk, and collects what it prints. */
export async function runInProcess(
  argv: readonly string[],
  options: { stdin?: string | Uint8Array; env?: Record<string, string | undefined> } = {},
): Promise<InProcessResult> {
  let stdout = "";
  let stderr = "";
  const input = options.stdin === undefined ? [] : [typeof options.stdin === "string" ? Buffer.from(options.stdin) : options.stdin];
  const io: Io = {
    argv,
    env: options.env ?? {},
    stdin: (async function* () {
      yield* input;
    })(),
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  };
  const code = await run(io);
  return { code, stdout, stderr };
}

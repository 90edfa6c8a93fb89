import { HelperError } from "./errors.js";

/** Server strings and store requests are tiny; anything this large is not a request. */
export const MAX_INPUT_BYTES = 64 * 1024;

/**
 * Reads a whole request from stdin, at most {@link MAX_INPUT_BYTES}, and
 * decodes it as UTF-8. Stops reading as soon as the bound is passed.
 */
export async function readInput(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      size += chunk.length;
      if (size > MAX_INPUT_BYTES) {
        throw new HelperError(`input too large: more than ${MAX_INPUT_BYTES} bytes on stdin`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    throw unreadable(error);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new HelperError("invalid input: stdin is not valid UTF-8");
  }
  if (text.includes("\0")) throw new HelperError("invalid input: stdin contains a NUL byte");
  return text;
}

/** A read error of the descriptor itself (a directory, an I/O error) as one plain line. */
function unreadable(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (error instanceof HelperError || typeof code !== "string") return error;
  if (code === "EISDIR") return new HelperError("cannot read the request: stdin is a directory; pipe the request into the helper");
  return new HelperError(`cannot read the request from stdin (${code}); pipe the request into the helper`);
}

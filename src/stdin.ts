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
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > MAX_INPUT_BYTES) {
      throw new HelperError(`input too large: more than ${MAX_INPUT_BYTES} bytes on stdin`);
    }
    chunks.push(chunk);
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

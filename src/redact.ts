/**
 * The one redactor for every message the helper prints other than the answer
 * itself (errors, notes, debug lines). Each secret is blanked whatever its
 * length, plain or percent-encoded in any mix of escapes and hex case (as it
 * appears in a URL or a signed query), with `+` or %20 for a space.
 */
export type Redact = (text: string) => string;

export const REDACTED = "<redacted>";

export function createRedactor(secrets: Iterable<string | undefined>): Redact {
  const unique = [...new Set([...secrets].filter((s): s is string => s !== undefined && s !== ""))];
  if (unique.length === 0) return (text) => text;
  // Longest first, so a secret that contains another is blanked whole.
  const pattern = unique.sort((a, b) => b.length - a.length).map(spellings).join("|");
  const any = new RegExp(pattern, "gu");
  return (text) => text.replace(any, REDACTED);
}

/** A pattern matching `secret` with each character written as itself or as its %XX escapes. */
function spellings(secret: string): string {
  let out = "";
  for (const char of secret) {
    const escaped = [...Buffer.from(char, "utf8")].map((byte) => `%${hexEitherCase(byte)}`).join("");
    const literal = `\\u{${char.codePointAt(0)!.toString(16)}}`;
    out += `(?:${literal}|${escaped}${char === " " ? "|\\+" : ""})`;
  }
  return out;
}

function hexEitherCase(byte: number): string {
  return [...byte.toString(16).padStart(2, "0")].map((d) => (/[a-f]/.test(d) ? `[${d}${d.toUpperCase()}]` : d)).join("");
}

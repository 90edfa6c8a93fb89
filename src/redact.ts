/**
 * The one redactor for every message the helper prints other than the answer
 * itself (errors, notes, debug lines). Each secret is blanked whatever its
 * length, plain or percent-encoded in any mix of escapes and hex case (as it
 * appears in a URL or a signed query), with `+` or %20 for a space.
 */
export type Redact = (text: string) => string;

export const REDACTED = "<redacted>";

/**
 * Below this many characters a secret is blanked where it stands on its own,
 * not inside a longer word: a one-letter password must not blank every such
 * letter of every message (the helper's own name included), and "p" inside
 * "help" tells nobody anything. From this length on, anywhere.
 */
export const SHORT_SECRET = 8;

// Characters that continue a word, a host or a URL segment.
const WORD = "[A-Za-z0-9._~-]";

export function createRedactor(secrets: Iterable<string | undefined>): Redact {
  const unique = [...new Set([...secrets].filter((s): s is string => s !== undefined && s !== ""))];
  if (unique.length === 0) return (text) => text;
  // Longest first, so a secret that contains another is blanked whole.
  const pattern = unique.sort((a, b) => b.length - a.length).map(secretPattern).join("|");
  const any = new RegExp(pattern, "gu");
  return (text) => text.replace(any, REDACTED);
}

function secretPattern(secret: string): string {
  const chars = [...secret];
  const body = chars.map(spellings).join("");
  if (chars.length >= SHORT_SECRET) return body;
  const word = new RegExp(`^${WORD}$`);
  const before = word.test(chars[0]!) ? `(?<!${WORD})` : "";
  const after = word.test(chars[chars.length - 1]!) ? `(?!${WORD})` : "";
  return `${before}${body}${after}`;
}

/** A pattern matching one character as itself or as its %XX escapes. */
function spellings(char: string): string {
  const escaped = [...Buffer.from(char, "utf8")].map((byte) => `%${hexEitherCase(byte)}`).join("");
  const literal = `\\u{${char.codePointAt(0)!.toString(16)}}`;
  return `(?:${literal}|${escaped}${char === " " ? "|\\+" : ""})`;
}

function hexEitherCase(byte: number): string {
  return [...byte.toString(16).padStart(2, "0")].map((d) => (/[a-f]/.test(d) ? `[${d}${d.toUpperCase()}]` : d)).join("");
}

/**
 * Parsing `WWW-Authenticate` (RFC 9110 §11.6.1): one or more challenges,
 * each a scheme followed by a token68 or comma-separated `name=value`
 * parameters (token or quoted-string), several challenges in one header
 * separated by commas as well. Hand-written: the grammar is small, and the
 * packages for it are unmaintained or bring a whole HTTP auth client.
 */

export interface Challenge {
  /** Lower case: "basic", "bearer", … */
  readonly scheme: string;
  /** Parameter names in lower case; values unquoted. */
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;
const TOKEN68 = /^[A-Za-z0-9._~+/-]+=*/;

/** Every challenge in the header value(s); malformed tails are dropped, never guessed at. */
export function parseChallenges(header: string | readonly string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const values = typeof header === "string" ? [header] : header;
  return values.flatMap(parseOne);
}

function parseOne(value: string): Challenge[] {
  const challenges: Challenge[] = [];
  let rest = value;
  const skip = (pattern: RegExp) => {
    rest = rest.replace(pattern, "");
  };
  for (let guard = 0; guard < 100; guard++) {
    skip(/^[\s,]+/);
    const scheme = TOKEN.exec(rest)?.[0];
    if (scheme === undefined) break;
    rest = rest.slice(scheme.length);
    const params: Record<string, string> = {};
    challenges.push({ scheme: scheme.toLowerCase(), params });
    skip(/^[ \t]+/);
    // A token68 (e.g. "Basic dXNlcg==") is a lone word not followed by "=value".
    const lone = TOKEN68.exec(rest)?.[0];
    if (lone !== undefined && !/^\s*=/.test(rest.slice(lone.length)) && /^\s*(,|$)/.test(rest.slice(lone.length))) {
      rest = rest.slice(lone.length);
      continue;
    }
    // Parameters until the next "scheme " (a token not followed by "=") or the end.
    for (let p = 0; p < 100; p++) {
      skip(/^[\s,]+/);
      const name = TOKEN.exec(rest)?.[0];
      if (name === undefined || !/^\s*=/.test(rest.slice(name.length))) break;
      rest = rest.slice(name.length).replace(/^\s*=\s*/, "");
      const parsed = rest.startsWith('"') ? quoted(rest) : token(rest);
      if (parsed === undefined) return challenges;
      params[name.toLowerCase()] = parsed.value;
      rest = rest.slice(parsed.length);
    }
  }
  return challenges;
}

function quoted(text: string): { value: string; length: number } | undefined {
  let value = "";
  for (let i = 1; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && i + 1 < text.length) value += text[++i];
    else if (c === '"') return { value, length: i + 1 };
    else value += c;
  }
  return undefined; // unterminated
}

function token(text: string): { value: string; length: number } | undefined {
  const value = TOKEN.exec(text)?.[0];
  return value === undefined ? undefined : { value, length: value.length };
}

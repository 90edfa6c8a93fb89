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

// Patterns inside functions, not module constants: built per call, like the rest of the parse.
function tokenAt(text: string): string | undefined {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/.exec(text)?.[0];
}
function token68At(text: string): string | undefined {
  return /^[A-Za-z0-9._~+/-]+=*/.exec(text)?.[0];
}

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
    const scheme = tokenAt(rest);
    if (scheme === undefined) break;
    rest = rest.slice(scheme.length);
    const params: Record<string, string> = {};
    challenges.push({ scheme: scheme.toLowerCase(), params });
    skip(/^[ \t]+/);
    // A token68 (e.g. "Basic dXNlcg==") is a lone word not followed by "=value".
    const lone = token68At(rest);
    if (lone !== undefined && /^\s*(,|$)/.test(rest.slice(lone.length))) {
      rest = rest.slice(lone.length);
      continue;
    }
    // Parameters until the next "scheme " (a token not followed by "=") or the end.
    for (let p = 0; p < 100; p++) {
      skip(/^[\s,]+/);
      const name = tokenAt(rest);
      if (name === undefined) break;
      const equals = /^\s*=\s*/.exec(rest.slice(name.length))?.[0];
      if (equals === undefined) break;
      rest = rest.slice(name.length + equals.length);
      const parsed = rest.startsWith('"') ? quoted(rest) : token(rest);
      if (parsed === undefined) return challenges;
      params[name.toLowerCase()] = parsed.value;
      rest = rest.slice(parsed.length);
    }
  }
  return challenges;
}

/** A quoted-string (`text` starts with its `"`): a backslash takes the next character as it is; unterminated is nothing. */
function quoted(text: string): { value: string; length: number } | undefined {
  const body = /^(?:[^"\\]|\\[^])*"/.exec(text.slice(1))?.[0];
  return body === undefined ? undefined : { value: body.slice(0, -1).replace(/\\([^])/g, "$1"), length: body.length + 1 };
}

function token(text: string): { value: string; length: number } | undefined {
  const value = tokenAt(text);
  return value === undefined ? undefined : { value, length: value.length };
}

/** Decoding ECR authorization tokens and passwords. No AWS SDK here (light path). */

// One character class, no repeated group: a quantified group makes V8's
// backtracking regex recurse per repetition and overflow the stack on long input.
const NOT_BASE64 = /[^A-Za-z0-9+/]/;

function strictBase64(text: string): string | undefined {
  // Buffer.from silently skips bad characters, so check the alphabet and padding first.
  if (text.length === 0 || text.length % 4 !== 0) return undefined;
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  if (NOT_BASE64.test(text.slice(0, text.length - padding))) return undefined;
  return Buffer.from(text, "base64").toString("utf8");
}

/**
 * When an ECR registry password expires, if it has the usual shape: base64 of
 * a JSON object whose `expiration` is epoch seconds. Undefined otherwise.
 */
export function ecrTokenExpiry(password: string): Date | undefined {
  const json = strictBase64(password);
  if (json === undefined) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    // Not JSON: data stays undefined, which the next check refuses.
  }
  if (typeof data !== "object" || data === null) return undefined;
  const exp = (data as { expiration?: unknown }).expiration;
  if (typeof exp !== "number" || !Number.isFinite(exp) || exp <= 0) return undefined;
  const when = new Date(exp * 1000);
  return Number.isNaN(when.getTime()) ? undefined : when;
}

/** The registry password in GetAuthorizationToken's `authorizationToken` (base64 of `AWS:<password>`), if it has that shape. */
export function passwordOfAuthorizationToken(token: string): string | undefined {
  const text = strictBase64(token);
  if (text === undefined || !text.startsWith("AWS:")) return undefined;
  const password = text.slice("AWS:".length);
  // Control characters would corrupt the one-line protocol answer.
  return password === "" || /[\u0000-\u001f\u007f]/.test(password) ? undefined : password;
}

/** Decoding ECR authorization tokens and passwords. No AWS SDK here (light path). */
import { HelperError } from "../errors.js";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function strictBase64(text: string): string | undefined {
  // Buffer.from silently skips bad characters, so check the alphabet first.
  if (text.length === 0 || !BASE64.test(text)) return undefined;
  return Buffer.from(text, "base64").toString("utf8");
}

/**
 * When an ECR registry password expires, if it has the usual shape: base64 of
 * a JSON object whose `expiration` is epoch seconds. Undefined otherwise.
 */
export function ecrTokenExpiry(password: string): Date | undefined {
  try {
    const json = strictBase64(password);
    if (json === undefined) return undefined;
    const data: unknown = JSON.parse(json);
    if (typeof data !== "object" || data === null) return undefined;
    const exp = (data as { expiration?: unknown }).expiration;
    if (typeof exp !== "number" || !Number.isFinite(exp) || exp <= 0) return undefined;
    const when = new Date(exp * 1000);
    return Number.isNaN(when.getTime()) ? undefined : when;
  } catch {
    return undefined;
  }
}

/** Split GetAuthorizationToken's `authorizationToken` (base64 of `AWS:<password>`). */
export function decodeAuthorizationToken(token: string): { username: string; password: string } {
  const text = strictBase64(token);
  const colon = text?.indexOf(":") ?? -1;
  const username = text?.slice(0, colon);
  const password = text?.slice(colon + 1);
  // Control characters would corrupt the one-line protocol answer.
  if (colon < 0 || username !== "AWS" || !password || /[\u0000-\u001f\u007f]/.test(password)) {
    throw new HelperError(
      "malformed response: the ECR authorization token is not base64 of AWS:<password>",
    );
  }
  return { username, password };
}

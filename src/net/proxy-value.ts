/**
 * Reading the proxy variables, apart from the rest of net/ because the CLI's
 * redactor needs the passwords on every call: nothing imported, so the
 * static `get` loads nothing of node:net for it.
 */
import type { Env } from "../registries.js";

/** A proxy variable's value; "host:port" without a scheme means http://, as curl and Go read it. */
export function proxyValue(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
}

/**
 * Passwords inside the proxy variables (as written and decoded), to blank out
 * of any text. The password runs to the last "@", as URL parsers read it, so
 * an unescaped "@" or "/" in it (a URL no parser accepts) is still found whole.
 */
export function proxyPasswords(env: Env): string[] {
  const out: string[] = [];
  for (const name of ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"]) {
    const m = /^[a-z][a-z0-9+.-]*:\/\/[^/@:\s]*:(.+)@/is.exec(proxyValue(env, name) ?? "");
    if (!m?.[1]) continue;
    out.push(m[1]);
    try {
      out.push(decodeURIComponent(m[1]));
    } catch {
      // Not percent-encoded validly: the raw form is all there is.
    }
  }
  return [...new Set(out)];
}

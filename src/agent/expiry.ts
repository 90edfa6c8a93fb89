import type { Token } from "./message.js";

/** A token is handed out only until this long before it expires, so a pull never starts with one about to lapse. */
export const MARGIN_MS = 5 * 60 * 1000;

export function servable(token: Token, now: number): boolean {
  return now < token.expiresAt - MARGIN_MS;
}

/** Still accepted by the registry: only a fallback when a fresh mint fails. */
export function stillValid(token: Token, now: number): boolean {
  return now < token.expiresAt;
}

import * as z from "zod/mini";

/**
 * The agent's wire format, shared by server and client: one JSON object per
 * line over a unix socket, one exchange per connection. Both sides validate
 * every line they read; anything else ends the exchange.
 *
 * get → hit | lease | wait (then later hit | mint)
 * after lease: put | fail (the leaseholder's outcome, on the same connection)
 */

/** Never more than a token and some numbers: a longer line is garbage. */
export const MAX_LINE_BYTES = 64 * 1024;

const key = z.string().check(z.regex(/^[0-9a-f]{64}$/));
const token = z.object({ secret: z.string().check(z.minLength(1)), expiresAt: z.number() });

export const Request = z.discriminatedUnion("op", [
  z.object({ op: z.literal("get"), key }),
  z.object({ op: z.literal("put"), ...token.shape }),
  z.object({ op: z.literal("fail") }),
  z.object({ op: z.literal("status") }),
  z.object({ op: z.literal("stop") }),
]);
export type Request = z.infer<typeof Request>;

export const Reply = z.discriminatedUnion("t", [
  z.object({ t: z.literal("hit"), ...token.shape }),
  /** You mint, others wait; `stale` is a still-valid token to fall back on if minting fails. */
  z.object({ t: z.literal("lease"), stale: z.optional(token) }),
  z.object({ t: z.literal("wait") }),
  /** The leaseholder failed or vanished: mint yourself. */
  z.object({ t: z.literal("mint"), stale: z.optional(token) }),
  z.object({ t: z.literal("status"), pid: z.number(), tokens: z.number(), leases: z.number(), idleExitMs: z.number() }),
  z.object({ t: z.literal("ok") }),
]);
export type Reply = z.infer<typeof Reply>;
export type Token = z.infer<typeof token>;

/** One message as a line. */
export function encode(message: Request | Reply): string {
  return `${JSON.stringify(message)}\n`;
}

/** Splits incoming bytes into lines and hands each parsed message on; undefined for a line that is not one. */
export function lineReader<T>(schema: z.ZodMiniType<T>, onMessage: (message: T | undefined) => void): (chunk: Buffer) => void {
  let pending = "";
  return (chunk) => {
    pending += chunk.toString("utf8");
    if (pending.length > MAX_LINE_BYTES) {
      pending = "";
      onMessage(undefined);
      return;
    }
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        // Not JSON: left undefined, which no schema here accepts.
      }
      const parsed = schema.safeParse(json);
      onMessage(parsed.success ? parsed.data : undefined);
    }
  };
}

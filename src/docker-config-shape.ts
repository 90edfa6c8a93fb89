import * as z from "zod/mini";

/**
 * The parts of docker's config.json (and the containers auth.json) that
 * route credentials, as both `configure` and `doctor` read them. Docker (Go)
 * reads a null map as empty, so null is accepted wherever a map is.
 */
export const authEntry = z.looseObject({
  auth: z.optional(z.string()),
  username: z.optional(z.string()),
  password: z.optional(z.string()),
  identitytoken: z.optional(z.string()),
  registrytoken: z.optional(z.string()),
});

export const helperMap = z.optional(z.nullable(z.record(z.string(), z.string())));

export const nullableMap = <T extends z.ZodMiniType>(value: T) => z.optional(z.nullable(z.record(z.string(), value)));

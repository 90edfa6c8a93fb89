/**
 * The one error type that reaches the user. Its message becomes the single
 * line the helper prints on stdout before exiting 1, so it must name the
 * problem and what to do, and must never contain a secret.
 */
export class HelperError extends Error {
  override readonly name = "HelperError";
}

/** The protocol's "not found": clients compare stdout to this exact text and continue anonymously. */
export const NOT_FOUND_MESSAGE = "credentials not found in native keychain";

export class NotFoundError extends HelperError {
  constructor() {
    super(NOT_FOUND_MESSAGE);
  }
}

/** The AWS credential chain found nothing at all (as opposed to credentials that failed). */
export class NoAwsCredentialsError extends HelperError {}

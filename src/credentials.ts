/** What a resolved registry login is: the two values the protocol's `get` returns. */
export interface Credentials {
  readonly username: string;
  readonly secret: string;
}

/** A minted login, with when AWS says it expires (if it said). */
export interface Minted extends Credentials {
  readonly expiresAt?: Date;
}

/** Static AWS keys taken from a triple (USER = access key id, PASSWORD = secret key). */
export interface AwsKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

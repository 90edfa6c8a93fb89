import { describe, expect, it, vi } from "vitest";
import { parseEcrHost } from "../../src/ecr/host.js";
import { Context, Deadline, explain, Malformed, redact, seconds } from "../../src/ecr/failure.js";
import { DEFAULT_LIMITS, type MintRequest } from "../../src/ecr/mint.js";

// explain() in-process, one branch per row, with the exact line the user reads:
// the SDK-driven suite (ecr-mint.test.ts) reaches these through a fake, this one
// pins every wording, variable name and tag.
const SECRET = "sEcReT/kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk";
const PRIVATE = parseEcrHost("123456789012.dkr.ecr.us-east-1.amazonaws.com")!;
const H = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
const URL = "http://127.0.0.1:9/";
const limits = { ...DEFAULT_LIMITS, totalMs: 1500, maxAttempts: 3 };
const req = (over: Partial<MintRequest> = {}): MintRequest => ({
  host: PRIVATE,
  env: {},
  source: "ECR_CONTAINER_REGISTRY_*",
  keys: { accessKeyId: "AKIAFAKEFAILURE00001", secretAccessKey: SECRET, sessionToken: "sess-token-xyz" },
  ...over,
});
const ctx = (over: Partial<MintRequest> = {}, endpoint = "http://user:pw@127.0.0.1:9") => new Context(req(over), endpoint);
const live = new AbortController().signal;
const sdkError = (name: string, status?: number, message = "", extra: object = {}) =>
  Object.assign(new Error(message), { name, ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }), ...extra });

describe("explain", () => {
  it.each([
    ["unknown key", sdkError("UnrecognizedClientException", 400), `${H}: AWS rejected the access key id in ECR_CONTAINER_REGISTRY_USER (UnrecognizedClientException, HTTP 400); check that it is correct and the key is still active`],
    ["unknown key, no status", sdkError("InvalidClientTokenId"), `${H}: AWS rejected the access key id in ECR_CONTAINER_REGISTRY_USER (InvalidClientTokenId); check that it is correct and the key is still active`],
    ["clock", sdkError("RequestExpired", 400), `${H}: AWS rejected the request time (RequestExpired, HTTP 400); the system clock is probably wrong`],
    ["clock in a signature error", sdkError("InvalidSignatureException", 403, "Signature expired: 20200101T000000Z is now earlier than"), `${H}: AWS rejected the request time (InvalidSignatureException, HTTP 403); the system clock is probably wrong`],
    ["clock skew wording", sdkError("SignatureDoesNotMatch", 403, "Clock skew too large"), `${H}: AWS rejected the request time (SignatureDoesNotMatch, HTTP 403); the system clock is probably wrong`],
    ["signature", sdkError("SignatureDoesNotMatch", 403, "The request signature we calculated does not match"), `${H}: AWS rejected the signature (SignatureDoesNotMatch, HTTP 403): the secret key in ECR_CONTAINER_REGISTRY_PASSWORD does not match its access key id`],
    ["signature (ECR's name)", sdkError("InvalidSignatureException", 400, "bad"), `${H}: AWS rejected the signature (InvalidSignatureException, HTTP 400): the secret key in ECR_CONTAINER_REGISTRY_PASSWORD does not match its access key id`],
    ["expired session", sdkError("ExpiredTokenException", 400), `${H}: the session token in ECR_CONTAINER_REGISTRY_SESSION_TOKEN has expired (ExpiredTokenException, HTTP 400); refresh the temporary AWS credentials`],
    ["expired session (STS name)", sdkError("ExpiredToken", 403), `${H}: the session token in ECR_CONTAINER_REGISTRY_SESSION_TOKEN has expired (ExpiredToken, HTTP 403); refresh the temporary AWS credentials`],
    ["denied, naming the identity", sdkError("AccessDeniedException", 400, "User: arn:aws:iam::111122223333:user/dev-1 is not authorized to perform"), `${H}: AWS denied arn:aws:iam::111122223333:user/dev-1 permission to mint a registry token (AccessDeniedException, HTTP 400); grant it ecr:GetAuthorizationToken`],
    ["denied by status", sdkError("Forbidden", 403, "no"), `${H}: AWS denied the identity permission to mint a registry token (Forbidden, HTTP 403); grant it ecr:GetAuthorizationToken`],
    ["throttled", sdkError("ThrottlingException", 400), `${H}: AWS kept throttling GetAuthorizationToken at ${URL} after 3 attempts (ThrottlingException, HTTP 400); try again shortly`],
    ["throttled by status", sdkError("SlowDown", 429), `${H}: AWS kept throttling GetAuthorizationToken at ${URL} after 3 attempts (SlowDown, HTTP 429); try again shortly`],
    ["timeout", sdkError("TimeoutError"), `${H}: ${URL} did not answer in time (TimeoutError); check network access to AWS`],
    ["socket timeout", sdkError("Error", undefined, "", { code: "ETIMEDOUT" }), `${H}: ${URL} did not answer in time (Error); check network access to AWS`],
    ["refused", sdkError("Error", undefined, "", { code: "ECONNREFUSED" }), `${H}: could not reach ${URL} (ECONNREFUSED); check network access to AWS or AWS_ENDPOINT_URL*`],
    ["DNS, in the cause", sdkError("Error", undefined, "", { cause: { code: "ENOTFOUND" } }), `${H}: could not reach ${URL} (ENOTFOUND); check network access to AWS or AWS_ENDPOINT_URL*`],
    ["an unknown code", sdkError("Error", undefined, "odd", { code: "EWHATEVER" }), `${H}: GetAuthorizationToken at ${URL} failed (Error): odd`],
    ["body not JSON", sdkError("SyntaxError", 500), `${H}: malformed response from ${URL} (SyntaxError, HTTP 500)`],
    ["deserialization", sdkError("Error", undefined, "Deserialization error: to see the raw response"), `${H}: malformed response from ${URL} (Error)`],
    ["server error", sdkError("InternalFailure", 500), `${H}: the ECR API at ${URL} failed (InternalFailure, HTTP 500); try again later`],
    ["server error 503", sdkError("ServiceUnavailable", 503, "down"), `${H}: the ECR API at ${URL} failed (ServiceUnavailable, HTTP 503); try again later`],
    ["a client error of another kind", sdkError("ValidationException", 499, "nope"), `${H}: GetAuthorizationToken at ${URL} failed (ValidationException, HTTP 499): nope`],
    ["anything else, secrets and key ids out", sdkError("Weird", undefined, `boom AKIAABCDEFGHIJKLMNOP ${SECRET}\n  sess-token-xyz`), `${H}: GetAuthorizationToken at ${URL} failed (Weird): boom <key id> <redacted> <redacted>`],
    ["a thrown non-error", "just a string", `${H}: GetAuthorizationToken at ${URL} failed (Error)`],
    ["null", null, `${H}: GetAuthorizationToken at ${URL} failed (Error)`],
    ["malformed", new Malformed(), `${H}: malformed response from ${URL}: GetAuthorizationToken did not return an authorization token`],
    ["a 2xx that failed", sdkError("Error", 299), `${H}: malformed response from ${URL}: GetAuthorizationToken did not return an authorization token`],
    ["the deadline", new Deadline(), `${H}: no answer from ${URL} within 1.5 s; check network access to AWS and try again`],
  ])("%s", (_, error, line) => {
    expect(explain(error, ctx(), limits, live)).toBe(line);
  });

  it("an aborted call is the deadline, whatever the SDK threw", () => {
    const abort = new AbortController();
    abort.abort();
    expect(explain(sdkError("AbortError"), ctx(), limits, abort.signal)).toBe(`${H}: no answer from ${URL} within 1.5 s; check network access to AWS and try again`);
  });

  it("keeps free text to 200 characters", () => {
    const line = explain(sdkError("Weird", undefined, "x ".repeat(300)), ctx(), limits, live);
    expect(line).toBe(`${H}: GetAuthorizationToken at ${URL} failed (Weird): ${"x ".repeat(100)}`);
  });

  it("ECR Public wording", () => {
    const pub = ctx({ host: { kind: "public" } });
    expect(explain(sdkError("AccessDeniedException", 400), pub, limits, live)).toBe(
      "public.ecr.aws: AWS denied the identity permission to mint a registry token (AccessDeniedException, HTTP 400); grant it ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken",
    );
    expect(explain(sdkError("InternalFailure", 500), pub, limits, live)).toBe(`public.ecr.aws: the ECR Public API at ${URL} failed (InternalFailure, HTTP 500); try again later`);
  });
});

describe("every name and code of a kind gets that kind's line", () => {
  it.each(["AccessDeniedException", "AccessDenied"])("%s is a denial", (name) => {
    expect(explain(sdkError(name, 400), ctx(), limits, live)).toMatch(/: AWS denied the identity permission/);
  });
  it.each(["RequestExpired", "RequestTimeTooSkewed"])("%s is the clock", (name) => {
    expect(explain(sdkError(name, 400), ctx(), limits, live)).toMatch(/: AWS rejected the request time/);
  });
  it.each(["ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"])("%s is throttling", (name) => {
    expect(explain(sdkError(name, 400), ctx(), limits, live)).toMatch(/: AWS kept throttling/);
  });
  it.each(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EPROTO", "ERR_INVALID_URL"])("%s is unreachable", (code) => {
    expect(explain(sdkError("Error", undefined, "", { code }), ctx(), limits, live)).toBe(`${H}: could not reach ${URL} (${code}); check network access to AWS or AWS_ENDPOINT_URL*`);
  });
  it.each(["ECONNRESET", "EPIPE"])("%s is a closed connection", (code) => {
    expect(explain(sdkError("Error", undefined, "", { code }), ctx(), limits, live)).toBe(
      `${H}: ${URL} closed the connection without an answer (${code}); check network access to AWS or AWS_ENDPOINT_URL*`,
    );
  });
  it.each(["ERR_TLS_CERT_ALTNAME_INVALID", "CERT_HAS_EXPIRED", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT"])(
    "%s is a certificate problem, named with its code",
    (code) => {
      expect(explain(sdkError("Error", undefined, "", { code }), ctx(), limits, live)).toMatch(new RegExp(`^${H.replace(/\./g, "\\.")}: .*TLS certificate.* \\(${code}\\); `));
    },
  );
  it("names the host and port the request went to in a certificate problem", () => {
    const c = ctx();
    c.requestUrl = "https://api.ecr.us-east-1.amazonaws.com:8443/";
    expect(explain(sdkError("Error", undefined, "", { code: "CERT_HAS_EXPIRED" }), c, limits, live)).toMatch(
      new RegExp(`^${H.replace(/\./g, "\\.")}: the TLS certificate of api\\.ecr\\.us-east-1\\.amazonaws\\.com:8443 has expired \\(CERT_HAS_EXPIRED\\)`),
    );
  });
  it("names the proxy variable of the request's scheme in a hint", () => {
    const env = { HTTP_PROXY: "http://plain-proxy:3128", HTTPS_PROXY: "http://tls-proxy:3128" };
    const timeout = sdkError("TimeoutError");
    const plain = ctx({ env }, "http://127.0.0.1:9");
    expect(explain(timeout, plain, limits, live)).toMatch(/ HTTP_PROXY\b/);
    const tls = ctx({ env }, "https://127.0.0.1:9");
    expect(explain(timeout, tls, limits, live)).toMatch(/ HTTPS_PROXY\b/);
  });
  it("HTTP 300 is not a 2xx answer", () => {
    expect(explain(sdkError("Moved", 300, "moved"), ctx(), limits, live)).toBe(`${H}: GetAuthorizationToken at ${URL} failed (Moved, HTTP 300): moved`);
  });
  it("names identities of other partitions", () => {
    expect(explain(sdkError("AccessDeniedException", 400, "User: arn:aws-cn:sts::111122223333:assumed-role/r/s is not"), ctx(), limits, live)).toMatch(
      /: AWS denied arn:aws-cn:sts::111122223333:assumed-role\/r\/s permission/,
    );
  });
});

describe("Context", () => {
  it.each([
    ["the triple's variables", {}, "ECR_CONTAINER_REGISTRY_USER"],
    ["a named source", { source: "my keys" }, "the AWS keys from my keys"],
    ["no source", { source: undefined }, "the configured AWS keys"],
    ["the default chain", { keys: undefined }, "the AWS credentials found by the default chain"],
    ["the default chain with a profile", { keys: undefined, env: { AWS_PROFILE: "dev" } }, "the AWS credentials found by the default chain (profile dev)"],
  ] as const)("names %s", (_, over, text) => {
    expect(ctx(over as Partial<MintRequest>).variable("USER")).toBe(text);
  });

  it("names the host as written, else rebuilt from its parts", () => {
    expect(ctx({ registry: "My.Registry" }).host).toBe("My.Registry");
    expect(ctx({ host: parseEcrHost("123456789012.dkr-ecr-fips.us-gov-west-1.on.aws")! }).host).toBe("123456789012.dkr-ecr-fips.us-gov-west-1.on.aws");
    expect(ctx({ host: { kind: "public" } }).host).toBe("public.ecr.aws");
  });

  it("says where the request went: the real URL, else the endpoint without user info, else the API", () => {
    const c = ctx();
    expect(c.url()).toBe(URL);
    c.requestUrl = "https://api.ecr.us-east-1.amazonaws.com/";
    expect(c.url()).toBe("https://api.ecr.us-east-1.amazonaws.com/");
    expect(ctx({}, "not a url").url()).toBe("the configured AWS_ENDPOINT_URL");
    expect(new Context(req(), undefined).url()).toBe("the ECR API");
    expect(new Context(req({ host: { kind: "public" } }), undefined).url()).toBe("the ECR Public API");
  });

  it("cleans a message into one line without the keys' secrets", () => {
    expect(ctx().clean(` a ${SECRET}\n\tb sess-token-xyz `)).toBe("a <redacted> b <redacted>");
  });

  it("also keeps out the secrets of the AWS variables, when the keys in use are others", () => {
    const c = ctx({ env: { AWS_SECRET_ACCESS_KEY: "env-secret-1", AWS_SESSION_TOKEN: "env-token-2" } });
    expect(c.clean("a env-secret-1 b env-token-2")).toBe("a <redacted> b <redacted>");
  });
});

describe("tables read when the module loads, on a fresh import", () => {
  // Stryker does not reload a module between mutants, so a mutant in a constant evaluated at load
  // (the name sets, seconds) is only seen by a test that imports failure.js anew.
  it("every name and code of each kind, and the deadline in seconds", async () => {
    vi.resetModules();
    const fresh = await import("../../src/ecr/failure.js");
    const line = (err: unknown, signal = live) => fresh.explain(err, new fresh.Context(req(), "http://127.0.0.1:9"), limits, signal);
    const kinds: [string[], RegExp][] = [
      [["UnrecognizedClientException", "InvalidClientTokenId"], /: AWS rejected the access key id in ECR_CONTAINER_REGISTRY_USER /],
      [["InvalidSignatureException", "SignatureDoesNotMatch"], /: AWS rejected the signature /],
      [["AccessDeniedException", "AccessDenied"], /: AWS denied the identity permission/],
      [["ExpiredTokenException", "ExpiredToken"], /: the session token in ECR_CONTAINER_REGISTRY_SESSION_TOKEN has expired /],
      [["RequestExpired", "RequestTimeTooSkewed"], /: AWS rejected the request time /],
      [["ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"], /: AWS kept throttling/],
    ];
    for (const [names, expected] of kinds) for (const name of names) expect(line(sdkError(name, 400, "bad"))).toMatch(expected);
    for (const code of ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EPROTO", "ERR_INVALID_URL"]) {
      expect(line(sdkError("Error", undefined, "", { code }))).toBe(`${H}: could not reach ${URL} (${code}); check network access to AWS or AWS_ENDPOINT_URL*`);
    }
    expect(line(new fresh.Deadline())).toBe(`${H}: no answer from ${URL} within 1.5 s; check network access to AWS and try again`);
  });
});

describe("helpers", () => {
  it.each([
    [1500, "1.5 s"],
    [1000, "1 s"],
    [14_049, "14 s"],
    [250, "0.3 s"],
  ])("seconds(%i) is %s", (ms, text) => expect(seconds(ms)).toBe(text));

  it("redacts key ids and long base64 runs, and leaves short words", () => {
    expect(redact("key AKIAABCDEFGHIJKLMNOP or ASIAABCDEFGHIJKL, AKIASHORT, and " + "A".repeat(40) + " end")).toBe(
      "key <key id> or <key id>, AKIASHORT, and <redacted> end",
    );
    expect(redact("xAKIAABCDEFGHIJKLMNOP")).toBe("xAKIAABCDEFGHIJKLMNOP");
    expect(redact("b".repeat(39))).toBe("b".repeat(39));
  });
});

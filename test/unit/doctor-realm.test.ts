import { describe, expect, it } from "vitest";
import { isLoopback, realmPolicy } from "../../src/doctor/registry/realm.js";

describe("realmPolicy: where doctor may send credentials for a token", () => {
  it.each([
    ["registry-1.docker.io", "https://auth.docker.io/token"],
    ["ghcr.io", "https://ghcr.io/token"],
    ["myco.azurecr.io", "https://myco.azurecr.io/oauth2/token"],
    ["registry.gitlab.com", "https://gitlab.com/jwt/auth"],
    ["registry.example.com:5000", "https://example.com:8443/auth"],
    ["registry.example.com", "https://auth.registry.example.com/"],
    ["127.0.0.1:5000", "http://127.0.0.1:5001/token"],
    ["[::1]:5000", "http://[::1]:5001/token"],
    ["localhost:5000", "http://localhost:9999/token"],
    ["Registry.Example.COM.", "https://AUTH.example.com/t"],
  ])("%s → %s is allowed", (registry, realm) => {
    expect(realmPolicy(registry, new URL(realm))).toEqual({ allowed: true });
  });

  it.each([
    // plain HTTP off loopback
    ["registry.example.com", "http://registry.example.com/token", "is not HTTPS"],
    ["127.0.0.1:5000", "http://10.0.0.1/token", "is not HTTPS"],
    // on loopback too, only plain HTTP is let through besides HTTPS
    ["127.0.0.1:5000", "ftp://127.0.0.1/token", "is not HTTPS"],
    // another domain
    ["registry.example.com", "https://auth.evil.test/token", "neither"],
    // a parent of two labels is needed: ghcr.io's parent would be the top-level domain
    ["ghcr.io", "https://evil.io/token", "neither"],
    ["ghcr.io", "https://evil.undefined/token", "neither"],
    // a look-alike suffix is not a subdomain
    ["registry-1.docker.io", "https://evildocker.io/token", "neither"],
    ["registry-1.docker.io", "https://docker.io.evil.test/token", "neither"],
    // IP addresses have no parent domain
    ["10.1.2.3:5000", "https://10.1.2.4/token", "neither"],
    ["127.0.0.1:5000", "http://127.0.0.2:5001/token", "neither"],
  ])("%s → %s is refused", (registry, realm, why) => {
    const decision = realmPolicy(registry, new URL(realm));
    expect(decision.allowed).toBe(false);
    expect(decision.allowed ? "" : decision.reason).toContain(why);
  });

  it("names the registry and its parent domain in the refusal", () => {
    expect(realmPolicy("registry.example.com:5000", new URL("https://auth.evil.test/token"))).toEqual({
      allowed: false,
      reason: "the token service https://auth.evil.test is neither registry.example.com nor under example.com",
    });
    expect(realmPolicy("ghcr.io", new URL("http://ghcr.io/token"))).toEqual({ allowed: false, reason: "the token service http://ghcr.io is not HTTPS" });
  });

  it("knows loopback", () => {
    expect(["::ffff:127.0.0.1", "[::ffff:127.1.2.3]", "LOCALHOST", "127.0.0.1."].map(isLoopback)).toEqual([true, true, true, true]);
    expect(["127.0.0.1", "127.9.8.7:443", "[::1]:5000", "::1", "localhost", "a.localhost"].map(isLoopback)).toEqual([true, true, true, true, true, true]);
    expect(["128.0.0.1", "10.0.0.1", "::2", "localhost.evil.test", "[::ffff:10.0.0.1]", "[1::ffff:127.0.0.1]"].map(isLoopback)).toEqual([false, false, false, false, false, false]);
  });
});

import { describe, expect, it } from "vitest";
import { dockerConfigName, normaliseServer } from "../../src/server-url.js";

describe("normaliseServer", () => {
  it.each([
    ["ghcr.io", "ghcr.io"],
    ["GHCR.IO", "ghcr.io"],
    ["  ghcr.io\n", "ghcr.io"],
    ["https://ghcr.io", "ghcr.io"],
    ["HTTPS://ghcr.io/", "ghcr.io"],
    ["http://ghcr.io", "ghcr.io"],
    ["ghcr.io/org/repo", "ghcr.io"],
    ["https://ghcr.io/v2/org/repo?x=1#frag", "ghcr.io"],
    ["ghcr.io:443", "ghcr.io"],
    ["https://ghcr.io:443/v2/", "ghcr.io"],
    ["ghcr.io.", "ghcr.io"],
    ["localhost:5000", "localhost:5000"],
    ["http://LOCALHOST:5000/v2/", "localhost:5000"],
    ["127.0.0.1:5000", "127.0.0.1:5000"],
    ["[::1]:5000", "[::1]:5000"],
    ["[0:0:0:0:0:0:0:1]:5000", "[::1]:5000"],
    ["https://[::1]/", "[::1]"],
    ["mycompany.azurecr.io", "mycompany.azurecr.io"],
    ["123456789012.dkr.ecr.us-east-1.amazonaws.com", "123456789012.dkr.ecr.us-east-1.amazonaws.com"],
    ["https://index.docker.io/v1/", "docker.io"],
    ["index.docker.io", "docker.io"],
    ["docker.io", "docker.io"],
    ["registry-1.docker.io", "docker.io"],
    ["https://registry-1.docker.io/v2/", "docker.io"],
    ["docker.io/library/alpine", "docker.io"],
    ["docker.io:5000", "docker.io:5000"],
  ])("%j -> %j", (input, key) => {
    expect(normaliseServer(input)).toBe(key);
  });

  it.each([
    ["", "invalid server URL: it is empty"],
    ["   \n", "invalid server URL: it is empty"],
    ["user@evil.test", "user information"],
    ["myco.azurecr.io@evil.test", "user information"],
    ["https://user:pass@myco.azurecr.io", "user information"],
    ["ftp://myco.azurecr.io", 'scheme "ftp"'],
    ["file:///etc/passwd", 'scheme "file"'],
    ["my co.azurecr.io", "expected host[:port]"],
    ["myco%2eazurecr.io", "expected host[:port]"],
    ["evil.test\\myco.azurecr.io", "expected host[:port]"],
    ["myco.azurecr.io:99999", "not a valid host"],
    ["myco..azurecr.io", "not a valid host"],
    [".myco.azurecr.io", "not a valid host"],
    ["[::1", "expected host[:port]"],
    ["https://", "expected host[:port]"],
  ])("rejects %j", (input, message) => {
    expect(() => normaliseServer(input)).toThrow(message);
  });

  // Hostile spellings normalise to some other registry, never to the one they imitate.
  it.each([
    "myco.azurecr.io.evil.test",
    "evil.test/myco.azurecr.io",
    "https://evil.test?h=myco.azurecr.io",
    "https://evil.test#myco.azurecr.io",
    "evilmyco.azurecr.io",
    "azurecr.io",
    "myco.azurecr.io:5000",
    "myco-azurecr.io",
    "myco.azurecr.io-evil.test",
  ])("%j is not myco.azurecr.io", (input) => {
    expect(normaliseServer(input)).not.toBe("myco.azurecr.io");
  });

  it("names Docker Hub the way docker's config.json does", () => {
    expect(dockerConfigName(normaliseServer("registry-1.docker.io"))).toBe("https://index.docker.io/v1/");
    expect(dockerConfigName("ghcr.io")).toBe("ghcr.io");
  });
});

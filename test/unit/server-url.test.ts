import { describe, expect, it } from "vitest";
import { freshEachTest } from "../support/fresh.js";

const serverUrl = freshEachTest(() => import("../../src/server-url.js"));

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
    // Every octet form of the dotted-quad pattern, in the first three places and the last.
    ["201.202.203.204", "201.202.203.204"],
    ["150.199.250.255:5000", "150.199.250.255:5000"],
    ["10.0.0.150", "10.0.0.150"],
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
    // Only 443 is the default: docker keeps any other port, 80 included.
    ["http://registry.test:80", "registry.test:80"],
    ["registry.test:80", "registry.test:80"],
    ["registry.test:05000", "registry.test:5000"],
    ["registry.test:0443", "registry.test"],
    ["10.0.0.8:5000", "10.0.0.8:5000"],
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255:443", "255.255.255.255"],
    // Names with digits or hex-looking labels stay names when their last label is not numeric.
    ["0x7f000001.test", "0x7f000001.test"],
    ["127.0.0.1.nip.test", "127.0.0.1.nip.test"],
    ["1e3", "1e3"],
    // IPv6: one spelling per address (RFC 5952), never folded into IPv4.
    ["[::FFFF:7F00:1]", "[::ffff:7f00:1]"],
    ["[::ffff:127.0.0.1]:5000", "[::ffff:7f00:1]:5000"],
    ["[2001:DB8:0:0:0:0:0:1]", "[2001:db8::1]"],
    ["ghcr.io.:443", "ghcr.io"],
    ["ghcr.io.:5000", "ghcr.io:5000"],
    ["xn--bcher-kva.test", "xn--bcher-kva.test"],
    ["\tghcr.io\r\n", "ghcr.io"],
  ])("%j -> %j", (input, key) => {
    expect(serverUrl.normaliseServer(input)).toBe(key);
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
    // Numeric IPv4 spellings other URL parsers fold into an address; docker and
    // containerd (Go) do not, so they are refused rather than matched.
    ["2130706433", "dotted quad"],
    ["127.1", "dotted quad"],
    ["0x7f000001", "dotted quad"],
    ["0X7F000001", "dotted quad"],
    ["0177.0.0.1", "dotted quad"],
    ["127.0.0.01", "dotted quad"],
    ["127.0.0.1.", "dotted quad"],
    ["10.8:5000", "dotted quad"],
    ["256.0.0.1", "dotted quad"],
    ["1.2.3.4.5", "dotted quad"],
    ["example.0x10", "dotted quad"],
    ["https://0x7f.1/v2/", "dotted quad"],
    ["registry.test:0", "not a valid host"],
    ["registry.test:", "expected host[:port]"],
    ["[fe80::1%25eth0]", "expected host[:port]"],
    ["[::1.2.3]", "not a valid host"],
    ["[1::2::3]", "not a valid host"],
    ["ghcr.io\u00a0", "expected host[:port]"],
    ["\ufeffghcr.io", "expected host[:port]"],
    ["gh\tcr.io", "expected host[:port]"],
    ["ghcr\u3002io", "expected host[:port]"],
    ["\uff47hcr.io", "expected host[:port]"],
    ["\u212aube.test", "expected host[:port]"],
    ["https:ghcr.io", "expected host[:port]"],
    ["//ghcr.io", "expected host[:port]"],
  ])("rejects %j", (input, message) => {
    expect(() => serverUrl.normaliseServer(input)).toThrow(message);
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
    "myco.azurecr.io:80",
    "http://myco.azurecr.io:80/",
  ])("%j is not myco.azurecr.io", (input) => {
    expect(serverUrl.normaliseServer(input)).not.toBe("myco.azurecr.io");
  });

  it("accepts the first and the last port, and refuses one past either end", () => {
    expect(serverUrl.normaliseServer("registry.test:1")).toBe("registry.test:1");
    expect(serverUrl.normaliseServer("registry.test:65535")).toBe("registry.test:65535");
    expect(() => serverUrl.normaliseServer("registry.test:65536")).toThrow("not a valid host");
  });

  it("says how to write an IPv4 address it refuses", () => {
    expect(() => serverUrl.normaliseServer("127.1")).toThrow(
      'invalid server URL: "127.1" is not an IPv4 address written as a dotted quad (like 10.0.0.8); write the address as four decimal numbers, or use a host name',
    );
  });

  it("names Docker Hub the way docker's config.json does", () => {
    expect(serverUrl.dockerConfigName(serverUrl.normaliseServer("registry-1.docker.io"))).toBe("https://index.docker.io/v1/");
    expect(serverUrl.dockerConfigName("ghcr.io")).toBe("ghcr.io");
  });
});

import { describe, expect, it, vi } from "vitest";
import { HelperError } from "../../src/errors.js";
import { describeProxyError, describeTlsError, proxyHint } from "../../src/net/problems.js";
import { normaliseNoProxy, proxyEnv, proxyEnvSupported, proxyPasswords, proxySetting, withoutUrlCredentials } from "../../src/net/proxy.js";

describe("NO_PROXY into Node's forms", () => {
  it("lets a bare domain cover its subdomains, as curl and Go do", () => {
    expect(normaliseNoProxy("amazonaws.com")).toBe(".amazonaws.com");
    // The last label needs a letter, not a leading one.
    expect(normaliseNoProxy("lab.3d")).toBe(".lab.3d");
    expect(normaliseNoProxy(".corp.example, *.internal.example")).toBe(".corp.example,*.internal.example");
  });
  it("turns IPv4 CIDR into the address range Node matches", () => {
    expect(normaliseNoProxy("10.0.0.0/8,192.168.1.77/24,127.0.0.1/32")).toBe(
      "10.0.0.0-10.255.255.255,192.168.1.0-192.168.1.255,127.0.0.1-127.0.0.1",
    );
    expect(normaliseNoProxy("0.0.0.0/0")).toBe("0.0.0.0-255.255.255.255");
    expect(normaliseNoProxy("172.16.100.200/30")).toBe("172.16.100.200-172.16.100.203");
  });
  it("keeps *, IP literals, host:port and IPv6 forms, lower-cased and without brackets", () => {
    expect(normaliseNoProxy(" * ")).toBe("*");
    expect(normaliseNoProxy("169.254.169.254,[::1],Registry.Example:5000,localhost")).toBe(
      "169.254.169.254,::1,registry.example:5000,localhost",
    );
  });
  it("keeps Node's own IPv4 range form", () => {
    expect(normaliseNoProxy("10.0.0.1-10.0.0.9,Example.COM")).toBe("10.0.0.1-10.0.0.9,.example.com");
  });
  it("drops empty entries and leaves invalid CIDR as written", () => {
    expect(normaliseNoProxy(",,a.example,,10.0.0.0/40")).toBe(".a.example,10.0.0.0/40");
  });
});

describe("proxy settings from the environment", () => {
  it("is nothing without a proxy variable, whatever NO_PROXY says", () => {
    expect(proxyEnv({ NO_PROXY: "*" })).toBeUndefined();
  });
  it("prefers the lower-case variables and normalises NO_PROXY", () => {
    expect(proxyEnv({ HTTPS_PROXY: "http://upper:1", https_proxy: "http://lower:2", no_proxy: "example.com" })).toEqual({
      HTTP_PROXY: undefined,
      HTTPS_PROXY: "http://lower:2",
      NO_PROXY: ".example.com",
    });
  });
  it("reads host:port without a scheme as an http:// proxy, as curl and Go do", () => {
    expect(proxyEnv({ HTTPS_PROXY: "alice:pw@proxy.corp:3128" })?.HTTPS_PROXY).toBe("http://alice:pw@proxy.corp:3128");
    expect(proxySetting({ HTTPS_PROXY: " proxy.corp:3128 " }, "https:")?.url).toBe("http://proxy.corp:3128/");
    expect(proxyPasswords({ HTTPS_PROXY: "alice:pw@proxy.corp:3128" })).toEqual(["pw"]);
  });
  it("names the proxy without its credentials, with the default port", () => {
    expect(proxySetting({ HTTPS_PROXY: "http://alice:pa%40ss@proxy.corp" }, "https:")).toEqual({
      variable: "HTTPS_PROXY",
      url: "http://proxy.corp/",
      hostname: "proxy.corp",
      port: 80,
    });
    expect(proxySetting({ HTTPS_PROXY: "not a url" }, "https:")?.url).toBe("the URL in HTTPS_PROXY");
    expect(proxySetting({ HTTPS_PROXY: "http://p:1" }, "http:")).toBeUndefined();
  });
  it("finds proxy passwords as written and decoded, and strips credentials from URLs in text", () => {
    expect(proxyPasswords({ https_proxy: "http://alice:pa%40ss@proxy:3128", HTTP_PROXY: "http://nopass@proxy" })).toEqual(["pa%40ss", "pa@ss"]);
    expect(withoutUrlCredentials("via http://alice:pa%40ss@proxy:3128/ and https://bob@x/")).toBe("via http://proxy:3128/ and https://x/");
    expect(withoutUrlCredentials("http://alice:pw@proxy:3128 refused")).toBe("http://proxy:3128 refused");
  });
  it("finds the whole password when it holds an unescaped @ or /", () => {
    expect(proxyPasswords({ HTTPS_PROXY: "http://user:p@ss@127.0.0.1:1" })).toContain("p@ss");
    expect(proxyPasswords({ HTTPS_PROXY: "http://us:sekritpass/x@127.0.0.1:1" })).toContain("sekritpass/x");
  });
  it("refuses a proxy URL Node cannot use with one line naming the variable, never the password", () => {
    for (const value of ["http://us:sekritpass/x@127.0.0.1:1", "http://user:sekritpass@[::1", "http://user:sekritpass@127.0.0.1:99999"]) {
      expect(() => proxyEnv({ https_proxy: value })).toThrow(HelperError);
      expect(() => proxyEnv({ https_proxy: value })).toThrow(/^https_proxy is not a usable proxy URL/);
      expect(() => proxyEnv({ https_proxy: value })).not.toThrow(/sekritpass/);
    }
  });
  it("knows which Node lines take proxyEnv", () => {
    expect(["14.21.3", "20.19.0", "22.20.0", "23.11.0", "24.4.1"].map((v) => proxyEnvSupported(v))).toEqual([false, false, false, false, false]);
    expect(["22.21.0", "24.5.0", "24.21.0", "26.0.0"].map((v) => proxyEnvSupported(v))).toEqual([true, true, true, true]);
  });
});

describe("certificate problems", () => {
  const tls = (code: string) => describeTlsError(Object.assign(new Error("x"), { code }), "api.ecr.example:443");
  it.each([
    ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", /api\.ecr\.example:443 is signed by an unknown certificate authority.*NODE_EXTRA_CA_CERTS/],
    ["SELF_SIGNED_CERT_IN_CHAIN", /unknown certificate authority/],
    ["DEPTH_ZERO_SELF_SIGNED_CERT", /api\.ecr\.example:443 presents a self-signed TLS certificate.*NODE_EXTRA_CA_CERTS/],
    ["CERT_HAS_EXPIRED", /of api\.ecr\.example:443 has expired.*system clock/],
    ["ERR_TLS_CERT_ALTNAME_INVALID", /for api\.ecr\.example:443 is for another host name/],
  ])("%s", (code, expected) => {
    expect(tls(code)).toMatch(expected);
  });
  it("reads the code of a wrapped error and ignores what is not a certificate problem", () => {
    expect(describeTlsError({ cause: { code: "CERT_NOT_YET_VALID" } }, "h")).toMatch(/of h is not valid yet/);
    expect(describeTlsError(Object.assign(new Error(), { code: "ECONNREFUSED" }), "h")).toBeUndefined();
    expect(describeTlsError("text", "h")).toBeUndefined();
  });
});

describe("proxy problems", () => {
  const env = { HTTPS_PROXY: "http://alice:s3cret@127.0.0.1:3128" };
  it("names a proxy that is down, without its password", () => {
    const err = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:3128"), { code: "ECONNREFUSED", address: "127.0.0.1", port: 3128 });
    const line = describeProxyError(err, env, "https:");
    expect(line).toBe("could not reach the proxy http://127.0.0.1:3128/ (HTTPS_PROXY) (ECONNREFUSED); check that the proxy is running, or fix or unset HTTPS_PROXY");
  });
  it("leaves a refused connection to another host alone", () => {
    const err = Object.assign(new Error(), { code: "ECONNREFUSED", address: "127.0.0.1", port: 443 });
    expect(describeProxyError(err, env, "https:")).toBeUndefined();
    expect(describeProxyError(err, {}, "https:")).toBeUndefined();
  });
  it("says when the proxy wants other credentials, through a tunnel or forwarding", () => {
    const tunnel = Object.assign(new Error(), { code: "ERR_PROXY_TUNNEL", statusCode: 407 });
    expect(describeProxyError(tunnel, env, "https:")).toMatch(/^the proxy http:\/\/127\.0\.0\.1:3128\/ \(HTTPS_PROXY\) refused .* \(HTTP 407\)/);
    expect(describeProxyError({ $metadata: { httpStatusCode: 407 } }, { HTTP_PROXY: "http://p:1" }, "http:")).toMatch(/HTTP_PROXY.*HTTP 407/);
    const challenge = { $metadata: { httpStatusCode: 401 }, $response: { headers: { "www-authenticate": "Basic" } } };
    expect(describeProxyError(challenge, { HTTP_PROXY: "http://p:1" }, "http:")).toMatch(/refused .*HTTP 401/);
    expect(describeProxyError({ $metadata: { httpStatusCode: 401 } }, { HTTP_PROXY: "http://p:1" }, "http:")).toBeUndefined();
    // Only a 401 with a challenge is the proxy's: another answer with one is the server's.
    const challenged403 = { $metadata: { httpStatusCode: 403 }, $response: { headers: { "www-authenticate": "Basic" } } };
    expect(describeProxyError(challenged403, { HTTP_PROXY: "http://p:1" }, "http:")).toBeUndefined();
    const onwards = Object.assign(new Error(), { code: "ERR_PROXY_TUNNEL", statusCode: 500 });
    expect(describeProxyError(onwards, env, "https:")).toMatch(/could not open a connection onwards \(HTTP 500\)/);
  });
});

describe("proxy hints for time-outs and unreachable endpoints", () => {
  const env = { https_proxy: "http://alice:s3cret@proxy.corp:8080" };
  it("names the proxy in the way, without its password", () => {
    expect(proxyHint(env, "https:", "24.21.0")).toBe(
      "; requests go through the proxy http://proxy.corp:8080/ (https_proxy) unless NO_PROXY covers the host: check it too",
    );
  });
  it("says that an old Node line ignores it", () => {
    expect(proxyHint(env, "https:", "20.19.0")).toMatch(/^; note that Node 20\.19\.0 ignores https_proxy \(proxies need Node >= 22\.21 or 24\.5/);
  });
  it("says nothing without a proxy for that scheme", () => {
    expect(proxyHint(env, "http:", "24.21.0")).toBe("");
  });
});

describe("the agents every request uses", () => {
  it("keep connections alive, and carry the proxy settings only when a proxy is set", async () => {
    const { createAgents } = await import("../../src/net/agents.js");
    const { proxyEnv } = await import("../../src/net/proxy.js");
    // keepAlive and options are public on Node's agents but missing from @types/node.
    type Seen = { keepAlive: boolean; options: { proxyEnv?: unknown } };
    const direct = createAgents({});
    for (const agent of [direct.http, direct.https] as unknown as Seen[]) {
      expect(agent.keepAlive).toBe(true);
      expect(agent.options).not.toHaveProperty("proxyEnv");
    }
    const env = { HTTPS_PROXY: "http://127.0.0.1:3128", NO_PROXY: "example.test" };
    const proxied = createAgents(env);
    for (const agent of [proxied.http, proxied.https] as unknown as Seen[]) {
      expect(agent.options.proxyEnv).toEqual(proxyEnv(env));
      expect(agent.keepAlive).toBe(true);
    }
    expect(proxied.http).not.toBe(createAgents(env).http);
    // One HTTPS agent per pair, made on first use: every request of a mint shares its connections.
    expect(proxied.https).toBe(proxied.https);
  });
});

describe("proxy problems, case by case", () => {
  const named = { HTTPS_PROXY: "http://alice:s3cret@proxy.corp:3128" };
  const byIp = { HTTPS_PROXY: "http://alice:s3cret@127.0.0.1:3128" };
  const down = (code: string, proxy = "http://proxy.corp:3128/") =>
    `could not reach the proxy ${proxy} (HTTPS_PROXY) (${code}); check that the proxy is running, or fix or unset HTTPS_PROXY`;

  it("finds the code, address and port on the error or its cause", () => {
    expect(describeProxyError({ cause: { code: "ECONNREFUSED", address: "127.0.0.1", port: 3128 } }, byIp, "https:")).toBe(down("ECONNREFUSED", "http://127.0.0.1:3128/"));
    expect(describeProxyError({ code: "ECONNRESET", cause: { address: "127.0.0.1", port: 3128 } }, byIp, "https:")).toBe(down("ECONNRESET", "http://127.0.0.1:3128/"));
    expect(describeProxyError({ code: "ENOTFOUND", hostname: "proxy.corp" }, named, "https:")).toBe(down("ENOTFOUND"));
    expect(describeProxyError({ code: "EAI_AGAIN", cause: { hostname: "proxy.corp" } }, named, "https:")).toBe(down("EAI_AGAIN"));
    expect(describeProxyError({ code: "ECONNREFUSED", address: "127.0.0.1", cause: { port: 443 } }, byIp, "https:")).toBeUndefined();
  });

  it("takes any address for a proxy named by host (it resolved there), but no other host's name lookup", () => {
    expect(describeProxyError({ code: "ETIMEDOUT", address: "10.1.2.3", port: 3128 }, named, "https:")).toBe(down("ETIMEDOUT"));
    expect(describeProxyError({ code: "EHOSTUNREACH", address: "10.1.2.3" }, named, "https:")).toBe(down("EHOSTUNREACH"));
    expect(describeProxyError({ code: "ENOTFOUND", hostname: "api.ecr.example" }, named, "https:")).toBeUndefined();
    expect(describeProxyError({ code: "ENETUNREACH", address: "10.1.2.3" }, byIp, "https:")).toBeUndefined();
    expect(describeProxyError({ code: "ECONNREFUSED" }, byIp, "https:")).toBeUndefined();
    expect(describeProxyError({ code: "ECONNREFUSED" }, named, "https:")).toBeUndefined();
    expect(describeProxyError({ code: "ECONNREFUSED", address: "10.1.2.3", port: 3129 }, named, "https:")).toBeUndefined();
  });

  it("ignores what is not a connection failure", () => {
    for (const err of [{ code: "EPIPE", address: "127.0.0.1", port: 3128 }, { address: "127.0.0.1", port: 3128 }, null, "ECONNREFUSED", undefined]) {
      expect(describeProxyError(err, byIp, "https:")).toBeUndefined();
    }
    expect(describeTlsError(null, "h")).toBeUndefined();
  });

  it("reads a proxy's refusal from the tunnel error, its cause or the SDK's answer", () => {
    const refused = (status: number) =>
      `the proxy http://proxy.corp:3128/ (HTTPS_PROXY) refused the request for lack of valid credentials (HTTP ${status}); set HTTPS_PROXY=http://user:password@host:port with the proxy's credentials`;
    expect(describeProxyError({ code: "ERR_PROXY_TUNNEL", cause: { statusCode: 407 } }, named, "https:")).toBe(refused(407));
    expect(describeProxyError({ code: "ERR_PROXY_TUNNEL", statusCode: 401 }, named, "https:")).toBe(refused(401));
    expect(describeProxyError({ $metadata: { httpStatusCode: 407 } }, named, "https:")).toBe(refused(407));
    expect(describeProxyError({ $metadata: { httpStatusCode: 401 }, $response: {} }, named, "https:")).toBeUndefined();
    expect(describeProxyError({ $metadata: { httpStatusCode: 502 } }, named, "https:")).toBeUndefined();
    expect(describeProxyError({ code: "ERR_PROXY_TUNNEL" }, named, "https:")).toBe(
      "the proxy http://proxy.corp:3128/ (HTTPS_PROXY) could not open a connection onwards; check the proxy, or list the host in NO_PROXY if it must be reached directly",
    );
  });
});

describe("proxy variables, case by case", () => {
  it("hands Node the http:// proxy and the upper-case NO_PROXY when that is all there is", () => {
    expect(proxyEnv({ HTTP_PROXY: "http://p:1", NO_PROXY: "example.com" })).toEqual({ HTTP_PROXY: "http://p:1", HTTPS_PROXY: undefined, NO_PROXY: ".example.com" });
    expect(proxyEnv({ http_proxy: "http://lower:1", HTTP_PROXY: "http://upper:1" })).toEqual({ HTTP_PROXY: "http://lower:1", HTTPS_PROXY: undefined, NO_PROXY: undefined });
    expect(proxyEnv({ HTTPS_PROXY: "  ", HTTP_PROXY: "" })).toBeUndefined();
  });

  it("keeps a scheme as written and reads blanks as unset", () => {
    expect(proxyEnv({ HTTPS_PROXY: "HTTPS://proxy.corp:443" })?.HTTPS_PROXY).toBe("HTTPS://proxy.corp:443");
    expect(proxyEnv({ HTTPS_PROXY: "socks5h://proxy.corp:1080" })?.HTTPS_PROXY).toBe("socks5h://proxy.corp:1080");
    expect(proxySetting({ https_proxy: " ", HTTPS_PROXY: "http://p:1" }, "https:")?.variable).toBe("HTTPS_PROXY");
  });

  it("names an https:// or IPv6 proxy with its port, and an unparsable one by its variable", () => {
    expect(proxySetting({ HTTPS_PROXY: "https://proxy.corp" }, "https:")).toEqual({ variable: "HTTPS_PROXY", url: "https://proxy.corp/", hostname: "proxy.corp", port: 443 });
    expect(proxySetting({ http_proxy: "http://u:p@[::1]:3128" }, "http:")).toEqual({ variable: "http_proxy", url: "http://[::1]:3128/", hostname: "::1", port: 3128 });
    expect(proxySetting({ HTTPS_PROXY: "http://[::1" }, "https:")).toEqual({ variable: "HTTPS_PROXY", url: "the URL in HTTPS_PROXY", hostname: "", port: 0 });
  });

  it("finds the password in each of the four variables, raw when it does not decode", () => {
    expect(proxyPasswords({ http_proxy: "http://u:one@h", HTTP_PROXY: "http://u:two@h", https_proxy: "http://u:three@h", HTTPS_PROXY: "http://u:four@h" })).toEqual([
      "one",
      "two",
      "three",
      "four",
    ]);
    expect(proxyPasswords({ HTTPS_PROXY: "http://u:100%@h" })).toEqual(["100%"]);
    expect(proxyPasswords({ HTTPS_PROXY: "http://u:@h", HTTP_PROXY: "http://u@h:1" })).toEqual([]);
    expect(proxyPasswords({ HTTPS_PROXY: "h:1/x", https_proxy: "http://u:p@h/path" })).toEqual(["p"]);
    // Only the URL's own user:password, never a URL further along in it.
    expect(proxyPasswords({ HTTPS_PROXY: "http://x@y/z://u:secret@h" })).toEqual([]);
  });

  it("reads a value as scheme-less unless it starts with a scheme", () => {
    expect(proxyEnv({ HTTPS_PROXY: "proxy.corp:3128/?via=http://x" })?.HTTPS_PROXY).toBe("http://proxy.corp:3128/?via=http://x");
  });

  it("leaves an IPv4 CIDR with a bad address as written, and brackets only around a whole entry", () => {
    expect(normaliseNoProxy("999.0.0.0/8,10.0.0.0/33,1.2.3.4/1")).toBe("999.0.0.0/8,10.0.0.0/33,0.0.0.0-127.255.255.255");
    expect(normaliseNoProxy("a10.0.0.0/8,10.0.0.0/8a,10.0.0/8,10.0.0.0/123")).toBe("a10.0.0.0/8,10.0.0.0/8a,10.0.0/8,10.0.0.0/123");
    expect(normaliseNoProxy("-a.example,a.example-,a.1,1.a,a.b.c")).toBe(".-a.example,.a.example-,a.1,.1.a,.a.b.c");
    expect(normaliseNoProxy("[fe80::1],a[b],[c]d")).toBe("fe80::1,a[b],[c]d");
    expect(normaliseNoProxy("\tA.example\n b.example ;")).toBe(".a.example,.b.example,;");
  });
});

describe("tables read when the modules load, on a fresh import", () => {
  // Stryker does not reload a module between mutants, so a mutant in a constant evaluated at load
  // is only seen by a test that imports the module anew (problems.js, and proxy.js with it).
  const fresh = async () => {
    vi.resetModules();
    return await import("../../src/net/problems.js");
  };
  it("every code of an unknown certificate authority", async () => {
    const { describeTlsError } = await fresh();
    for (const code of ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "UNABLE_TO_GET_ISSUER_CERT", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "SELF_SIGNED_CERT_IN_CHAIN", "CERT_UNTRUSTED"]) {
      expect(describeTlsError({ code }, "h:443")).toMatch(new RegExp(`^the TLS certificate of h:443 is signed by an unknown certificate authority \\(${code}\\); `));
    }
  });
  it("every connection failure at the proxy's address, and none at another address when the proxy is named by IP", async () => {
    const { describeProxyError } = await fresh();
    const byIp = { HTTPS_PROXY: "http://127.0.0.1:3128" };
    for (const code of ["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT"]) {
      expect(describeProxyError({ code, address: "127.0.0.1", port: 3128 }, byIp, "https:")).toBe(
        `could not reach the proxy http://127.0.0.1:3128/ (HTTPS_PROXY) (${code}); check that the proxy is running, or fix or unset HTTPS_PROXY`,
      );
    }
    // A registry on 127.0.0.2 reached directly (NO_PROXY) that refuses: not the proxy.
    expect(describeProxyError({ code: "ECONNREFUSED", address: "127.0.0.2", port: 3128 }, byIp, "https:")).toBeUndefined();
  });
});

/**
 * A loopback fake of the two AWS IAM Identity Center APIs the default chain
 * calls for an `sso_session` profile: SSO OIDC CreateToken (refreshing the
 * cached access token) and SSO GetRoleCredentials (trading it for role keys).
 */
import { createServer } from "node:http";
import { listenOnLoopback } from "./loopback.js";

export interface FakeSsoOptions {
  /** The refresh token CreateToken accepts, and the access token and refresh token it returns. */
  refreshToken: string;
  newAccessToken: string;
  newRefreshToken: string;
  /** The role keys GetRoleCredentials returns for `newAccessToken`. */
  role: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
}

export interface FakeSso {
  url: string;
  /** "CreateToken" / "GetRoleCredentials", in the order they were called. */
  calls: string[];
  close(): Promise<void>;
}

export async function startFakeSso(opts: FakeSsoOptions): Promise<FakeSso> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8").on("data", (d: string) => (text += d));
    req.on("end", () => {
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      const url = new URL(req.url ?? "/", "http://fake");
      if (req.method === "POST" && url.pathname === "/token") {
        calls.push("CreateToken");
        const body = JSON.parse(text || "{}") as { grantType?: string; refreshToken?: string };
        if (body.grantType !== "refresh_token" || body.refreshToken !== opts.refreshToken) {
          return answer(400, { error: "invalid_grant" });
        }
        return answer(200, { accessToken: opts.newAccessToken, expiresIn: 3600, refreshToken: opts.newRefreshToken, tokenType: "Bearer" });
      }
      if (req.method === "GET" && url.pathname === "/federation/credentials") {
        calls.push("GetRoleCredentials");
        if (req.headers["x-amz-sso_bearer_token"] !== opts.newAccessToken) {
          return answer(401, { message: "Session token not found or invalid" });
        }
        return answer(200, { roleCredentials: { ...opts.role, expiration: Date.now() + 3600_000 } });
      }
      answer(404, { message: "not found" });
    });
  });
  return { ...(await listenOnLoopback(server)), calls };
}

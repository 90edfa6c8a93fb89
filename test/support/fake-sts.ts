/**
 * A loopback fake of STS AssumeRoleWithWebIdentity (awsQuery), for the AWS
 * default chain's web-identity path: it hands out the given temporary keys to
 * any caller that presents `token`, and records the calls it saw.
 */
import { createServer } from "node:http";
import { listenOnLoopback } from "./loopback.js";

export interface FakeSts {
  url: string;
  /** The Action of each call. */
  calls: string[];
  close(): Promise<void>;
}

export async function startFakeSts(opts: {
  token: string;
  keys: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
}): Promise<FakeSts> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (d: string) => (body += d));
    req.on("end", () => {
      const form = new URLSearchParams(body);
      calls.push(form.get("Action") ?? "");
      if (form.get("Action") !== "AssumeRoleWithWebIdentity" || form.get("WebIdentityToken") !== opts.token) {
        res.writeHead(400, { "content-type": "text/xml" });
        res.end(`<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>bad token</Message></Error></ErrorResponse>`);
        return;
      }
      const k = opts.keys;
      res.writeHead(200, { "content-type": "text/xml" });
      res.end(
        `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>` +
          `<Credentials><AccessKeyId>${k.accessKeyId}</AccessKeyId><SecretAccessKey>${k.secretAccessKey}</SecretAccessKey>` +
          `<SessionToken>${k.sessionToken}</SessionToken><Expiration>${new Date(Date.now() + 3_600_000).toISOString()}</Expiration></Credentials>` +
          `<AssumedRoleUser><Arn>arn:aws:sts::111122223333:assumed-role/fake/session</Arn><AssumedRoleId>AROAFAKE:session</AssumedRoleId></AssumedRoleUser>` +
          `</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>00000000-0000-4000-8000-000000000000</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
      );
    });
  });
  return { ...(await listenOnLoopback(server)), calls };
}

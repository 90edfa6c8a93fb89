/**
 * Recognising AWS ECR registry hosts. Kept free of the AWS SDK so the static
 * path can ask "is this ECR?" without loading it.
 */

export type EcrHost =
  | {
      kind: "private";
      account: string;
      region: string;
      fips: boolean;
      dualStack: boolean;
      domain: string;
    }
  | { kind: "public" };

// Every partition domain that serves private ECR registries, standard and dual-stack.
const PRIVATE_DOMAINS = [
  "amazonaws.com",
  "amazonaws.com.cn",
  "amazonaws.eu",
  "on.aws",
  "on.amazonwebservices.com.cn",
  "sc2s.sgov.gov",
  "c2s.ic.gov",
  "cloud.adc-e.uk",
  "csp.hci.ic.gov",
];

const escaped = PRIVATE_DOMAINS.map((d) => d.replaceAll(".", "\\.")).join("|");

// <account>.dkr.ecr[-fips].<region>.<domain>, or dkr-ecr for dual-stack. Anchored both
// ends so look-alikes with extra labels before or after never match.
const PRIVATE_HOST = new RegExp(
  `^(?<account>\\d{12})\\.dkr(?<sep>[.-])ecr(?<fips>-fips)?\\.(?<region>[a-z0-9][a-z0-9_-]*)\\.(?<domain>${escaped})$`,
);

const PUBLIC_HOSTS = new Set(["public.ecr.aws", "ecr-public.aws.com"]);

/** Parse a normalised `host` (no port: a port means it is not ECR). */
export function parseEcrHost(host: string): EcrHost | undefined {
  const h = host.toLowerCase();
  if (PUBLIC_HOSTS.has(h)) return { kind: "public" };
  const m = PRIVATE_HOST.exec(h);
  const g = m?.groups;
  if (!g?.account || !g.region || !g.domain) return undefined;
  return {
    kind: "private",
    account: g.account,
    region: g.region,
    fips: g.fips !== undefined,
    dualStack: g.sep === "-",
    domain: g.domain,
  };
}

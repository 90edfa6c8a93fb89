import { describe, expect, it } from "vitest";
import { freshEachTest } from "../support/fresh.js";

const ecrHost = freshEachTest(() => import("../../src/ecr/host.js"));

const A = "123456789012";

describe("parseEcrHost: private registries", () => {
  const cases: Array<[string, { region: string; fips: boolean; dualStack: boolean; domain: string }]> = [
    [`${A}.dkr.ecr.us-east-1.amazonaws.com`, { region: "us-east-1", fips: false, dualStack: false, domain: "amazonaws.com" }],
    [`${A}.dkr.ecr-fips.us-east-1.amazonaws.com`, { region: "us-east-1", fips: true, dualStack: false, domain: "amazonaws.com" }],
    [`${A}.dkr.ecr-fips.us-gov-west-1.amazonaws.com`, { region: "us-gov-west-1", fips: true, dualStack: false, domain: "amazonaws.com" }],
    [`${A}.dkr.ecr.cn-north-1.amazonaws.com.cn`, { region: "cn-north-1", fips: false, dualStack: false, domain: "amazonaws.com.cn" }],
    [`${A}.dkr.ecr.eusc-de-east-1.amazonaws.eu`, { region: "eusc-de-east-1", fips: false, dualStack: false, domain: "amazonaws.eu" }],
    [`${A}.dkr-ecr.eu-west-1.on.aws`, { region: "eu-west-1", fips: false, dualStack: true, domain: "on.aws" }],
    [`${A}.dkr-ecr-fips.us-east-2.on.aws`, { region: "us-east-2", fips: true, dualStack: true, domain: "on.aws" }],
    [`${A}.dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn`, { region: "cn-northwest-1", fips: false, dualStack: true, domain: "on.amazonwebservices.com.cn" }],
    [`${A}.dkr.ecr.us-isob-east-1.sc2s.sgov.gov`, { region: "us-isob-east-1", fips: false, dualStack: false, domain: "sc2s.sgov.gov" }],
    [`${A}.dkr.ecr.us-iso-east-1.c2s.ic.gov`, { region: "us-iso-east-1", fips: false, dualStack: false, domain: "c2s.ic.gov" }],
    [`${A}.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk`, { region: "eu-isoe-west-1", fips: false, dualStack: false, domain: "cloud.adc-e.uk" }],
    [`${A}.dkr.ecr.us-isof-south-1.csp.hci.ic.gov`, { region: "us-isof-south-1", fips: false, dualStack: false, domain: "csp.hci.ic.gov" }],
    // dualStack follows the dkr-ecr spelling, whatever the domain.
    [`${A}.dkr-ecr.us-west-2.amazonaws.com`, { region: "us-west-2", fips: false, dualStack: true, domain: "amazonaws.com" }],
    [`${A}.dkr.ecr.us-west-2.on.aws`, { region: "us-west-2", fips: false, dualStack: false, domain: "on.aws" }],
  ];
  it.each(cases)("%s", (host, expected) => {
    expect(ecrHost.parseEcrHost(host)).toEqual({ kind: "private", account: A, ...expected });
  });

  it("keeps the account digits exactly", () => {
    expect(ecrHost.parseEcrHost("000000000001.dkr.ecr.ap-south-1.amazonaws.com")).toMatchObject({ account: "000000000001" });
  });

  it("tolerates upper case", () => {
    expect(ecrHost.parseEcrHost(`${A}.DKR.ECR.US-EAST-1.AMAZONAWS.COM`)).toMatchObject({ kind: "private", region: "us-east-1" });
  });
});

describe("parseEcrHost: ECR Public", () => {
  it.each(["public.ecr.aws", "ecr-public.aws.com"])("%s", (host) => {
    expect(ecrHost.parseEcrHost(host)).toEqual({ kind: "public" });
  });
});

describe("parseEcrHost: not ECR", () => {
  it.each([
    "",
    "evil.test",
    "docker.io",
    "ghcr.io",
    `${A}.dkr.ecr.us-east-1.amazonaws.com.evil.test`,
    `${A}.dkr.ecr.us-east-1.amazonaws.com.`,
    `${A}.dkr.ecr.us-east-1.amazonaws.com:443`,
    `${A}.dkr.ecr.us-east-1.amazonaws.com/path`,
    `x.${A}.dkr.ecr.us-east-1.amazonaws.com`,
    `evil.test.${A}.dkr.ecr.us-east-1.amazonaws.com`,
    "12345678901.dkr.ecr.us-east-1.amazonaws.com",
    "1234567890123.dkr.ecr.us-east-1.amazonaws.com",
    "12345678901a.dkr.ecr.us-east-1.amazonaws.com",
    `${A}.dkr.ecr.amazonaws.com`,
    `${A}.dkr.ecr..amazonaws.com`,
    `${A}.dkr.ecr.-us-east-1.amazonaws.com`,
    `${A}.dkr.ecr.us.east.1.amazonaws.com`,
    `${A}.dkrxecr.us-east-1.amazonaws.com`,
    `${A}.dkr.ecr-fipsy.us-east-1.amazonaws.com`,
    `${A}.ecr.us-east-1.amazonaws.com`,
    `${A}.dkr.ecr.us-east-1.amazonaws.org`,
    `${A}.dkr.ecr.us-east-1.amazonaws.com.cn.evil.test`,
    `${A}.dkr.ecr.us-east-1.evilamazonaws.com`,
    `${A}.dkr.ecr.us-east-1.on.aws.evil`,
    `${A}.dkr.ecr.us-east-1.amazonaws.comx`,
    "public.ecr.aws.evil.test",
    "xpublic.ecr.aws",
    "public.ecr.aws:443",
    "ecr-public.aws.com.evil",
    "api.ecr.us-east-1.amazonaws.com",
  ])("%j", (host) => {
    expect(ecrHost.parseEcrHost(host)).toBeUndefined();
  });
});

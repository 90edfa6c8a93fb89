// Bundled by build/sea.mjs and run by the pinned Node 24: loads the mint asset exactly as the
// executable does, mints once against a loopback fake ECR so that V8 has compiled what a real mint
// runs, then writes the V8 code cache embedded beside the asset. If the mint fails, the cache still
// covers the module's top level, and a warning says so.
import { readFileSync, writeFileSync } from "node:fs";
import { Script } from "node:vm";
import type * as Mint from "../src/ecr/mint.js";
import { parseEcrHost } from "../src/ecr/host.js";
import * as errors from "../src/errors.js";
import { startFakeEcr } from "../test/support/fake-ecr.js";

async function main(): Promise<void> {
  // The id under which the asset asks for the main bundle's errors module (build/sea.mjs SHARED).
  const [src, dst, errorsModule] = process.argv.slice(2) as [string, string, string];
  const shared: Record<string, unknown> = { [errorsModule]: errors };
  const script = new Script(readFileSync(src, "utf8"), { filename: "mint.js" });
  const mod = { exports: {} as typeof Mint };
  script.runInThisContext()(mod.exports, (id: string) => shared[id] ?? require(id), mod);
  const keys = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
  const fake = await startFakeEcr({ keys: [keys] });
  try {
    const host = parseEcrHost("123456789012.dkr.ecr.us-east-1.amazonaws.com");
    if (host === undefined) throw new Error("parseEcrHost rejected the warm-up host");
    await mod.exports.mintEcrCredentials({ host, keys, env: { AWS_ENDPOINT_URL_ECR: fake.url, AWS_EC2_METADATA_DISABLED: "true" } });
  } catch (error) {
    console.warn(`sea-warmup: the warm-up mint failed, the code cache covers only the top level: ${String(error)}`);
  } finally {
    await fake.close();
  }
  writeFileSync(dst, script.createCachedData());
}

void main();

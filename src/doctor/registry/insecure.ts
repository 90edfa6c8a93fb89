import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { normaliseServer } from "../../server-url.js";

/**
 * Whether dockerd treats a registry as insecure, and so would talk to it over
 * HTTPS without verifying the certificate and then over plain HTTP: its host
 * resolves into 127.0.0.0/8 (always insecure to dockerd) or into a CIDR of
 * daemon.json's insecure-registries, or that list names it.
 */
export async function dockerTreatsAsInsecure(key: string, host: string, insecureRegistries: readonly string[], lookupMs: number): Promise<boolean> {
  const cidrs = new BlockList();
  cidrs.addSubnet("127.0.0.0", 8, "ipv4");
  for (const entry of insecureRegistries) {
    const [address = "", bits = ""] = entry.split("/");
    const family = isIP(address);
    // A prefix longer than the address (dockerd refuses it too) is no CIDR: BlockList would throw.
    if (family !== 0 && /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)) {
      cidrs.addSubnet(address, Number(bits), family === 4 ? "ipv4" : "ipv6");
    }
    else if (sameKey(entry, key)) return true;
  }
  const name = new URL(`https://${host}`).hostname.replace(/^\[(.*)\]$/, "$1");
  // An IP address looks up as itself, without a query.
  const addresses = await resolve(name, lookupMs);
  return addresses.some((a) => cidrs.check(a, isIP(a) === 6 ? "ipv6" : "ipv4"));
}

function sameKey(entry: string, key: string): boolean {
  try {
    return normaliseServer(entry) === key;
  } catch {
    return false;
  }
}

async function resolve(name: string, lookupMs: number): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string[]>((done) => {
    timer = setTimeout(() => done([]), lookupMs);
  });
  try {
    return await Promise.race([lookup(name, { all: true }).then((all) => all.map((a) => a.address), () => []), late]);
  } finally {
    clearTimeout(timer);
  }
}

// Checks what `node build/sea.mjs` leaves in out/: two injected Node 24 executables and their sums,
// and that the x64 one runs as a self-contained, hardened program.
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { assertFreshExecutable } from "../support/helper-process.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const out = join(root, "out");
const NAME = "docker-credential-codespaces";
const exe = { x64: join(out, "linux-x64", NAME), arm64: join(out, "linux-arm64", NAME) };
const sums = join(out, "SHA256SUMS");
const built = [exe.x64, exe.arm64, sums].every((f) => existsSync(f));

const EM_X86_64 = 0x3e;
const EM_AARCH64 = 0xb7;
const FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";
const SEA_MAGIC = 0x0143da20; // first word of a SEA blob (node_sea.h kMagic)
const SEA_USE_SNAPSHOT = 1 << 1;
const SEA_USE_CODE_CACHE = 1 << 2;

interface Elf {
  machine: number;
  notes: Map<string, Buffer>;
}

/** The ELF64 little-endian header's machine and the notes of every PT_NOTE segment, by name. */
function readElf(file: Buffer): Elf {
  expect(file.subarray(0, 4).toString("latin1")).toBe("\x7fELF");
  expect(file[4], "ELFCLASS64").toBe(2);
  expect(file[5], "little-endian").toBe(1);
  const phoff = Number(file.readBigUInt64LE(0x20));
  const phentsize = file.readUInt16LE(0x36);
  const phnum = file.readUInt16LE(0x38);
  const notes = new Map<string, Buffer>();
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (file.readUInt32LE(ph) !== 4 /* PT_NOTE */) continue;
    const start = Number(file.readBigUInt64LE(ph + 8));
    const end = start + Number(file.readBigUInt64LE(ph + 32));
    const align = Math.max(4, Number(file.readBigUInt64LE(ph + 48)));
    const pad = (n: number) => Math.ceil(n / align) * align;
    for (let at = start; at + 12 <= end; ) {
      const namesz = file.readUInt32LE(at);
      const descsz = file.readUInt32LE(at + 4);
      const name = file.toString("latin1", at + 12, at + 12 + Math.max(0, namesz - 1));
      const desc = at + 12 + pad(namesz);
      notes.set(name, file.subarray(desc, desc + descsz));
      at = desc + pad(descsz);
    }
  }
  return { machine: file.readUInt16LE(18), notes };
}

function expectInjected(file: Buffer, machine: number): Buffer {
  const elf = readElf(file);
  expect(elf.machine).toBe(machine);
  expect(file.includes(`${FUSE}:1`), "sentinel fuse flipped").toBe(true);
  expect(file.includes(`${FUSE}:0`)).toBe(false);
  const blob = elf.notes.get("NODE_SEA_BLOB");
  expect(blob, "NODE_SEA_BLOB note").toBeDefined();
  expect(blob!.readUInt32LE(0)).toBe(SEA_MAGIC);
  return blob!;
}

if (!built) {
  const reason = `no executables in out/: run \`node build/sea.mjs\` first`;
  if (process.env.CI) it("has the executables built", () => expect.fail(reason));
  else it.skip(`skipped: ${reason}`, () => {});
}

describe.runIf(built)("single executables", () => {
  const scratch = mkdtempSync(join(tmpdir(), "sea-test-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("arm64 is an aarch64 ELF with a SEA blob that is neither snapshot nor code cache", () => {
    const blob = expectInjected(readFileSync(exe.arm64), EM_AARCH64);
    expect(blob.readUInt32LE(4) & (SEA_USE_SNAPSHOT | SEA_USE_CODE_CACHE)).toBe(0);
  });

  it("x64 is an x86-64 ELF with a SEA blob", () => {
    const blob = expectInjected(readFileSync(exe.x64), EM_X86_64);
    expect(blob.readUInt32LE(4) & SEA_USE_SNAPSHOT).toBe(0);
  });

  it("both executables were built from the sources in this checkout", () => {
    for (const file of [exe.x64, exe.arm64]) expect(() => assertFreshExecutable(file)).not.toThrow();
  });

  it("SHA256SUMS matches both executables", () => {
    const lines = readFileSync(sums, "utf8").trim().split("\n").sort();
    const expected = (["arm64", "x64"] as const).map(
      (arch) => `${createHash("sha256").update(readFileSync(exe[arch])).digest("hex")}  linux-${arch}/${NAME}`,
    );
    expect(lines).toEqual(expected.sort());
  });

  // No node on PATH (PATH is an empty directory), another cwd, a minimal environment.
  const emptyBin = join(scratch, "empty-bin");
  const cwd = join(scratch, "cwd");
  mkdirSync(emptyBin);
  mkdirSync(cwd);
  const env = {
    PATH: emptyBin,
    HOME: cwd,
    GH_CONTAINER_REGISTRY_SERVER: "ghcr.io",
    GH_CONTAINER_REGISTRY_USER: "u",
    GH_CONTAINER_REGISTRY_PASSWORD: "p",
  };
  const expected = '{"ServerURL":"ghcr.io","Username":"u","Secret":"p"}\n';
  const run = (cmd: string, args: string[], options: SpawnSyncOptions = {}) =>
    spawnSync(cmd, args, { cwd, env, input: "ghcr.io", encoding: "utf8", timeout: 30_000, killSignal: "SIGKILL", ...options });

  it("x64 answers get and version without node on PATH, from another cwd, with nothing on stderr", () => {
    const get = run(exe.x64, ["get"]);
    expect(get.stderr).toBe("");
    expect(get.stdout).toBe(expected);
    expect(get.status).toBe(0);
    const version = run(exe.x64, ["version"]);
    expect(version.stderr).toBe("");
    const { version: packageVersion } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
    expect(version.stdout).toBe(`${NAME} (${NAME}) ${packageVersion}\n`);
    expect(version.status).toBe(0);
  });

  it("x64 ignores NODE_OPTIONS: no preload, no flags", () => {
    const marker = join(scratch, "injected");
    const evil = join(scratch, "evil.cjs");
    writeFileSync(evil, `require("fs").writeFileSync(${JSON.stringify(marker)}, "x"); console.error("injected");\n`);
    for (const options of [`--require ${evil}`, `--import ${evil}`, "--title=evil --stack-trace-limit=0 --no-such-flag"]) {
      const get = run(exe.x64, ["get"], { env: { ...env, NODE_OPTIONS: options } });
      expect({ options, stderr: get.stderr, stdout: get.stdout, status: get.status }).toEqual({ options, stderr: "", stdout: expected, status: 0 });
    }
    expect(existsSync(marker)).toBe(false);
  });

  // Read-only needs a private mount namespace (root). In CI both of these must run (the test
  // command installs qemu-user and an arm64 libc); elsewhere a missing piece is a visible skip.
  const required = Boolean(process.env.CI);
  const roScript = [
    "export PATH=/usr/sbin:/usr/bin:/sbin:/bin",
    'mount --bind -o ro / / && for d in "$1" "$2"; do mount --bind -o ro "$d" "$d"; done',
    '! touch "$2/.rw" 2>/dev/null || { echo "still writable" >&2; exit 1; }',
    'cd "$2" && exec env PATH="$4" "$3" get',
  ].join("\n");
  const probe = spawnSync("unshare", ["--mount", "--propagation", "private", "true"], { timeout: 10_000 });
  it.runIf(required || probe.status === 0)("x64 runs on a read-only filesystem", () => {
    const get = run("/usr/bin/unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", roScript, "sh", dirname(exe.x64), cwd, exe.x64, emptyBin]);
    expect(get.stderr).toBe("");
    expect(get.stdout).toBe(expected);
  });
  if (!required && probe.status !== 0) it.skip("skipped: x64 on a read-only filesystem (unshare --mount refused here)", () => {});

  // The arm64 executable under qemu-user (test/setup/install-deps.sh installs it and an arm64 libc).
  const qemu = ["/usr/bin/qemu-aarch64", "/lib/ld-linux-aarch64.so.1"].every((f) => existsSync(f));
  it.runIf(required || qemu)("arm64 answers get under qemu-aarch64", () => {
    const get = run("/usr/bin/qemu-aarch64", [exe.arm64, "get"], { env: { ...env, QEMU_LD_PREFIX: "/" }, timeout: 120_000 });
    expect(get.stderr).toBe("");
    expect(get.stdout).toBe(expected);
  }, 130_000);
  if (!required && !qemu) it.skip("skipped: arm64 run (no qemu-aarch64 with an arm64 libc here)", () => {});
});

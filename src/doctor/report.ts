/**
 * The report `doctor` prints: one entry per registry with its checks, plus
 * problems that belong to no single registry; rendered as lines or as the
 * one JSON object scripts read. Every secret the run knows is blanked out
 * of the text as a last guard, though no check is meant to carry one.
 */
import { createRedactor } from "../redact.js";

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly message: string;
}

export interface RegistryReport {
  /** Normalised registry key; null for a triple whose SERVER is unusable. */
  readonly server: string | null;
  /** The triple's ID, or null for a credHelpers entry without a triple. */
  readonly id: string | null;
  readonly ok: boolean;
  readonly checks: readonly Check[];
}

export interface Report {
  readonly ok: boolean;
  readonly registries: readonly RegistryReport[];
  readonly problems: readonly string[];
  /** Findings about the whole setup that are fine, shown in the line format only. */
  readonly notes: readonly string[];
}

export function pass(name: string, message: string): Check {
  return { name, ok: true, message };
}
export function fail(name: string, message: string): Check {
  return { name, ok: false, message };
}

export function registryReport(server: string | null, id: string | null, checks: readonly Check[]): RegistryReport {
  return { server, id, ok: checks.every((c) => c.ok), checks };
}

export function makeReport(registries: readonly RegistryReport[], problems: readonly string[], notes: readonly string[]): Report {
  return { ok: registries.every((r) => r.ok) && problems.length === 0, registries, problems, notes };
}

export function renderJson(report: Report, secrets: readonly string[]): string {
  const { ok, registries, problems } = report;
  return `${scrub(JSON.stringify({ ok, registries, problems }), secrets)}\n`;
}

export function renderLines(report: Report, secrets: readonly string[]): string {
  const lines: string[] = [];
  const width = Math.max(0, ...report.registries.flatMap((r) => r.checks.map((c) => c.name.length)));
  for (const r of report.registries) {
    const who = r.id === null ? "credHelpers entry, no triple" : `${r.id}_CONTAINER_REGISTRY_*`;
    lines.push(`${r.server ?? "(no usable server)"} (${who}): ${r.ok ? "ok" : "NOT OK"}`);
    for (const c of r.checks) lines.push(`  ${c.ok ? "ok  " : "FAIL"}  ${c.name.padEnd(width)}  ${c.message}`);
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  for (const problem of report.problems) lines.push(`problem: ${problem}`);
  const bad = report.registries.filter((r) => !r.ok).length;
  const count = `${report.registries.length} ${report.registries.length === 1 ? "registry" : "registries"}`;
  lines.push(
    report.registries.length === 0
      ? "doctor: no <ID>_CONTAINER_REGISTRY_* triple and no credHelpers entry for this helper; nothing to check"
      : `doctor: ${count}, ${bad === 0 ? "all fine" : `${bad} not fine`}${report.problems.length > 0 ? `, ${report.problems.length} other problem(s)` : ""}`,
  );
  return `${scrub(lines.join("\n"), secrets)}\n`;
}

/** Every known secret replaced, also in its JSON-escaped form. */
function scrub(text: string, secrets: readonly string[]): string {
  // A secret holding a quote or backslash appears escaped in the JSON, and in a
  // line that quotes what another program said: blank that spelling too.
  return createRedactor(secrets.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))(text);
}

// The mutants of a Stryker report (its incremental file will do) that no test detected, with the
// code they replace, for triage: kill each with a test or list it in test/mutation/equivalent.md.
// Usage: node test/mutation/survivors.mjs [report.json] [file-substring]
import { readFileSync } from "node:fs";

const [reportPath = "test/mutation/incremental.json", only = ""] = process.argv.slice(2);
const report = JSON.parse(readFileSync(reportPath, "utf8"));
const undetected = new Set(["Survived", "NoCoverage"]);

for (const [file, { source, mutants }] of Object.entries(report.files).sort()) {
  if (!file.includes(only)) continue;
  const lines = source.split("\n");
  const original = ({ start, end }) =>
    start.line === end.line
      ? lines[start.line - 1].slice(start.column - 1, end.column - 1)
      : `${lines[start.line - 1].slice(start.column - 1)} …`;
  for (const m of mutants.filter((m) => undetected.has(m.status)).sort((a, b) => a.location.start.line - b.location.start.line)) {
    const at = `${file}:${m.location.start.line}:${m.location.start.column}`;
    console.log(`${at} ${m.mutatorName} ${m.status}\n  ${original(m.location).slice(0, 160)}\n  → ${String(m.replacement).slice(0, 160)}`);
  }
}

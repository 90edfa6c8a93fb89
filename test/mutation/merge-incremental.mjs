// Merges Stryker incremental reports from runs over different parts of src/ (parallel branches,
// one module group at a time) into one: node test/mutation/merge-incremental.mjs out.json a.json b.json …
// Later files win for a source or test file present in several; Stryker re-tests any mutant whose
// code or covering tests no longer match what the merged report recorded.
import { readFileSync, writeFileSync } from "node:fs";

const [out, ...inputs] = process.argv.slice(2);
if (!out || inputs.length === 0) {
  console.error("usage: node test/mutation/merge-incremental.mjs out.json report.json…");
  process.exit(2);
}
const reports = inputs.map((file) => JSON.parse(readFileSync(file, "utf8")));
const merged = { ...reports[0], files: {}, testFiles: {} };
for (const report of reports) {
  Object.assign(merged.files, report.files);
  Object.assign(merged.testFiles, report.testFiles ?? {});
}
writeFileSync(out, JSON.stringify(merged));
const mutants = Object.values(merged.files).reduce((n, f) => n + f.mutants.length, 0);
console.log(`${out}: ${Object.keys(merged.files).length} source files, ${mutants} mutants, ${Object.keys(merged.testFiles).length} test files`);

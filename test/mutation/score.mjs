// Mutation score per source file of a Stryker report (its incremental file will do), as Stryker
// counts it: (killed + timed out) / (those + survived + no coverage). Usage: node test/mutation/score.mjs report.json
import { readFileSync } from "node:fs";

const report = JSON.parse(readFileSync(process.argv[2] ?? "test/mutation/incremental.json", "utf8"));
const total = { detected: 0, valid: 0, survived: 0, timeout: 0 };
for (const [file, { mutants }] of Object.entries(report.files).sort()) {
  const count = (status) => mutants.filter((m) => m.status === status).length;
  const detected = count("Killed") + count("Timeout");
  const valid = detected + count("Survived") + count("NoCoverage");
  total.detected += detected;
  total.valid += valid;
  total.survived += valid - detected;
  total.timeout += count("Timeout");
  const score = valid === 0 ? "n/a" : `${((100 * detected) / valid).toFixed(1)}%`;
  console.log(`${file.padEnd(40)} ${score.padStart(6)}  ${detected}/${valid}  (${count("Timeout")} timed out, ${valid - detected} left)`);
}
console.log(`${"all".padEnd(40)} ${((100 * total.detected) / total.valid).toFixed(1).padStart(5)}%  ${total.detected}/${total.valid}  (${total.timeout} timed out, ${total.survived} left)`);

// Prints vitest's JSON report as the one line CI reads: "N passed, N failed, N skipped".
import { existsSync, readFileSync } from "node:fs";

const path = process.argv[2] ?? ".vitest-report.json";
if (!existsSync(path)) {
  console.log("0 passed, 0 failed");
  console.error(`no test report at ${path}: the test run did not finish`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(path, "utf8"));
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);

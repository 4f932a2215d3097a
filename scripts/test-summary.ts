// Prints the run's closing lines: how it started nats-server (from the file the global setup wrote,
// when given), then vitest's JSON report as "N passed, N failed, N skipped", alone on the last line
// because CI reads that line.
import { existsSync, readFileSync } from 'node:fs';
import type { HarnessChoice } from '@signalbox/testing';

const [reportFile = '.vitest-report.json', harnessFile] = process.argv.slice(2);
if (!existsSync(reportFile)) {
  console.error(`no ${reportFile}: vitest stopped before it ran the tests (see its output above)`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
};
if (harnessFile && existsSync(harnessFile)) {
  const { harness, version, why } = JSON.parse(readFileSync(harnessFile, 'utf8')) as HarnessChoice;
  console.log(`nats-server ${version ?? '(version unknown)'} ${harness === 'container' ? 'in containers' : 'as processes'} (${why})`);
}
console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests + report.numTodoTests} skipped`);

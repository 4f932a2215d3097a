// Prints the run's closing lines: how it started nats-server (from the file the global setup wrote,
// when given), then vitest's JSON report as "N passed, N failed, N skipped", alone on the last line
// because CI reads that line. A test file that failed before its tests ran counts as one failure.
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
  testResults: { name: string; status: string; assertionResults: { status: string }[] }[];
};
// A file that failed before any of its tests could (its server would not start, say) has them all skipped:
// it counts as a failure of its own, or the last line would say 0 failed of a red run.
const failedBeforeTests = report.testResults.filter((file) => file.status === 'failed' && !file.assertionResults.some((test) => test.status === 'failed'));
for (const file of failedBeforeTests) console.log(`failed before its tests ran: ${file.name}`);
if (harnessFile && existsSync(harnessFile)) {
  const { harness, version, why } = JSON.parse(readFileSync(harnessFile, 'utf8')) as HarnessChoice;
  console.log(`nats-server ${version ?? '(version unknown)'} ${harness === 'container' ? 'in containers' : 'as processes'} (${why})`);
}
const skipped = report.numPendingTests + report.numTodoTests - failedBeforeTests.reduce((sum, file) => sum + file.assertionResults.length, 0);
console.log(`${report.numPassedTests} passed, ${report.numFailedTests + failedBeforeTests.length} failed, ${skipped} skipped`);

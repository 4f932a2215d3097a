import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = new URL('../../scripts/test-summary.ts', import.meta.url).pathname;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sbx-summary-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The summary's lines for a vitest JSON report of these files. */
async function summaryOf(files: { name: string; status: string; tests: string[] }[]): Promise<string[]> {
  const count = (status: string) => files.flatMap((file) => file.tests).filter((test) => test === status).length;
  const report = {
    numPassedTests: count('passed'),
    numFailedTests: count('failed'),
    numPendingTests: count('skipped'),
    numTodoTests: 0,
    testResults: files.map(({ name, status, tests }) => ({ name, status, assertionResults: tests.map((test) => ({ status: test })) })),
  };
  const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(report));
  return (await run(process.execPath, [script, file])).stdout.trim().split('\n');
}

describe('the test run\'s last line', () => {
  it('counts passed, failed and skipped tests', async () => {
    const lines = await summaryOf([{ name: 'a.test.ts', status: 'failed', tests: ['passed', 'failed', 'skipped'] }, { name: 'b.test.ts', status: 'passed', tests: ['passed'] }]);
    expect(lines.at(-1)).toBe('2 passed, 1 failed, 1 skipped');
  });

  it('counts a file that failed before its tests ran as a failure, not as its tests skipped, and names it', async () => {
    const lines = await summaryOf([{ name: 'setup-failed.test.ts', status: 'failed', tests: ['skipped', 'skipped', 'skipped'] }, { name: 'b.test.ts', status: 'passed', tests: ['passed', 'skipped'] }]);
    expect(lines).toEqual(['failed before its tests ran: setup-failed.test.ts', '1 passed, 1 failed, 1 skipped']);
  });
});

import { readFile, stat } from 'node:fs/promises';
import { formatEvalRecord, parseSuite, runSuite, type RunResult } from '@signalbox/evals';
import { withClient, type GlobalOptions } from './connection.ts';

export interface EvalFlags {
  html?: string;
}

/** The largest suite file read: a suite names tasks and configurations, not data sets. */
const maxSuiteBytes = 4 * 1024 * 1024;

/**
 * Runs a suite (every task under every configuration, as tagged sessions), stores the run in the
 * evals bucket and prints its tables (or the record as JSON). Exit 0 when it ran, whatever the
 * success rates: an eval measures, it does not gate.
 */
export async function evalCommand(options: GlobalOptions, file: string, _flags: EvalFlags): Promise<void> {
  const suite = parseSuite(await readSuiteFile(file));
  await withClient(options, async (client) => {
    const onRun = options.json ? undefined : (run: RunResult) => process.stderr.write(`${runLine(run)}\n`);
    const record = await runSuite({ client, ...(onRun ? { onRun } : {}) }, suite);
    console.log(options.json ? JSON.stringify(record, null, 2) : formatEvalRecord(record));
  });
}

async function readSuiteFile(file: string): Promise<string> {
  const size = (await stat(file)).size;
  if (size > maxSuiteBytes) throw new Error(`${file} is ${size} bytes; a suite file is at most ${maxSuiteBytes}`);
  return readFile(file, 'utf8');
}

function runLine(run: RunResult): string {
  const mark = run.success ? 'ok  ' : 'FAIL';
  const why = run.success ? '' : `  (${run.failures.join('; ')})`;
  return `${mark} ${run.configuration} · ${run.task} #${run.repeat + 1}  ${run.sessionId}${why}`;
}

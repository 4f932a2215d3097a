import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EvalRecords, findingsIn, formatEvalRecord, htmlReport, parseLabelledTrajectories, parseSuite, runSuite, spanQuality, spanQualityTable, type EvalRecord, type LabelledTrajectory, type RunResult } from '@signalbox/evals';
import { SupervisionConfig } from '@signalbox/events';
import { z } from 'zod';
import { withClient, type GlobalOptions } from './connection.ts';

export interface EvalFlags {
  trajectories?: string;
  supervision?: string;
  html?: string;
  record?: string;
}

/** The largest suite or trajectory file read. */
const maxFileBytes = 64 * 1024 * 1024;

/**
 * With a suite: runs it (every task under every configuration, as tagged sessions), stores the run in
 * the evals bucket and prints its tables (or the record as JSON). With `--trajectories`: scores the
 * detectors on labelled trajectories, offline. Exit 0 when it ran, whatever the figures: an eval
 * measures, it does not gate.
 */
export async function evalCommand(options: GlobalOptions, file: string | undefined, flags: EvalFlags): Promise<void> {
  if (flags.trajectories !== undefined) return scoreTrajectories(options, flags.trajectories, flags.supervision);
  if (flags.record !== undefined) return showRecord(options, flags.record, flags.html);
  if (file === undefined) throw new Error('name a suite file, or --record <id>, or --trajectories <file or folder>');
  const suite = parseSuite(await readBounded(file));
  await withClient(options, async (client) => {
    const onRun = options.json ? undefined : (run: RunResult) => process.stderr.write(`${runLine(run)}\n`);
    await present(options, await runSuite({ client, ...(onRun ? { onRun } : {}) }, suite), flags.html);
  });
}

/** A stored run of an eval, printed (and written as HTML) again. */
async function showRecord(options: GlobalOptions, id: string, html: string | undefined): Promise<void> {
  await withClient(options, async (client) => {
    const record = await (await EvalRecords.open(client.nc, client.names)).get(id);
    if (!record) throw new Error(`no eval run ${id} (or it does not validate)`);
    await present(options, record, html);
  }, 'must-exist');
}

async function present(options: GlobalOptions, record: EvalRecord, html: string | undefined): Promise<void> {
  if (html !== undefined) await writeFile(html, htmlReport(record));
  console.log(options.json ? JSON.stringify(record, null, 2) : formatEvalRecord(record));
  if (html !== undefined && !options.json) console.log(`\nreport: ${html}`);
}

/** Precision and recall of each detector on the labelled trajectories in a file, or in a folder's .json and .jsonl files. */
async function scoreTrajectories(options: GlobalOptions, path: string, supervision: string | undefined): Promise<void> {
  const config = supervision === undefined ? undefined : supervisionFlag(supervision);
  const trajectories: LabelledTrajectory[] = [];
  for (const file of await trajectoryFiles(path)) trajectories.push(...parseLabelledTrajectories(await readBounded(file), file));
  const scores = spanQuality(trajectories.map((trajectory) => ({ trajectory, findings: findingsIn(trajectory, config === undefined ? {} : { config }) })));
  console.log(options.json ? JSON.stringify({ trajectories: trajectories.length, scores }, null, 2) : `${trajectories.length} labelled trajectories\n\n${spanQualityTable(scores)}`);
}

async function trajectoryFiles(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return [path];
  const names = (await readdir(path)).filter((name) => name.endsWith('.json') || name.endsWith('.jsonl')).sort();
  return names.map((name) => join(path, name));
}

function supervisionFlag(text: string): SupervisionConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`--supervision must be JSON, like '{"repetition":{"repeats":4}}'`, { cause: error });
  }
  const parsed = SupervisionConfig.safeParse(json);
  if (!parsed.success) throw new Error(`--supervision: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  return parsed.data;
}

async function readBounded(file: string): Promise<string> {
  const size = (await stat(file)).size;
  if (size > maxFileBytes) throw new Error(`${file} is ${size} bytes; at most ${maxFileBytes} are read`);
  return readFile(file, 'utf8');
}

function runLine(run: RunResult): string {
  const mark = run.success ? 'ok  ' : 'FAIL';
  const why = run.success ? '' : `  (${run.failures.join('; ')})`;
  return `${mark} ${run.configuration} · ${run.task} #${run.repeat + 1}  ${run.sessionId}${why}`;
}

import { readFile, stat } from 'node:fs/promises';
import { RegradeError, regradeJobs, regradeSessionId, type RecordedGrade, type SignalboxClient } from '@signalbox/client';
import { readRubric, RubricInput, type GradeCommand, type Rubric } from '@signalbox/events';
import { withClient, type GlobalOptions } from './connection.ts';
import { parseDefinitionFile } from './definition-files.ts';
import { wholeNumberFlag } from './flags.ts';

export interface RegradeFlags {
  rubric: string;
  last?: boolean;
  timeoutMs: string;
}

/** The largest rubric file read: 50 criteria of 2,000 characters fit many times over. */
export const maxRubricFileBytes = 1_000_000;

/** A grade as the side-by-side shows it: a recorded one, or the new GradeCommand. */
type Grade = Pick<RecordedGrade, 'passed' | 'score' | 'verdicts' | 'graders' | 'changes' | 'problem'>;

/** One attempt graded again: the grade recorded then (none if never graded), and the new one or why there is none. */
export interface RegradedAttempt {
  attempt: number;
  old: Grade | undefined;
  new: GradeCommand | undefined;
  error?: string;
}

/** A session's attempts graded again, or why none were. */
export type RegradedSession = { sessionId: string; attempts: RegradedAttempt[] } | { sessionId: string; problem: string };

/** A rubric file's text read as a rubric (a sentence, or `{ criteria }`), or every problem with it. */
export function parseRubricFile(file: string, text: string): { ok: true; rubric: Rubric } | { ok: false; problems: string[] } {
  if (Buffer.byteLength(text) > maxRubricFileBytes) return { ok: false, problems: [`${file}: is larger than ${maxRubricFileBytes} bytes: not a rubric`] };
  let parsed;
  try {
    parsed = parseDefinitionFile(file, text, RubricInput, 'rubric');
  } catch (error) {
    // A document nested deeper than the parser recurses: no rubric is.
    if (error instanceof RangeError) return { ok: false, problems: [`${file}: is nested too deeply to be a rubric`] };
    throw error;
  }
  if (!parsed.ok) return parsed;
  if (parsed.definitions.length !== 1) return { ok: false, problems: [`${file}: holds ${parsed.definitions.length} rubrics; give one (a sentence, or { criteria: [...] })`] };
  const read = readRubric(parsed.definitions[0]);
  return 'problem' in read ? { ok: false, problems: [`${file}: ${read.problem}`] } : { ok: true, rubric: read.rubric };
}

async function readRubricFile(file: string): Promise<Rubric> {
  let text: string;
  try {
    // The size first: a huge file (or a device) is not read into memory to be refused.
    const info = await stat(file);
    if (!info.isFile()) throw new Error('it is not a file');
    if (info.size > maxRubricFileBytes) throw new Error(`it is larger than ${maxRubricFileBytes} bytes: not a rubric`);
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the rubric file ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const parsed = parseRubricFile(file, text);
  if (!parsed.ok) throw new Error(`the rubric is not one:\n${parsed.problems.join('\n')}`);
  return parsed.rubric;
}

/** Grades each session's submitted attempts again against the rubric file, printing old and new side by side; exit 1 when one could not be. */
export async function regradeCommand(options: GlobalOptions, sessionIds: string[], flags: RegradeFlags): Promise<void> {
  const timeoutMs = wholeNumberFlag('--timeout-ms', flags.timeoutMs);
  const ids = sessionIds.map(regradeSessionId);
  const rubric = await readRubricFile(flags.rubric);
  const results = await withClient(options, async (client) => {
    const sessions: RegradedSession[] = [];
    for (const sessionId of ids) sessions.push(await regradeSession(client, sessionId, rubric, { last: flags.last, timeoutMs }));
    return sessions;
  }, 'must-exist');
  console.log(options.json ? JSON.stringify({ sessions: results }, null, 2) : formatRegrade(results));
  if (results.some((session) => 'problem' in session || session.attempts.some((attempt) => attempt.error !== undefined))) process.exitCode = 1;
}

async function regradeSession(client: SignalboxClient, sessionId: string, rubric: Rubric, options: { last?: boolean; timeoutMs: number }): Promise<RegradedSession> {
  const events = await client.events(sessionId);
  if (events.length === 0) return { sessionId, problem: `no session ${sessionId}` };
  let jobs;
  try {
    jobs = regradeJobs(events, rubric, options);
  } catch (error) {
    if (error instanceof RegradeError) return { sessionId, problem: error.message };
    throw error;
  }
  const attempts: RegradedAttempt[] = [];
  for (const { attempt, job, old } of jobs) {
    const was = old && { passed: old.passed, score: old.score, verdicts: old.verdicts, graders: old.graders, changes: old.changes, ...(old.problem === undefined ? {} : { problem: old.problem }) };
    try {
      attempts.push({ attempt, old: was, new: await client.regrade(job, { timeoutMs: options.timeoutMs }) });
    } catch (error) {
      // No grader running, or none answering in time: the same for every job, so said once.
      if (!(error instanceof RegradeError) || !error.message.startsWith('the grader could not')) throw error;
      attempts.push({ attempt, old: was, new: undefined, error: error.message });
    }
  }
  return { sessionId, attempts };
}


const verdictOf = (grade: Grade | undefined): string => {
  if (!grade) return '-';
  if (grade.problem) return 'problem';
  return `${grade.passed ? 'pass' : 'fail'} ${grade.score.toFixed(2)}`;
};

/** Each session's attempts, the recorded grade and the new one side by side: the verdict, each criterion and grader, then the changes the new grade asks for. */
export function formatRegrade(sessions: readonly RegradedSession[]): string {
  const lines: string[] = [];
  for (const session of sessions) {
    if (lines.length > 0) lines.push('');
    lines.push(`session ${session.sessionId}`);
    if ('problem' in session) {
      lines.push(`  ${session.problem}`);
      continue;
    }
    for (const { attempt, old, new: now, error } of session.attempts) {
      const rows: [string, string, string][] = [[`attempt ${attempt}`, 'old', 'new'], ['grade', verdictOf(old), error ? 'error' : verdictOf(now)]];
      const criteria = [...new Set([...(old?.verdicts ?? []), ...(now?.verdicts ?? [])].map((verdict) => verdict.criterion))];
      for (const id of criteria) {
        const cell = (grade: Grade | undefined) => {
          const verdict = grade?.verdicts.find((each) => each.criterion === id);
          return verdict ? (verdict.passed ? 'pass' : 'fail') : '-';
        };
        rows.push([`  ${id}`, cell(old), cell(now)]);
      }
      const graders = [...new Set([...(old?.graders ?? []), ...(now?.graders ?? [])].map((grader) => grader.name))];
      for (const name of graders) {
        const cell = (grade: Grade | undefined) => {
          const result = grade?.graders.find((each) => each.name === name);
          return result ? `${result.passed ? 'pass' : 'fail'} ${result.score.toFixed(2)}` : '-';
        };
        rows.push([`  grader ${name}`, cell(old), cell(now)]);
      }
      const labelWidth = Math.max(...rows.map(([label]) => label.length));
      const oldWidth = Math.max(...rows.map(([, was]) => was.length));
      lines.push(...rows.map(([label, was, is]) => `  ${label.padEnd(labelWidth)}  ${was.padEnd(oldWidth)}  ${is}`.trimEnd()));
      if (error) lines.push(`  ${error}`);
      else if (now?.problem) lines.push(`  could not grade: ${now.problem}`);
      else if (now && now.changes.length > 0) lines.push('  changes the new grade asks for:', ...now.changes.map((change) => `    - ${change}`));
    }
  }
  return lines.join('\n');
}

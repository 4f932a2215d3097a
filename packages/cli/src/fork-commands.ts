import { diffSessions, type ForkOptions, type SessionDiff, type SessionSummary } from '@signalbox/client';
import { withClient, type GlobalOptions } from './connection.ts';
import { clip, dollars } from './excerpts.ts';
import { wholeNumberFlag } from './flags.ts';
import { exitCodeOf, printTimeline } from './session-commands.ts';

/** The fork options as the command line gives them: `--at` is text, and `--follow` prints the fork's timeline. */
export type ForkFlags = Omit<ForkOptions, 'at'> & { at: string; follow?: boolean };

export async function forkSession(options: GlobalOptions, sessionId: string, flags: ForkFlags): Promise<void> {
  const at = wholeNumberFlag('--at', flags.at);
  await withClient(options, async (client) => {
    const { model, system, toolOutput, reply, hermetic } = flags;
    const forkId = await client.fork(sessionId, { at, model, system, toolOutput, reply, hermetic, sessionId: flags.sessionId });
    console.log(options.json ? JSON.stringify({ sessionId: forkId, forkedFrom: { sessionId, n: at } }) : forkId);
    if (flags.follow) process.exitCode = exitCodeOf(await printTimeline(options, client, forkId));
  }, 'must-exist');
}

export async function diffCommand(options: GlobalOptions, a: string, b: string): Promise<void> {
  await withClient(options, async (client) => {
    const [left, right] = await Promise.all([client.events(a), client.events(b)]);
    if (left.length === 0) throw new Error(`no session ${a}`);
    if (right.length === 0) throw new Error(`no session ${b}`);
    const diff = diffSessions(left, right);
    console.log(options.json ? JSON.stringify(diff, null, 2) : formatDiff(diff));
  }, 'must-exist');
}

/** The divergence, then the two outcomes side by side. */
export function formatDiff(diff: SessionDiff): string {
  const { divergence } = diff;
  const head = divergence
    ? [
        `first divergence at event ${divergence.n}:`,
        `  a: ${describe(divergence.a)}`,
        `  b: ${describe(divergence.b)}`,
      ]
    : ['no divergence: the two logs hold the same events'];
  const rows: [string, (summary: SessionSummary) => string][] = [
    ['session', (s) => s.sessionId],
    ['outcome', (s) => s.status + (s.reason ? ` (${s.reason})` : '')],
    ['events', (s) => String(s.events)],
    ['steps', (s) => String(s.totals?.steps ?? '-')],
    ['tool calls', (s) => String(s.totals?.toolCalls ?? '-')],
    ['tokens', (s) => (s.totals ? `${s.totals.inputTokens}→${s.totals.outputTokens}` : '-')],
    ['cost', (s) => (s.totals ? dollars(s.totals.costUsd) : '-')],
    ['grades', (s) => gradesCell(s)],
    ['grading cost', (s) => (s.totals?.grading ? dollars(s.totals.grading.costUsd) : '-')],
    ['duration', (s) => `${s.durationMs} ms`],
  ];
  const width = Math.max(...rows.map(([, cell]) => cell(diff.a).length), 1);
  const table = rows.map(([label, cell]) => `${label.padEnd(12)} ${cell(diff.a).padEnd(width)}  ${cell(diff.b)}`);
  return [...head, '', ...table].join('\n');
}

/** A session's grades in order, `1 fail 0.40, 2 pass 1.00`; `-` when it has none. */
export function gradesCell(summary: Pick<SessionSummary, 'grades'>): string {
  if (summary.grades.length === 0) return '-';
  return summary.grades.map((grade) => `${grade.attempt} ${grade.passed ? 'pass' : 'fail'} ${grade.score.toFixed(2)}`).join(', ');
}

function describe(event: { type: string; data: unknown } | undefined): string {
  if (!event) return '(no event: the log ends before it)';
  return `${event.type} ${clip(JSON.stringify(event.data), 160)}`;
}

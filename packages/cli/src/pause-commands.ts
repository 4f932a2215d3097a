import { userInfo } from 'node:os';
import type { ResumeOptions } from '@signalbox/client';
import { withClient, type GlobalOptions } from './connection.ts';
import { positiveNumberFlag, wholeNumberFlag } from './flags.ts';

export interface PauseFlags {
  reason?: string;
  as?: string;
}

export interface ResumeFlags {
  as?: string;
  maxSteps?: string;
  maxCostUsd?: string;
  maxToolCalls?: string;
  maxCallsOf?: string[];
  maxNonIdempotentCalls?: string;
  maxWallClockMs?: string;
}

/** `signalbox pause <id>`: the session records who paused it and makes no model or tool call until resumed. */
export async function pauseCommand(options: GlobalOptions, sessionId: string, flags: PauseFlags): Promise<void> {
  const by = flags.as ?? defaultRequester();
  await withClient(options, async (client) => {
    const sent = await client.pause(sessionId, { by, reason: flags.reason ?? '' });
    report(options, { sessionId, by, ...sent }, `asked ${sessionId} to pause (as ${by})`);
  }, 'must-exist');
}

/** `signalbox resume <id>`: a paused session goes on, with the budget's limits the flags set. */
export async function resumeCommand(options: GlobalOptions, sessionId: string, flags: ResumeFlags): Promise<void> {
  const by = flags.as ?? defaultRequester();
  const limits = resumeLimitsOf(flags);
  await withClient(options, async (client) => {
    const sent = await client.resume(sessionId, { by, ...limits });
    const named = Object.entries(limits).map(([limit, value]) => ` ${limit} ${typeof value === 'object' ? JSON.stringify(value) : value}`).join('');
    report(options, { sessionId, by, ...sent }, `asked ${sessionId} to resume (as ${by})${named ? `, with${named}` : ''}`);
  }, 'must-exist');
}

/** The budget limits the flags set, each checked in its flag's own words; `--max-calls-of tool=n` once a tool. */
function resumeLimitsOf(flags: ResumeFlags): Omit<ResumeOptions, 'by'> {
  const whole = (flag: string, text: string | undefined, min = 1) => (text === undefined ? undefined : wholeNumberFlag(flag, text, min));
  const perTool = flags.maxCallsOf?.map((text): [string, number] => {
    const [tool, count] = text.split('=');
    if (!tool || count === undefined) throw new Error(`--max-calls-of takes <tool>=<n>, like workspace.write=10, not ${JSON.stringify(text)}`);
    return [tool, wholeNumberFlag(`--max-calls-of ${tool}`, count, 0)];
  });
  const limits = {
    maxSteps: whole('--max-steps', flags.maxSteps),
    maxCostUsd: flags.maxCostUsd === undefined ? undefined : positiveNumberFlag('--max-cost-usd', flags.maxCostUsd),
    maxToolCalls: whole('--max-tool-calls', flags.maxToolCalls),
    maxToolCallsPerTool: perTool === undefined ? undefined : Object.fromEntries(perTool),
    maxNonIdempotentCalls: whole('--max-non-idempotent-calls', flags.maxNonIdempotentCalls, 0),
    maxWallClockMs: whole('--max-wall-clock-ms', flags.maxWallClockMs, 1_000),
  };
  return Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined));
}

/** Who a command acts as when `--as` is not given: `cli:<os user>`. */
export function defaultRequester(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli'; // no user name for this uid (some containers)
  }
}

export function report(options: GlobalOptions, data: { sessionId: string; by: string; messageId: string; duplicate: boolean }, text: string): void {
  const note = data.duplicate ? ' (already asked: the same command was sent moments ago)' : '; the session records it when its actor takes the command';
  console.log(options.json ? JSON.stringify(data) : `${text}${note}`);
}

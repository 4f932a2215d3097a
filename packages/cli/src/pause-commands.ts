import { userInfo } from 'node:os';
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
  const maxSteps = flags.maxSteps === undefined ? undefined : wholeNumberFlag('--max-steps', flags.maxSteps);
  const maxCostUsd = flags.maxCostUsd === undefined ? undefined : positiveNumberFlag('--max-cost-usd', flags.maxCostUsd);
  await withClient(options, async (client) => {
    const sent = await client.resume(sessionId, { by, maxSteps, maxCostUsd });
    const limits = [maxSteps === undefined ? '' : ` maxSteps ${maxSteps}`, maxCostUsd === undefined ? '' : ` maxCostUsd ${maxCostUsd}`].join('');
    report(options, { sessionId, by, ...sent }, `asked ${sessionId} to resume (as ${by})${limits ? `, with${limits}` : ''}`);
  }, 'must-exist');
}

/** Who a command acts as when `--as` is not given: `cli:<os user>`. */
export function defaultRequester(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli'; // no user name for this uid (some containers)
  }
}

function report(options: GlobalOptions, data: { sessionId: string; by: string; messageId: string; duplicate: boolean }, text: string): void {
  const note = data.duplicate ? ' (already asked: the same command was sent moments ago)' : '; the session records it when its actor takes the command';
  console.log(options.json ? JSON.stringify(data) : `${text}${note}`);
}

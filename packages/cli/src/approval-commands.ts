import type { PendingApproval } from '@signalbox/client';
import { natsAuthOf, withClient, type GlobalOptions } from './connection.ts';
import { clip } from './excerpts.ts';
import { defaultRequester } from './pause-commands.ts';

export interface ApprovalFlags {
  note?: string;
  as?: string;
  /** `approve --for-session`: the tool's later calls in the session too. */
  forSession?: boolean;
}

/** `signalbox approvals`: the calls every session holds for a person, the nearest deadline first. */
export async function listApprovals(options: GlobalOptions): Promise<void> {
  const approvals = await withClient(options, (client) => client.approvals(), 'must-exist');
  if (options.json) return console.log(JSON.stringify(approvals));
  if (approvals.length === 0) return console.log('no call is waiting for approval');
  for (const approval of approvals) console.log(approvalLines(approval).join('\n'));
}

/** `signalbox approve <id>`: the session records who approved the call, and runs it. */
export async function approveCommand(options: GlobalOptions, approvalId: string, flags: ApprovalFlags): Promise<void> {
  const by = approverOf(options, flags);
  const scope = flags.forSession ? ('session' as const) : undefined;
  await withClient(options, async (client) => {
    const sent = await client.approve(approvalId, { by, ...(flags.note === undefined ? {} : { note: flags.note }), ...(scope ? { scope } : {}) });
    const what = scope ? ' and the tool’s later calls in its session' : '';
    report(options, { approvalId, approved: true, by, ...sent }, `approved ${approvalId}${what} (as ${by})`);
  }, 'must-exist');
}

/** `signalbox deny <id>`: the call does not run; the model reads who said no, and the note. */
export async function denyCommand(options: GlobalOptions, approvalId: string, flags: ApprovalFlags): Promise<void> {
  const by = approverOf(options, flags);
  await withClient(options, async (client) => {
    const sent = await client.deny(approvalId, { by, ...(flags.note === undefined ? {} : { note: flags.note }) });
    report(options, { approvalId, approved: false, by, ...sent }, `denied ${approvalId} (as ${by})`);
  }, 'must-exist');
}

/** Who answers: `--as`, else the NATS user the command connects as, else the OS user. */
function approverOf(options: GlobalOptions, flags: ApprovalFlags): string {
  if (flags.as !== undefined) return flags.as;
  const { user } = natsAuthOf(options);
  return user === undefined ? defaultRequester() : `nats:${user}`;
}

function approvalLines(approval: PendingApproval): string[] {
  const { approvalId, tool, sessionId, agent, deadline, reason, input } = approval;
  return [
    `${approvalId}  ${tool}  (session ${sessionId}, agent ${agent})  denied unless answered by ${new Date(deadline).toISOString()}`,
    `  ${clip(reason, 200)}`,
    `  input: ${clip(input, 200)}`,
  ];
}

function report(options: GlobalOptions, data: { approvalId: string; approved: boolean; by: string; messageId: string; duplicate: boolean }, text: string): void {
  const note = data.duplicate ? ' (already sent moments ago)' : '; the session records it when its actor takes the answer';
  console.log(options.json ? JSON.stringify(data) : `${text}${note}`);
}

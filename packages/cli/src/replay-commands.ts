import { replaySummary } from '@signalbox/client';
import type { NewEvent } from '@signalbox/events';
import { checkHistory } from '@signalbox/session';
import { useColour, withClient, type GlobalOptions } from './connection.ts';
import { wholeNumberFlag } from './flags.ts';
import { eventsUpTo, replayTimeline } from './replay-timeline.ts';

export interface ReplayFlags {
  full?: boolean;
  to?: string;
  check?: boolean;
  /** Also list the run's workspace as it was at the last event shown. */
  workspace?: boolean;
}

/** `signalbox replay`: a recorded run as a timeline, or (`--check`) whether the current code would decide it the same way. */
export async function replaySession(options: GlobalOptions, sessionId: string, flags: ReplayFlags): Promise<number> {
  const to = flags.to === undefined ? undefined : wholeNumberFlag('--to', flags.to);
  const events = await withClient(options, (client) => client.events(sessionId), 'must-exist');
  if (events.length === 0) throw new Error(`no session ${sessionId}`);
  const shown = eventsUpTo(events, to);
  if (flags.check) return printCheck(options, sessionId, shown);
  if (options.json) {
    console.log(JSON.stringify({ summary: replaySummary(events, to), events: shown }, null, 2));
    return 0;
  }
  for (const line of replayTimeline(events, { full: flags.full ?? false, to, colour: useColour() })) console.log(line);
  if (flags.workspace) await printWorkspace(options, sessionId, shown.at(-1)?.n ?? 0);
  return 0;
}

async function printWorkspace(options: GlobalOptions, sessionId: string, n: number): Promise<void> {
  const files = await withClient(options, (client) => client.workspaceAt(sessionId, n), 'must-exist');
  console.log('');
  console.log(`workspace after event ${n}: ${files.length === 0 ? '(empty)' : `${files.length} file${files.length === 1 ? '' : 's'}`}`);
  for (const file of files) console.log(`  ${file.path} (${file.size} bytes)`);
}

function printCheck(options: GlobalOptions, sessionId: string, events: Parameters<typeof checkHistory>[0]): number {
  const check = checkHistory(events);
  if (options.json) {
    console.log(JSON.stringify(check, null, 2));
  } else if (check.ok) {
    console.log(`${sessionId}: ${events.length} events replay through the current decider (${check.decisions.length} decisions, no divergence)`);
  } else {
    console.log(`${sessionId}: diverges at #${check.n}: ${check.reason}`);
    console.log(`  recorded: ${describe(check.expected)}`);
    console.log(`  now:      ${describe(check.actual)}`);
  }
  return check.ok ? 0 : 1;
}

function describe(event: NewEvent | null): string {
  return event ? `${event.type} ${JSON.stringify(event.data)}` : '(nothing)';
}

import type { SessionEvent } from '@signalbox/events';
import { useColour, withClient, type GlobalOptions } from './connection.ts';
import { laneLine, runTreeLines, unreadText } from './run-tree-texts.ts';
import { exitCodeOf } from './session-commands.ts';

/** `inspect --tree`: the run the session is the root of, a line a session, and what the whole tree spent. */
export async function inspectTree(options: GlobalOptions, sessionId: string): Promise<void> {
  await withClient(options, async (client) => {
    const tree = await client.runTree(sessionId);
    if (options.json) return console.log(JSON.stringify(tree, null, 2));
    for (const line of runTreeLines(tree, useColour())) console.log(line);
  }, 'must-exist');
}

/**
 * `tail --tree`: the session's events and each child's, from when its parent spawns it, a lane a
 * session; until every session followed has completed. Exits as `tail` does, on the root's status.
 */
export async function tailTree(options: GlobalOptions, sessionId: string): Promise<void> {
  await withClient(options, async (client) => {
    const colour = useColour();
    let status: RootStatus | undefined;
    for await (const item of client.followTree(sessionId)) {
      if (options.json) console.log(JSON.stringify(item));
      else if (item.kind === 'unread') console.error(`not followed: ${unreadText(item.child)}`);
      else console.log(laneLine(item, colour));
      if (item.kind === 'event' && item.lane.number === 0 && item.event.type === 'session.completed') status = item.event.data.status;
    }
    process.exitCode = exitCodeOf(status);
  }, 'must-exist');
}

type RootStatus = Extract<SessionEvent, { type: 'session.completed' }>['data']['status'];

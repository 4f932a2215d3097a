import { workspaceRevisionOf, type SessionEvent } from '@signalbox/events';
import type { EventReader } from './event-store.ts';
import type { WorkspaceLayer, WorkspaceView } from './workspace-files.ts';

/** Forks of forks followed at most this deep: far past any real chain, short of a runaway read. */
const maxForkDepth = 64;

/**
 * The workspace the run rooted at `root` sees now: every write of its own, then the workspace of the
 * session it was forked from, as of the fork point. A fork never changes its origin's files, and
 * starts with the files its origin had at the fork point (shared, not copied).
 */
export async function liveWorkspaceView(reader: EventReader, root: string): Promise<WorkspaceView> {
  const created = await reader.first(root);
  const origin = created?.type === 'session.created' ? created.data.forkedFrom : undefined;
  return [{ root }, ...(origin ? await workspaceViewAt(reader, origin.sessionId, origin.n) : [])];
}

/** The workspace of `sessionId`'s run as it was after its event `n`: what `replay --to n` lists, and what a fork at `n` starts with. */
export async function workspaceViewAt(reader: EventReader, sessionId: string, n: number, depth = 0): Promise<WorkspaceView> {
  if (depth > maxForkDepth) throw new Error(`session ${sessionId} is a fork more than ${maxForkDepth} forks deep`);
  const events = await reader.read(sessionId, { toN: n });
  const created = events[0];
  if (created?.type !== 'session.created') return [];
  const origin = created.data.forkedFrom;
  // A fork's first events are its origin's (copied, maybe edited): so is its workspace there.
  if (origin && n <= origin.n) return workspaceViewAt(reader, origin.sessionId, n, depth + 1);
  const own = ownLayer(created.correlationId, events, origin?.n ?? 0);
  return [...own, ...(origin ? await workspaceViewAt(reader, origin.sessionId, origin.n, depth + 1) : [])];
}

/** The run's own writes that the events after `afterN` record: up to the last revision they name, if any. */
export function ownLayer(root: string, events: readonly SessionEvent[], afterN: number): WorkspaceLayer[] {
  const revisions = events.filter((event) => event.n > afterN).flatMap((event) => workspaceRevisionOf(event) ?? []);
  return revisions.length === 0 ? [] : [{ root, upTo: Math.max(...revisions) }];
}

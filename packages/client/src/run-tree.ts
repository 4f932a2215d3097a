import type { SessionEvent, Totals } from '@signalbox/events';
import { totalsOf } from '@signalbox/session';
import { summarise, type SessionSummary } from '@signalbox/session';
import { subtractTotals, sumTotals } from './totals.ts';

/** How far a run's tree is read: a log that names itself, or an ancestor, as its child must not make it endless. */
export interface TreeLimits {
  /** Levels below the root read (its children are level 1); deeper children are named, not read. Default 8. */
  maxDepth?: number;
  /** Sessions read in all, the root included; children past it are named, not read. Default 300. */
  maxSessions?: number;
}

export const defaultTreeLimits: Required<TreeLimits> = { maxDepth: 8, maxSessions: 300 };

/** Why a child its parent's log names is not read. */
export type UnreadReason = 'deeper than the limit' | 'more sessions than the limit' | 'already in the tree' | 'its log names another parent';

/** A child a parent's log names (`subagent.spawned`) that the tree does not read, and why. */
export interface UnreadChild {
  sessionId: string;
  agent: string;
  reason: UnreadReason;
}

/** One session of a run and the children it spawned. */
export interface RunTreeNode {
  sessionId: string;
  /** The agent its log names, else the one its parent's `subagent.spawned` named. */
  agent: string;
  depth: number;
  /** `no log`: a child its parent spawned whose log holds nothing (not started yet, or deleted). */
  status: SessionSummary['status'] | 'no log';
  /** What this session spent itself: a parent counts what a completed child spent in its own totals, taken out here. */
  totals: Totals;
  output: string | undefined;
  reason: string | undefined;
  /** The task its parent gave it. */
  task: string | undefined;
  children: RunTreeNode[];
  unread: UnreadChild[];
}

/** A run: the root session and its subagents, theirs, and so on, with what the whole tree spent. */
export interface RunTree {
  root: RunTreeNode;
  /** Sessions in the tree (nodes), the root included. */
  sessions: number;
  /** Every node's own spend, plus what parents recorded of the children not read. */
  totals: Totals;
}

type Spawned = Extract<SessionEvent, { type: 'subagent.spawned' }>['data'];
type ChildCompleted = Extract<SessionEvent, { type: 'subagent.completed' }>['data'];

/** A node with what its log says of its children, while the tree is read. */
interface Branch {
  node: RunTreeNode;
  spawned: Spawned[];
  completed: Map<string, ChildCompleted>;
}

/**
 * Reads the run whose root is `rootId`, a level at a time, through `read` (a session's events, none
 * when it has no log). Children are found by their parent's `subagent.spawned`; one past the limits,
 * already in the tree, or whose log names another parent is named in `unread`, not read.
 */
export async function readRunTree(rootId: string, read: (sessionId: string) => Promise<readonly SessionEvent[]>, limits: TreeLimits = {}): Promise<RunTree> {
  const { maxDepth, maxSessions } = { ...defaultTreeLimits, ...limits };
  const root = branchOf(rootId, await read(rootId), 0, undefined);
  const seen = new Set([rootId]);
  const spent = [root.node.totals];
  let sessions = 1;
  let level = [root];
  while (level.length > 0) {
    const next: Branch[] = [];
    for (const parent of level) {
      const unread = (child: Spawned, reason: UnreadReason) => {
        parent.node.unread.push({ sessionId: child.sessionId, agent: child.agent, reason });
        const recorded = parent.completed.get(child.sessionId)?.totals;
        if (recorded && reason !== 'already in the tree') spent.push(recorded);
      };
      const admitted = parent.spawned.filter((child) => {
        const reason = seen.has(child.sessionId) ? 'already in the tree' : parent.node.depth >= maxDepth ? 'deeper than the limit' : seen.size >= maxSessions ? 'more sessions than the limit' : undefined;
        if (reason === undefined) seen.add(child.sessionId);
        else unread(child, reason);
        return reason === undefined;
      });
      const logs = await Promise.all(admitted.map((child) => read(child.sessionId)));
      admitted.forEach((child, i) => {
        const events = logs[i] ?? [];
        if (events.length > 0 && parentOf(events) !== parent.node.sessionId) return unread(child, 'its log names another parent');
        const branch = branchOf(child.sessionId, events, parent.node.depth + 1, { spawned: child, completed: parent.completed.get(child.sessionId) });
        parent.node.children.push(branch.node);
        spent.push(branch.node.totals);
        sessions += 1;
        next.push(branch);
      });
    }
    level = next;
  }
  return { root: root.node, sessions, totals: sumTotals(spent) };
}

/** A session's node and what its log says of its children; a child with no log is what its parent recorded of it. */
function branchOf(sessionId: string, events: readonly SessionEvent[], depth: number, from: { spawned: Spawned; completed: ChildCompleted | undefined } | undefined): Branch {
  const spawned = events.flatMap((event) => (event.type === 'subagent.spawned' ? [event.data] : []));
  const completed = new Map(events.flatMap((event) => (event.type === 'subagent.completed' ? [[event.data.sessionId, event.data] as const] : [])));
  const childrenSpent = sumTotals([...completed.values()].flatMap((child) => (child.totals ? [child.totals] : [])));
  const known = { sessionId, depth, task: from?.spawned.task, children: [], unread: [] };
  if (events.length === 0) {
    const record = from?.completed;
    return { node: { ...known, agent: from?.spawned.agent ?? '', status: 'no log', totals: record?.totals ?? sumTotals([]), output: record?.output, reason: record?.reason }, spawned, completed };
  }
  const summary = summarise(sessionId, events);
  const recorded = summary.totals ?? totalsOf(events);
  const agent = summary.agent ?? from?.spawned.agent ?? '';
  return { node: { ...known, agent, status: summary.status, totals: subtractTotals(recorded, childrenSpent), output: summary.output, reason: summary.reason }, spawned, completed };
}

/** The parent a child's `session.created` names. */
function parentOf(events: readonly SessionEvent[]): string | undefined {
  const created = events[0];
  return created?.type === 'session.created' ? created.data.parent?.sessionId : undefined;
}

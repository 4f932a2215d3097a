import type { Lane, RunTree, RunTreeNode, TreeEvent, UnreadChild } from '@signalbox/client';
import { assertNever } from '@signalbox/events';
import { clip, spendOf } from './excerpts.ts';
import { formatEvent, paint, type Style } from './timeline.ts';

/** `inspect --tree`: a line a session, indented by its depth, the children it named but were not read after its others, then the whole tree's spend. */
export function runTreeLines(tree: RunTree, colour: boolean): string[] {
  const lines = nodeLines(tree.root, colour);
  return [...lines, '', `${tree.sessions} ${tree.sessions === 1 ? 'session' : 'sessions'} · ${spendOf(tree.totals)}`];
}

function nodeLines(node: RunTreeNode, colour: boolean): string[] {
  const indent = '  '.repeat(node.depth);
  const outcome = node.output !== undefined ? ` → "${clip(node.output, 60)}"` : node.reason !== undefined ? `: ${clip(node.reason, 60)}` : '';
  const line = `${indent}${node.agent} ${paint(colour, 'dim', node.sessionId)} ${paint(colour, statusStyle(node.status), node.status)} · ${spendOf(node.totals)}${outcome}`;
  const unread = node.unread.map((child) => `${indent}  ${unreadText(child)}`);
  return [line, ...node.children.flatMap((child) => nodeLines(child, colour)), ...unread];
}

/** A child named by its parent's log and not read or followed. */
export function unreadText(child: UnreadChild): string {
  return `${child.agent} ${child.sessionId} not read: ${child.reason}`;
}

function statusStyle(status: RunTreeNode['status']): Style {
  switch (status) {
    case 'succeeded':
      return 'green';
    case 'failed':
    case 'aborted':
      return 'red';
    case 'running':
    case 'paused':
      return 'yellow';
    case 'no log':
      return 'dim';
    default:
      return assertNever(status);
  }
}

/** Lanes' labels cycle through these, so neighbouring lanes differ on a terminal. */
const laneStyles: readonly Style[] = ['bold', 'cyan', 'magenta', 'blue', 'yellow', 'green'];

/** `tail --tree`: an event's timeline line after its lane's label (lane number, agent, the end of its session id), indented by depth. */
export function laneLine(item: TreeEvent, colour: boolean): string {
  const label = `${'  '.repeat(item.lane.depth)}${laneLabel(item.lane)}`.padEnd(28);
  const text = item.kind === 'event' ? formatEvent(item.event, colour) : unreadText(item.child);
  return `${paint(colour, laneStyles[item.lane.number % laneStyles.length] ?? 'bold', label)} ${text}`;
}

function laneLabel(lane: Lane): string {
  const id = lane.sessionId.length > 8 ? `…${lane.sessionId.slice(-6)}` : lane.sessionId;
  return `${lane.number} ${lane.agent} ${id}`;
}

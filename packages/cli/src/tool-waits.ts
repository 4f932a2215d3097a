import { isBuiltInTool, isToolOutcome, type SessionEvent } from '@signalbox/events';

/** A tool's job consumer as the server sees it: what waits for an executor, and whether any is asking for work. */
export interface ToolConsumer {
  /** Jobs no executor has taken yet. */
  pending: number;
  /** Jobs an executor took and has not finished. */
  inProgress: number;
  /** Pull requests the server holds: executors with room for more. */
  pulls: number;
}

/**
 * Follows a session's calls: an executor's tool is awaited from its `tool.requested` until its outcome,
 * an interrupt or the session's end. The runtime's own tools (`wait.*`) wait by design, on no executor.
 */
export function noteToolCall(awaited: Map<string, string>, event: SessionEvent): void {
  if (event.type === 'tool.requested' && !isBuiltInTool(event.data.tool)) awaited.set(event.data.callId, event.data.tool);
  else if (isToolOutcome(event)) awaited.delete(event.data.callId);
  else if (event.type === 'session.completed' || event.type === 'session.interrupted') awaited.clear();
}

/** The tools a session's calls are waiting on, each once. */
export function toolsAwaited(events: readonly SessionEvent[]): string[] {
  const awaited = new Map<string, string>();
  for (const event of events) noteToolCall(awaited, event);
  return [...new Set(awaited.values())];
}

/** `workspace.read: 1 job waiting, no executor pulling: ...`, or undefined while an executor serves the tool. */
export function toolWaitLine(tool: string, consumer: ToolConsumer | undefined): string | undefined {
  if (consumer === undefined) return `${tool}: waiting, and no executor has ever served it: start a tool executor that offers it`;
  if (consumer.pending === 0 || consumer.pulls > 0 || consumer.inProgress > 0) return undefined;
  return `${tool}: ${consumer.pending === 1 ? '1 job' : `${consumer.pending} jobs`} waiting, no executor pulling: start a tool executor that offers it`;
}

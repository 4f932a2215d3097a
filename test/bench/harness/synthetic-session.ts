import { eventVersion, type NewEvent, type SessionEvent } from '@signalbox/events';
import { emptyHead, type EventStore, type SessionHead } from '@signalbox/store';

/**
 * A session's log as a scripted agent with one instant tool leaves it: `session.created`, then per
 * step model.requested, model.responded (a line of text and a tool call), tool.requested and
 * tool.completed, with small content. Written straight to the store, so long sessions take seconds, not minutes.
 */
export function syntheticSessionEvents(sessionId: string, steps: number, clock: () => number = Date.now): SessionEvent[] {
  const tool = 'bench.noop';
  const proposed: NewEvent[] = [
    {
      type: 'session.created',
      data: {
        agent: { name: 'bench-resume', model: 'scripted', system: '', tools: [tool], budget: { maxSteps: steps + 10 }, maxTokens: 4096, subagents: [], script: [] },
        input: 'benchmark',
        tools: [{ name: tool, description: 'Does nothing, at once.', inputSchema: { type: 'object', properties: {} } }],
        budget: { maxSteps: steps + 10 },
        deciderVersion: 1,
      },
    },
  ];
  for (let step = 1; step <= steps; step++) {
    const callId = `model-${step}`;
    const toolCallId = `tool-${step}`;
    proposed.push(
      { type: 'model.requested', data: { callId, model: 'scripted', digest: `digest-${step}`.padEnd(64, '0'), digestScheme: 'message-chain', attempt: 1 } },
      {
        type: 'model.responded',
        data: {
          callId,
          model: 'scripted',
          content: [
            { type: 'text', text: `Step ${step}: calling the tool.` },
            { type: 'tool_use', id: toolCallId, name: tool, input: {} },
          ],
          stopReason: 'tool_use',
          usage: { inputTokens: 100 + step, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0 },
          costUsd: 0,
          latencyMs: 1,
        },
      },
      { type: 'tool.requested', data: { callId: toolCallId, tool, input: {}, idempotencyKey: `${sessionId}/${toolCallId}` } },
      { type: 'tool.completed', data: { callId: toolCallId, tool, output: 'ok', durationMs: 0 } },
    );
  }
  return proposed.map((event, index) => ({
    ...event,
    id: `${sessionId}-${index + 1}`,
    v: eventVersion(event.type),
    sessionId,
    n: index + 1,
    at: clock(),
    causationId: null,
    correlationId: sessionId,
    by: { service: 'bench', instance: 'bench' },
  }));
}

/** Appends `events` in batches; returns the head after each event number in `marks` (and the final head). */
export async function appendInBatches(
  store: EventStore,
  sessionId: string,
  events: readonly SessionEvent[],
  marks: readonly number[] = [],
  batch = 500,
): Promise<{ head: SessionHead; at: Map<number, SessionHead> }> {
  const at = new Map<number, SessionHead>();
  let head = emptyHead;
  while (head.n < events.length) {
    // Batches end on each mark, so the head there (its stream sequence) is known.
    const nextMark = marks.filter((mark) => mark > head.n).reduce((low, mark) => Math.min(low, mark), Infinity);
    const end = Math.min(head.n + batch, events.length, nextMark);
    head = await store.append(sessionId, events.slice(head.n, end), head);
    if (marks.includes(head.n)) at.set(head.n, head);
  }
  return { head, at };
}

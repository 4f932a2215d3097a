import { AgentDefinition, eventVersion, type EventData, type MemoryStoreDefinition, type ModelRequest, type NewEvent, type SessionEvent } from '@signalbox/events';

/** One event of a session's log, in the envelope the store gives it. */
export function logged(sessionId: string, n: number, event: NewEvent, at = 1_700_000_000_000 + n): SessionEvent {
  return { ...event, id: `${sessionId}-e${n}`, v: eventVersion(event.type), sessionId, n, at, causationId: null, correlationId: sessionId, by: { service: 'test', instance: 't' } };
}

/** What a step of a test session does: the assistant says something, or calls a tool that answers. */
export type Step = { say: string } | { tool: string; output: string };

/** A finished session's log: its task, its steps, its end. */
export function sessionLog(sessionId: string, agent: string, steps: readonly Step[], created: Partial<EventData<'session.created'>> = {}): SessionEvent[] {
  const events: NewEvent[] = [
    {
      type: 'session.created',
      data: {
        agent: AgentDefinition.parse({ name: agent, model: 'anthropic/claude-sonnet-4-5' }),
        input: `task of ${sessionId}`,
        tools: [],
        budget: { maxSteps: 100 },
        deciderVersion: 10,
        ...created,
      },
    },
  ];
  steps.forEach((step, index) => {
    const callId = `call_${index}`;
    if ('say' in step) {
      events.push({ type: 'model.responded', data: { callId, model: 'scripted', content: [{ type: 'text', text: step.say }], stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 }, costUsd: 0, latencyMs: 1 } });
      return;
    }
    events.push({ type: 'tool.requested', data: { callId, tool: step.tool, input: {}, idempotencyKey: `${sessionId}/${callId}` } });
    events.push({ type: 'tool.completed', data: { callId, tool: step.tool, output: step.output, durationMs: 1 } });
  });
  events.push({ type: 'session.completed', data: { status: 'succeeded', output: 'done', totals: { steps: steps.length, toolCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 } } });
  return events.map((event, index) => logged(sessionId, index + 1, event));
}

export const teamStore: MemoryStoreDefinition = {
  name: 'team',
  agents: ['scribe', 'reviewer'],
  promotion: 'auto',
  consolidation: { model: 'local/dreamer', sessions: 100, reads: {}, requireLocalProvider: false },
};

/**
 * The test's consolidation model: every transcript line holding `LEARNED: <text>` becomes an entry
 * citing that line's event, as a real model would answer, in JSON.
 */
export function learningReply(request: ModelRequest): string {
  const text = request.messages.flatMap((message) => message.content).flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('\n');
  const add: { text: string; evidence: { sessionId: string; events: number[] }[] }[] = [];
  let session = '';
  for (const line of text.split('\n')) {
    session = /^<transcript session="([^"]+)"/.exec(line)?.[1] ?? session;
    const learned = /^\[e(\d+)\].*LEARNED: (.+?)(?:… \[\d+ characters cut\])?$/.exec(line);
    if (learned?.[1] && learned[2]) add.push({ text: learned[2], evidence: [{ sessionId: session, events: [Number(learned[1])] }] });
  }
  return JSON.stringify({ add, merge: [], retire: [] });
}

import { eventVersion, type AgentDefinition, type Budget, type NewEvent, type SessionEvent, type SupervisionConfig } from '@signalbox/events';
import { expect } from 'vitest';
import type { Finding } from './detector.ts';
import { superviseEvent, superviseLog, type SupervisionOptions } from './supervise.ts';

/** Wraps proposed events in envelopes numbered from 1, as the store would; `at` one second apart unless given. */
export function stored(events: NewEvent[], at: (index: number) => number = (index) => 1_700_000_000_000 + index * 1_000): SessionEvent[] {
  return events.map((event, index) => ({
    ...event,
    id: `e${index + 1}`,
    v: eventVersion(event.type),
    sessionId: 's1',
    n: index + 1,
    at: at(index),
    causationId: null,
    correlationId: 's1',
    by: { service: 'test', instance: 't' },
  }));
}

/** A tool call in a scripted step, and how it ended. */
export type ScriptedCall = { tool: string; input?: Record<string, unknown> } & ({ output: string; revision?: number } | { error: string });

/** Builds a session's log step by step, the way the decider records it. */
export function script(options: { budget?: Partial<Budget>; supervision?: SupervisionConfig; nonIdempotentTools?: string[] } = {}) {
  const agent: AgentDefinition = {
    name: 'helper',
    model: 'scripted',
    system: '',
    tools: ['workspace.read', 'workspace.write'],
    budget: { maxSteps: 100, ...options.budget },
    maxTokens: 1024,
    subagents: [],
    script: [{ final: 'done' }],
    ...(options.supervision === undefined ? {} : { supervision: options.supervision }),
  };
  const events: NewEvent[] = [
    {
      type: 'session.created',
      data: { agent, input: 'Do the task.', tools: [], budget: agent.budget, deciderVersion: 5, ...(options.nonIdempotentTools ? { nonIdempotentTools: options.nonIdempotentTools } : {}) },
    },
  ];
  let turns = 0;
  let ids = 0;
  const usage = { inputTokens: 100, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0 };
  const modelRequested = (callId: string, attempt = 1): NewEvent => ({ type: 'model.requested', data: { callId, model: 'scripted', digest: `d${callId}`, digestScheme: 'message-chain', attempt } });
  const textReply = (callId: string, text: string): NewEvent => ({ type: 'model.responded', data: { callId, model: 'scripted', content: [{ type: 'text', text }], stopReason: 'end_turn', usage, costUsd: 0, latencyMs: 1 } });
  const builder = {
    events,
    /** One model turn asking for `calls` (in parallel), then their outcomes. */
    step(calls: ScriptedCall[], options: { text?: string; costUsd?: number } = {}) {
      turns += 1;
      const callId = `m${turns}`;
      const uses = calls.map((call) => ({ type: 'tool_use' as const, id: `t${(ids += 1)}`, name: call.tool, input: call.input ?? {} }));
      const content = [...(options.text === undefined ? [] : [{ type: 'text' as const, text: options.text }]), ...uses];
      events.push(modelRequested(callId));
      events.push({ type: 'model.responded', data: { callId, model: 'scripted', content, stopReason: 'tool_use', usage, costUsd: options.costUsd ?? 0, latencyMs: 1 } });
      for (const [index, use] of uses.entries()) {
        events.push({ type: 'tool.requested', data: { callId: use.id, tool: use.name, input: use.input, idempotencyKey: `s1/${use.id}` } });
        const call = calls[index] as ScriptedCall;
        if ('error' in call) events.push({ type: 'tool.failed', data: { callId: use.id, tool: use.name, error: call.error, durationMs: 1 } });
        else events.push({ type: 'tool.completed', data: { callId: use.id, tool: use.name, output: call.output, durationMs: 1, ...(call.revision === undefined ? {} : { workspaceRevision: call.revision }) } });
      }
      return builder;
    },
    call(call: ScriptedCall, options: { text?: string; costUsd?: number } = {}) {
      return builder.step([call], options);
    },
    /** The same call `times` times, one a step. */
    repeat(times: number, call: ScriptedCall) {
      for (let index = 0; index < times; index += 1) builder.call(call);
      return builder;
    },
    /** A model call that fails `attempts` times (its retries), then answers with text only. */
    modelFailure(attempts = 1) {
      turns += 1;
      const callId = `m${turns}`;
      for (let attempt = 1; attempt <= attempts; attempt += 1) {
        events.push(modelRequested(callId, attempt));
        events.push({ type: 'model.failed', data: { callId, code: 'overloaded', message: 'the provider is overloaded', retryable: true, attempt } });
      }
      return builder;
    },
    /** A reply without tool calls that does not end the session (a chat answered by its user). */
    reply(text: string) {
      turns += 1;
      const callId = `m${turns}`;
      events.push(modelRequested(callId), textReply(callId, text));
      return builder;
    },
    /** The final answer, and the session's end. */
    final(text = 'Done.') {
      builder.reply(text);
      events.push({ type: 'session.completed', data: { status: 'succeeded', output: text, totals: { steps: turns, toolCalls: ids, inputTokens: 0, outputTokens: 0, costUsd: 0 } } });
      return builder;
    },
    /** An event of any other kind. */
    then(event: NewEvent) {
      events.push(event);
      return builder;
    },
  };
  return builder;
}

/** An expected finding: any part of it. */
export type ExpectedFinding = Partial<Finding>;

/**
 * given(history).then(findings): what the supervisor finds over a whole log; given(history).when(event).then(findings):
 * what it finds on one more event. No NATS, no mocks.
 */
export function given(history: NewEvent[], options: SupervisionOptions = {}) {
  const log = stored(history);
  return {
    then(expected: ExpectedFinding[]) {
      const { findings } = superviseLog(log, options);
      expect(findings).toMatchObject(expected);
      expect(findings).toHaveLength(expected.length);
      return findings;
    },
    when(event: NewEvent) {
      const before = superviseLog(log, options).state;
      const [next] = stored([...history, event]).slice(-1) as [SessionEvent];
      const { findings } = superviseEvent(before, next);
      return {
        then(expected: ExpectedFinding[]) {
          expect(findings).toMatchObject(expected);
          expect(findings).toHaveLength(expected.length);
          return findings;
        },
      };
    },
  };
}

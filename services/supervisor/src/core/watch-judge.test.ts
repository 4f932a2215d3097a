import { eventVersion, type AgentDefinition, type NewEvent, type SessionEvent } from '@signalbox/events';
import type { JudgeCall } from '@signalbox/supervision';
import { describe, expect, it } from 'vitest';
import { watchEvent, type WatchedSession } from './watch.ts';

const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
const judged: AgentDefinition['supervision'] = { judge: { model: 'anthropic/claude-haiku-4-5', everySteps: 2 } };

/** A session that reads a new file each turn, under `deciderVersion`. */
function readingLog(turns: number, deciderVersion: number, supervision: AgentDefinition['supervision'] = judged): SessionEvent[] {
  const agent: AgentDefinition = { name: 'reader', model: 'scripted', system: '', tools: ['workspace.read'], budget: { maxSteps: 50 }, maxTokens: 1024, subagents: [], script: [{ final: 'done' }], supervision };
  const created: NewEvent = { type: 'session.created', data: { agent, input: 'go', tools: [], budget: agent.budget, deciderVersion } };
  const steps = Array.from({ length: turns }, (_, i): NewEvent[] => [
    { type: 'model.requested', data: { callId: `m${i + 1}`, model: 'scripted', digest: 'd', digestScheme: 'message-chain', attempt: 1 } },
    { type: 'model.responded', data: { callId: `m${i + 1}`, model: 'scripted', content: [{ type: 'tool_use', id: `c${i + 1}`, name: 'workspace.read', input: { path: `${i}.md` } }], stopReason: 'tool_use', usage, costUsd: 0, latencyMs: 1 } },
    { type: 'tool.requested', data: { callId: `c${i + 1}`, tool: 'workspace.read', input: { path: `${i}.md` }, idempotencyKey: `s1/c${i + 1}` } },
    { type: 'tool.completed', data: { callId: `c${i + 1}`, tool: 'workspace.read', output: `text ${i}`, durationMs: 1 } },
  ]);
  return [created, ...steps.flat()].map((event, index) => ({ ...event, id: `e${index + 1}`, v: eventVersion(event.type), sessionId: 's1', n: index + 1, at: 1_700_000_000_000 + index, causationId: null, correlationId: 's1', by: { service: 'test', instance: 't' } }));
}

/** The judgements the supervisor asks for while it is handed `log`. */
function judgementsAskedOver(log: readonly SessionEvent[]): JudgeCall[] {
  let session: WatchedSession | undefined;
  const calls: JudgeCall[] = [];
  for (const event of log) {
    const next = watchEvent(session, event);
    session = next.session;
    if (next.judge) calls.push(next.judge);
  }
  return calls;
}

describe('the supervisor’s judge, as it watches a session', () => {
  it('asks for a judgement every k turns of a session that records them (decider version 7 on)', () => {
    expect(judgementsAskedOver(readingLog(4, 7)).map((call) => [call.upTo, call.plan.model])).toEqual([
      [10, 'anthropic/claude-haiku-4-5'],
      [14, 'anthropic/claude-haiku-4-5'],
    ]);
  });

  it('asks for none of an older session, which would not count its cost, nor of an agent without a judge', () => {
    expect(judgementsAskedOver(readingLog(6, 6))).toEqual([]);
    expect(judgementsAskedOver(readingLog(6, 7, {}))).toEqual([]);
  });
});

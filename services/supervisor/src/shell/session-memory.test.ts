import { eventVersion, type AgentDefinition, type NewEvent, type SessionEvent } from '@signalbox/events';
import type { ServiceContext } from '@signalbox/runtime';
import { describe, expect, it } from 'vitest';
import { watchEvent, type SupervisorEffect } from '../core/watch.ts';
import { sessionMemory } from './session-memory.ts';
import { WatchedSessions } from './watched-sessions.ts';

const agent: AgentDefinition = { name: 'looper', model: 'scripted', system: '', tools: ['workspace.read'], budget: { maxSteps: 50 }, maxTokens: 1024, subagents: [], script: [{ final: 'done' }] };
const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };

/** A session that reads the same file `times` times (decider version 7: its stalled timer is armed too). */
function loopingLog(sessionId: string, times: number): SessionEvent[] {
  const created: NewEvent = { type: 'session.created', data: { agent, input: 'go', tools: [], budget: agent.budget, deciderVersion: 7 } };
  const steps = Array.from({ length: times }, (_, i): NewEvent[] => [
    { type: 'model.requested', data: { callId: `m${i + 1}`, model: 'scripted', digest: 'd', digestScheme: 'message-chain', attempt: 1 } },
    { type: 'model.responded', data: { callId: `m${i + 1}`, model: 'scripted', content: [{ type: 'tool_use', id: `c${i + 1}`, name: 'workspace.read', input: { path: 'a.md' } }], stopReason: 'tool_use', usage, costUsd: 0, latencyMs: 1 } },
    { type: 'tool.requested', data: { callId: `c${i + 1}`, tool: 'workspace.read', input: { path: 'a.md' }, idempotencyKey: `${sessionId}/c${i + 1}` } },
    { type: 'tool.completed', data: { callId: `c${i + 1}`, tool: 'workspace.read', output: 'the same text', durationMs: 1 } },
  ]);
  return [created, ...steps.flat()].map((event, index) => ({ ...event, id: `${sessionId}-${index + 1}`, v: eventVersion(event.type), sessionId, n: index + 1, at: 1_700_000_000_000 + index, causationId: null, correlationId: sessionId, by: { service: 'test', instance: 't' } }));
}

const logs = new Map(['a', 'b', 'c'].map((sessionId) => [sessionId, loopingLog(sessionId, 8)]));
/** The log store, read as the supervisor reads it when it rebuilds a session it let go. */
let reads = 0;
const store = {
  read: (sessionId: string, options?: { toN?: number }) => {
    reads += 1;
    return Promise.resolve((logs.get(sessionId) ?? []).filter((event) => event.n <= (options?.toN ?? Infinity)));
  },
} as ServiceContext['store'];

/** The three sessions' events interleaved one by one, as a partition hands them on. */
const interleaved = Array.from({ length: 33 }, (_, i) => ['a', 'b', 'c'].flatMap((sessionId) => logs.get(sessionId)?.[i] ?? [])).flat();

async function effectsWithCapacity(capacity: number): Promise<SupervisorEffect[]> {
  const memory = sessionMemory(store, new WatchedSessions(capacity), []);
  const effects: SupervisorEffect[] = [];
  for (const event of interleaved) {
    const step = watchEvent(await memory.before(event), event);
    effects.push(...step.effects);
    memory.keep(event.sessionId, step.session);
  }
  return effects;
}

describe('a replica’s memory of the sessions it watches', () => {
  it('given three sessions interleaved and room for two: the same interventions and timers as with room for all, none twice', async () => {
    const uncapped = await effectsWithCapacity(100);
    expect(reads).toBe(0);
    const capped = await effectsWithCapacity(2);
    expect(capped).toEqual(uncapped);
    const interventions = capped.flatMap((effect) => (effect.type === 'Intervene' ? [effect.messageId] : []));
    expect(interventions).toEqual(['supervisor/a/repetition/4', 'supervisor/b/repetition/4', 'supervisor/c/repetition/4']);
    // Round robin over three with room for two: every session was let go and rebuilt from its log again and again.
    expect(reads).toBeGreaterThan(60);
  });
});

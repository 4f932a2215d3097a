import { eventVersion, type AgentDefinition, type NewEvent, type SessionEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { answerGate } from './gate.ts';
import { watchEvent, type SupervisorEffect, type WatchedSession } from './watch.ts';

const agent: AgentDefinition = { name: 'looper', model: 'scripted', system: '', tools: ['workspace.read'], budget: { maxSteps: 50 }, maxTokens: 1024, subagents: [], script: [{ final: 'done' }] };
const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };

/** A session that reads the same file `times` times, the way the decider records it. */
function loopingLog(times: number, options: { deciderVersion?: number; supervision?: AgentDefinition['supervision'] } = {}): SessionEvent[] {
  const supervised = options.supervision === undefined ? agent : { ...agent, supervision: options.supervision };
  const created: NewEvent = { type: 'session.created', data: { agent: supervised, input: 'go', tools: [], budget: agent.budget, deciderVersion: options.deciderVersion ?? 6 } };
  const steps = Array.from({ length: times }, (_, i): NewEvent[] => [
    { type: 'model.requested', data: { callId: `m${i + 1}`, model: 'scripted', digest: 'd', digestScheme: 'message-chain', attempt: 1 } },
    { type: 'model.responded', data: { callId: `m${i + 1}`, model: 'scripted', content: [{ type: 'tool_use', id: `c${i + 1}`, name: 'workspace.read', input: { path: 'a.md' } }], stopReason: 'tool_use', usage, costUsd: 0, latencyMs: 1 } },
    { type: 'tool.requested', data: { callId: `c${i + 1}`, tool: 'workspace.read', input: { path: 'a.md' }, idempotencyKey: `s1/c${i + 1}` } },
    { type: 'tool.completed', data: { callId: `c${i + 1}`, tool: 'workspace.read', output: 'the same text', durationMs: 1 } },
  ]);
  return [created, ...steps.flat()].map((event, index) => ({ ...event, id: `e${index + 1}`, v: eventVersion(event.type), sessionId: 's1', n: index + 1, at: 1_700_000_000_000 + index, causationId: null, correlationId: 's1', by: { service: 'test', instance: 't' } }));
}

/** Every intervention the supervisor sends while it is handed `log`, one event at a time (its stalled timers are core/stalled.test.ts's). */
function watched(log: readonly SessionEvent[]): { effects: Extract<SupervisorEffect, { type: 'Intervene' }>[]; session: WatchedSession | undefined } {
  let session: WatchedSession | undefined;
  const effects: Extract<SupervisorEffect, { type: 'Intervene' }>[] = [];
  for (const event of log) {
    const next = watchEvent(session, event);
    session = next.session;
    effects.push(...next.effects.flatMap((effect) => (effect.type === 'Intervene' ? [effect] : [])));
  }
  return { effects, session };
}

describe('the supervisor watching a session', () => {
  it('nudges a session that reads the same file a third time, once, naming the detector and the evidence', () => {
    const { effects } = watched(loopingLog(3));
    expect(effects).toEqual([
      {
        type: 'Intervene',
        sessionId: 's1',
        messageId: 'supervisor/s1/repetition/4',
        command: { type: 'intervention', sessionId: 's1', detector: 'repetition', action: 'nudge', message: expect.any(String), evidence: [4, 8, 12] },
      },
    ]);
  });

  it('climbs the ladder when the finding recurs after an intervention: nudge, then pause', () => {
    const log = loopingLog(3);
    const nudged: SessionEvent = { ...log[1], id: 'x', type: 'supervisor.intervened', n: 14, data: { detector: 'repetition', action: 'nudge', reason: 'r', evidence: [4, 8, 12] } } as SessionEvent;
    const again = loopingLog(6).slice(13).map((event) => ({ ...event, n: event.n + 1 }));
    const actions = watched([...log.slice(0, 13), nudged, ...again]).effects.map((effect) => effect.command.action);
    expect(actions.slice(0, 2)).toEqual(['nudge', 'pause']);
  });

  it('switches the session to the agent’s stronger model when its ladder says so', () => {
    const effects = watched(loopingLog(3, { supervision: { ladder: ['switch_model', 'pause'], switchModelTo: 'anthropic/claude-opus-4-5' } })).effects;
    expect(effects[0]?.command).toMatchObject({ action: 'switch_model', model: 'anthropic/claude-opus-4-5', detector: 'repetition' });
  });

  it('rewinds to just before the model turn the pattern began in, when the agent’s detector and ladder say rewind', () => {
    const effects = watched(loopingLog(3, { deciderVersion: 7, supervision: { repetition: { action: 'rewind' }, ladder: ['nudge', 'rewind', 'abort'] } })).effects;
    // The first repeated call was requested at event 4, in the turn that event 2 asked for: the actor goes back to event 1.
    expect(effects[0]?.command).toMatchObject({ action: 'rewind', at: 3, evidence: [4, 8, 12], message: expect.stringMatching(/workspace\.read/) });
  });

  it('does not rewind a rewind’s fork again: a loop in it takes the next rung', () => {
    const [created, ...rest] = loopingLog(3, { deciderVersion: 7, supervision: { repetition: { action: 'rewind' }, ladder: ['nudge', 'rewind', 'abort'] } });
    const fork = { ...created, data: { ...created?.data, forkedFrom: { sessionId: 's0', n: 1, hint: 'Stop looping.' } } } as SessionEvent;
    expect(watched([fork, ...rest]).effects[0]?.command).toMatchObject({ action: 'abort' });
  });

  it('sends nothing to a session created before interventions, nor for an agent with supervision off', () => {
    expect(watched(loopingLog(6, { deciderVersion: 5 })).effects).toEqual([]);
    expect(watched(loopingLog(6, { supervision: false })).effects).toEqual([]);
  });

  it('lets a session go once it completes', () => {
    const completed = { ...loopingLog(1)[0], type: 'session.completed', n: 6, data: { status: 'succeeded', totals: { steps: 1, toolCalls: 1, inputTokens: 0, outputTokens: 0, costUsd: 0 } } } as SessionEvent;
    expect(watched([...loopingLog(1), completed]).session).toBeUndefined();
  });

  it('keeps an intervention that pauses the session as on its way until the log records it: the gate pauses a model call on it', () => {
    const log = loopingLog(3, { deciderVersion: 7, supervision: { ladder: ['pause'] } });
    const sent = watched(log).session;
    expect(sent?.unacted).toMatchObject([{ detector: 'repetition', action: 'pause', evidence: [4, 8, 12] }]);
    const gate = { sessionId: 's1', head: 13, calls: [], modelCall: { callId: 'm4' } };
    expect(answerGate(sent as WatchedSession, gate).verdicts).toEqual([{ callId: 'm4', verdict: 'pause', reason: expect.any(String), detector: 'repetition', evidence: [4, 8, 12] }]);
    const recorded = { ...log[1], id: 'x', type: 'supervisor.intervened', n: 14, data: { detector: 'repetition', action: 'pause', reason: 'r', evidence: [4, 8, 12] } } as SessionEvent;
    const after = watchEvent(sent, recorded).session as WatchedSession;
    expect(after.unacted).toEqual([]);
    expect(answerGate(after, { ...gate, head: 14 }).verdicts).toEqual([{ callId: 'm4', verdict: 'proceed' }]);
  });
});

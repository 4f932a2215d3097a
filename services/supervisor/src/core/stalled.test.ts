import { eventVersion, type AgentDefinition, type NewEvent, type SessionEvent } from '@signalbox/events';
import { defaultLadder } from '@signalbox/supervision';
import { describe, expect, it } from 'vitest';
import { watchStalled, type StalledEffect, type StalledWatch } from './stalled.ts';

const agent: AgentDefinition = { name: 'waiter', model: 'scripted', system: '', tools: ['jobs.wait'], budget: { maxSteps: 50 }, maxTokens: 1024, subagents: [], script: [{ final: 'done' }] };
const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
const start = 1_700_000_000_000;

const created = (options: { deciderVersion?: number; supervision?: AgentDefinition['supervision'] } = {}): NewEvent => ({
  type: 'session.created',
  data: { agent: options.supervision === undefined ? agent : { ...agent, supervision: options.supervision }, input: 'go', tools: [], budget: agent.budget, deciderVersion: options.deciderVersion ?? 7 },
});
const callsTool: NewEvent[] = [
  { type: 'model.requested', data: { callId: 'm1', model: 'scripted', digest: 'd', digestScheme: 'message-chain', attempt: 1 } },
  { type: 'model.responded', data: { callId: 'm1', model: 'scripted', content: [{ type: 'tool_use', id: 'c1', name: 'jobs.wait', input: {} }], stopReason: 'tool_use', usage, costUsd: 0, latencyMs: 1 } },
  { type: 'tool.requested', data: { callId: 'c1', tool: 'jobs.wait', input: {}, idempotencyKey: 's1/c1' } },
];
const intervened = (action: 'redrive' | 'pause', evidence: number[]): NewEvent => ({ type: 'supervisor.intervened', data: { detector: 'stalled', action, reason: 'r', evidence } });

/** The events as the log holds them, a second apart. */
function logOf(events: NewEvent[]): SessionEvent[] {
  return events.map((event, index) => ({ ...event, id: `e${index + 1}`, v: eventVersion(event.type), sessionId: 's1', n: index + 1, at: start + index * 1_000, causationId: null, correlationId: 's1', by: { service: 'test', instance: 't' } }));
}

/** Given the log, the timer effects after its last event. */
function after(events: NewEvent[]): StalledEffect[] {
  let watch: StalledWatch | undefined;
  let effects: StalledEffect[] = [];
  for (const event of logOf(events)) ({ watch, effects } = watchStalled(watch, event, defaultLadder));
  return effects;
}

describe('the stalled detector’s timer', () => {
  it('given a session waiting on a tool: armed afterMs after its last event, a re-drive bound to that event', () => {
    expect(after([created(), ...callsTool])).toEqual([
      {
        type: 'ArmStalled',
        sessionId: 's1',
        at: start + 3_000 + 600_000,
        afterMs: 600_000,
        command: { type: 'intervention', sessionId: 's1', detector: 'stalled', action: 'redrive', whileHeadIs: 4, evidence: [4], message: expect.stringMatching(/recorded nothing for 600000 ms/) },
      },
    ]);
  });

  it('given the re-drive as the last event: armed to flag it, the detector’s action with the re-drive as evidence', () => {
    const [effect] = after([created({ supervision: { stalled: { afterMs: 5_000 } } }), ...callsTool, intervened('redrive', [4])]);
    expect(effect).toMatchObject({ type: 'ArmStalled', at: start + 4_000 + 5_000, afterMs: 5_000, command: { action: 'pause', whileHeadIs: 5, evidence: [5, 4] } });
  });

  it('given a second stall flagged: the action climbs the ladder', () => {
    const twice = [created({ supervision: { stalled: { action: 'nudge' } } }), ...callsTool, intervened('redrive', [4]), intervened('pause', [5, 4]), intervened('redrive', [6])];
    expect(after(twice)[0]).toMatchObject({ command: { action: 'pause', evidence: [7, 6] } });
  });

  it('given a pause, a call held for a person, or the end: the timer is cancelled, and not armed again until the session runs', () => {
    const paused: NewEvent = { type: 'session.paused', data: { reason: 'lunch', by: 'ops' } };
    expect(after([created(), ...callsTool, paused])).toEqual([{ type: 'DisarmStalled', sessionId: 's1' }]);
    expect(after([created(), ...callsTool, paused, { type: 'tool.completed', data: { callId: 'c1', tool: 'jobs.wait', output: 'ok', durationMs: 1 } }])).toEqual([]);
    expect(after([created(), ...callsTool, paused, { type: 'session.resumed', data: { by: 'ops' } }])).toMatchObject([{ type: 'ArmStalled', command: { whileHeadIs: 6 } }]);
    const held: NewEvent = { type: 'approval.requested', data: { callId: 'c1', tool: 'jobs.wait', approvalId: 's1:abc', input: '{}', reason: 'ask', deadline: start + 60_000, effect: 'ask' } };
    expect(after([created(), ...callsTool, held])).toEqual([{ type: 'DisarmStalled', sessionId: 's1' }]);
    const completed: NewEvent = { type: 'session.completed', data: { status: 'succeeded', output: 'done', totals: { steps: 1, toolCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 } } };
    expect(after([created(), ...callsTool, completed])).toEqual([{ type: 'DisarmStalled', sessionId: 's1' }]);
  });

  it('given an agent with stalled off, supervision off, or a session before decider version 7: never armed', () => {
    expect(after([created({ supervision: { stalled: { enabled: false } } }), ...callsTool])).toEqual([]);
    expect(after([created({ supervision: false }), ...callsTool])).toEqual([]);
    expect(after([created({ deciderVersion: 6 }), ...callsTool])).toEqual([]);
  });
});

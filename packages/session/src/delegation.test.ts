import { delegateTool, handoffTool, type AgentDefinition, type ModelResponse, type NewEvent, type PermissionVerdict } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { checkHistory } from './check-history.ts';
import type { SessionCommand } from './decide.ts';
import { childSessionId } from './delegation.ts';
import { agent, given, recorded, stored } from './spec.ts';
import { fold } from './state.ts';

const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
const lead: AgentDefinition = { ...agent, name: 'lead', tools: [], subagents: ['researcher', 'writer'], subagentConcurrency: 2, budget: { maxSteps: 10, maxCostUsd: 1 } };
const tools = [delegateTool, handoffTool].map(({ name, description, inputSchema }) => ({ name, description, inputSchema }));
const created = (who: AgentDefinition = lead, deciderVersion = 11): NewEvent => ({ type: 'session.created', data: { agent: who, input: 'Write the report', tools, budget: who.budget, deciderVersion } });
const requested: NewEvent = { type: 'model.requested', data: { callId: 'm1', model: 'scripted', digest: 'd', digestScheme: 'message-chain', attempt: 1 } };
const delegate = (id: string, input: Record<string, unknown>) => ({ type: 'tool_use' as const, id, name: 'agents.delegate', input });
const responded = (...content: ModelResponse['content']): NewEvent => ({ type: 'model.responded', data: { callId: 'm1', model: 'scripted', content, stopReason: 'tool_use', usage, costUsd: 0.1, latencyMs: 1 } });
const allowed: PermissionVerdict = { effect: 'allow', reason: 'the agent lists it' };
const allow = (...ids: string[]): SessionCommand => ({ type: 'RecordPermissions', verdicts: ids.map((callId) => ({ callId, verdict: allowed })) });
const child1 = childSessionId('s1', 3, 'call_1');
const spawnedOne: NewEvent[] = [
  created(),
  requested,
  responded(delegate('call_1', { agent: 'researcher', task: 'Find the numbers', maxSteps: 4 })),
  { type: 'tool.requested', data: { callId: 'call_1', tool: 'agents.delegate', input: { agent: 'researcher', task: 'Find the numbers', maxSteps: 4 }, idempotencyKey: 's1/call_1' } },
  { type: 'permission.granted', data: { callId: 'call_1', tool: 'agents.delegate', ...allowed, effect: 'allow' } },
  { type: 'subagent.spawned', data: { callId: 'call_1', sessionId: child1, agent: 'researcher', task: 'Find the numbers', budget: { maxSteps: 4, maxCostUsd: 0.9 } } },
];
const childTotals = { steps: 3, toolCalls: 2, inputTokens: 100, outputTokens: 50, costUsd: 0.2 };

describe('agents.delegate, a built-in tool', () => {
  it('starts a child session with a slice of what is left, recorded beside the call, and no executor is asked', () => {
    given([created(), requested, responded(delegate('call_1', { agent: 'researcher', task: 'Find the numbers', maxSteps: 4 }))])
      .when(allow('call_1'))
      .then(
        [{ type: 'tool.requested' }, { type: 'permission.granted' }, { type: 'subagent.spawned', data: { callId: 'call_1', sessionId: child1, agent: 'researcher', task: 'Find the numbers', budget: { maxSteps: 4, maxCostUsd: 0.9 } } }],
        [{ type: 'SpawnSubagent', command: { type: 'subagent.start', sessionId: child1, parent: { sessionId: 's1', callId: 'call_1' }, correlationId: 's1', agent: 'researcher', task: 'Find the numbers', budget: { maxSteps: 4, maxCostUsd: 0.9 }, delegatedBy: [{ sessionId: 's1', agent: { name: 'lead', tools: ['agents.delegate', 'agents.handoff'] } }] } }],
      );
  });

  it('runs the calls of one reply at once, up to the concurrency limit, each carved from what the others left', () => {
    const three = [delegate('call_1', { agent: 'researcher', task: 'a', maxSteps: 5 }), delegate('call_2', { agent: 'writer', task: 'b' }), delegate('call_3', { agent: 'writer', task: 'c' })];
    given([created(), requested, responded(...three)])
      .when(allow('call_1', 'call_2', 'call_3'))
      .then([
        { type: 'tool.requested' }, { type: 'permission.granted' }, { type: 'subagent.spawned', data: { budget: { maxSteps: 5, maxCostUsd: 0.3 } } },
        { type: 'tool.requested' }, { type: 'permission.granted' }, { type: 'subagent.spawned', data: { budget: { maxSteps: 3, maxCostUsd: 0.3 } } },
        { type: 'tool.requested' }, { type: 'permission.granted' },
      ], [{ type: 'SpawnSubagent' }, { type: 'SpawnSubagent' }]);
  });

  it('starts a delegation that waited for room when a running child ends', () => {
    const three = [delegate('call_1', { agent: 'researcher', task: 'a', maxSteps: 2 }), delegate('call_2', { agent: 'writer', task: 'b', maxSteps: 2 }), delegate('call_3', { agent: 'writer', task: 'c', maxSteps: 2 })];
    const history: NewEvent[] = [created(), requested, responded(...three)];
    const started = given(history).when(allow('call_1', 'call_2', 'call_3')).decision;
    const afterStart = [...history, ...started.events];
    const child = childSessionId('s1', 3, 'call_1');
    given(afterStart)
      .when({ type: 'RecordChildResult', callId: 'call_1', childSessionId: child, status: 'succeeded', output: 'a done', totals: childTotals })
      .then([{ type: 'subagent.completed' }, { type: 'tool.completed' }, { type: 'subagent.spawned', data: { callId: 'call_3', agent: 'writer', budget: { maxSteps: 2 } } }], [{ type: 'SpawnSubagent', command: { sessionId: childSessionId('s1', 13, 'call_3') } }]);
  });

  it('refuses an agent it may not delegate to, bad input, and a slice when nothing is left', () => {
    given([created(), requested, responded(delegate('call_1', { agent: 'hacker', task: 'x' }))]).when(allow('call_1')).then([{ type: 'tool.requested' }, { type: 'permission.granted' }, { type: 'tool.failed', data: { error: '"hacker" is not an agent this one may delegate to; it may delegate to: researcher, writer' } }, { type: 'model.requested' }]);
    given([created(), requested, responded(delegate('call_1', { agent: 'writer' }))]).when(allow('call_1')).then([{ type: 'tool.requested' }, { type: 'permission.granted' }, { type: 'tool.failed', data: { error: expect.stringMatching(/^invalid input for agents.delegate: /) } }, { type: 'model.requested' }]);
    const spent = { ...lead, budget: { maxSteps: 1 } };
    given([created(spent), requested, responded(delegate('call_1', { agent: 'writer', task: 'x' }))]).when(allow('call_1')).then([{ type: 'tool.requested' }, { type: 'permission.granted' }, { type: 'tool.failed', data: { error: expect.stringMatching(/^no steps left to give a specialist: 1 of 1 spent/) } }, { type: 'budget.exceeded' }, { type: 'session.paused' }]);
  });

  it("records the child's end with its spend, and its answer as the call's result", () => {
    const ended: SessionCommand = { type: 'RecordChildResult', callId: 'call_1', childSessionId: child1, status: 'succeeded', output: 'The numbers are 4 and 2.', totals: childTotals };
    given(spawnedOne)
      .when(ended)
      .then([{ type: 'subagent.completed', data: { callId: 'call_1', sessionId: child1, status: 'succeeded', totals: childTotals } }, { type: 'tool.completed', data: { callId: 'call_1', output: 'The numbers are 4 and 2.' } }, { type: 'model.requested' }]);
    const after = fold(stored([...spawnedOne, { type: 'subagent.completed', data: { callId: 'call_1', sessionId: child1, status: 'succeeded', totals: childTotals } }]));
    expect(after.status !== 'new' && after.totals).toMatchObject({ steps: 4, costUsd: 0.30000000000000004 });
    given([...spawnedOne, { type: 'subagent.completed', data: { callId: 'call_1', sessionId: child1, status: 'succeeded', totals: childTotals } }]).when(ended).then([], []);
  });

  it('tells the lead a failed child as a failed call, with the reason', () => {
    given(spawnedOne)
      .when({ type: 'RecordChildResult', callId: 'call_1', childSessionId: child1, status: 'failed', reason: 'budget exceeded: maxSteps 5 > 4' })
      .then([{ type: 'subagent.completed' }, { type: 'tool.failed', data: { error: `researcher (session ${child1}) failed: budget exceeded: maxSteps 5 > 4` } }, { type: 'model.requested' }]);
  });

  it('starts the child again when picked up after a crash: the same child, which starts once', () => {
    given(spawnedOne).when({ type: 'Resume' }).then([], [{ type: 'SpawnSubagent', command: { sessionId: child1 } }]);
  });

  it('is not run by sessions of older deciders', () => {
    given([created(lead, 10), requested, responded(delegate('call_1', { agent: 'researcher', task: 'x' }))]).when(allow('call_1')).then([{ type: 'tool.requested' }, { type: 'permission.granted' }], [{ type: 'DispatchTool' }]);
  });
});

describe('a lead and its running children', () => {
  it('pauses, resumes and ends them as it is paused, resumed and ended', () => {
    given(spawnedOne)
      .when({ type: 'PauseSession', reason: 'a person looks', by: 'cli:ann' })
      .then([{ type: 'session.paused' }], [{ type: 'SteerChild', command: { type: 'pause', sessionId: child1, by: 'lead:s1', reason: 'its lead s1 was paused: a person looks' }, messageId: `pause/${child1}/s1/7` }]);
    given([...spawnedOne, { type: 'session.paused', data: { reason: 'a person looks', by: 'cli:ann' } }])
      .when({ type: 'ResumeSession', by: 'cli:ann' })
      .then([{ type: 'session.resumed' }], [{ type: 'SpawnSubagent' }, { type: 'SteerChild', command: { type: 'resume', sessionId: child1, by: 'lead:s1' } }]);
    given(spawnedOne)
      .when({ type: 'FailSession', reason: 'stopped' })
      .then([{ type: 'session.completed' }], [{ type: 'SteerChild', command: { type: 'close', sessionId: child1, by: 'lead:s1', reason: 'its lead s1 ended' } }]);
  });
});

describe('a child session', () => {
  const parent = { sessionId: 'lead-1', callId: 'call_1' };
  const start: SessionCommand = { type: 'StartSession', sessionId: 'c1', correlationId: 'lead-1', agent: { ...agent, script: [{ final: 'done' }] }, tools: [], input: 'Find', budget: { maxSteps: 3 }, parent, delegatedBy: [{ sessionId: 'lead-1', agent: { name: 'lead', tools: [] } }] };

  it('tells its parent how it ended, with what it spent; started or picked up again once ended, it tells again', () => {
    const events = recorded(start, { type: 'FailSession', reason: 'gave up' });
    const created = events[0];
    expect(created).toMatchObject({ data: { parent, delegatedBy: [{ sessionId: 'lead-1' }] } });
    const ended = fold(events);
    given(events.slice(0, -1).map(({ type, data }) => ({ type, data }) as NewEvent))
      .when({ type: 'FailSession', reason: 'gave up' })
      .then([{ type: 'session.completed' }], [{ type: 'NotifyParent', command: { type: 'child.result', sessionId: 'lead-1', callId: 'call_1', childSessionId: 's1', status: 'failed', reason: 'gave up' } }]);
    expect(ended.status).toBe('completed');
    given(events.map(({ type, data }) => ({ type, data }) as NewEvent)).when(start).then([], [{ type: 'NotifyParent' }]);
    given(events.map(({ type, data }) => ({ type, data }) as NewEvent)).when({ type: 'Resume' }).then([], [{ type: 'NotifyParent' }]);
    expect(checkHistory(events)).toMatchObject({ ok: true });
  });
});

describe('agents.handoff, a built-in tool', () => {
  const handoff = (input: Record<string, unknown>) => responded({ type: 'text', text: 'Billing is not mine.' }, { type: 'tool_use', id: 'call_9', name: 'agents.handoff', input });
  const asked: NewEvent[] = [created(), requested, handoff({ agent: 'writer', note: 'the customer is upset' })];
  const child = childSessionId('s1', 3, 'call_9');

  it('passes the conversation and the note to the specialist, with everything left to spend', () => {
    const decision = given(asked)
      .when(allow('call_9'))
      .then([{ type: 'tool.requested' }, { type: 'permission.granted' }, { type: 'subagent.spawned', data: { callId: 'call_9', sessionId: child, agent: 'writer', handoff: true, budget: { maxSteps: 9, maxCostUsd: 0.9 } } }], [{ type: 'SpawnSubagent' }]);
    const effect = decision.effects[0];
    expect(effect?.type === 'SpawnSubagent' && effect.command.task).toMatch(/^This conversation is handed off to you[\s\S]*user: Write the report\nassistant: Billing is not mine\.\nassistant called agents\.handoff [\s\S]*Note from the agent handing off: the customer is upset$/);
  });

  it("ends the session as the specialist ended, with its answer and the whole spend, taking no further turn", () => {
    const spawned = given(asked).when(allow('call_9')).decision;
    const history = [...asked, ...spawned.events];
    given(history)
      .when({ type: 'RecordChildResult', callId: 'call_9', childSessionId: child, status: 'succeeded', output: 'Refund sent.', totals: childTotals })
      .then([{ type: 'subagent.completed' }, { type: 'tool.completed', data: { tool: 'agents.handoff' } }, { type: 'session.completed', data: { status: 'succeeded', output: 'Refund sent.', handedOffTo: child, totals: { steps: 4 } } }]);
  });

  it('refuses a second handoff, and an agent it may not hand off to', () => {
    const twice = responded({ type: 'tool_use', id: 'call_1', name: 'agents.handoff', input: { agent: 'writer' } }, { type: 'tool_use', id: 'call_2', name: 'agents.handoff', input: { agent: 'researcher' } });
    given([created(), requested, twice]).when(allow('call_1', 'call_2')).then([{ type: 'tool.requested' }, { type: 'permission.granted' }, { type: 'subagent.spawned' }, { type: 'tool.requested' }, { type: 'permission.granted' }, { type: 'tool.failed', data: { callId: 'call_2', error: 'the conversation is handed off already' } }]);
    given([created(), requested, handoff({ agent: 'stranger' })]).when(allow('call_9')).then([{ type: 'tool.requested' }, { type: 'permission.granted' }, { type: 'tool.failed' }, { type: 'model.requested' }]);
  });
});

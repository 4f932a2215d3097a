import { AgentDefinition, type NewEvent, type SessionEvent } from '@signalbox/events';
import { decide, fold, initialState, type SessionState } from '@signalbox/session';
import { describe, expect, it } from 'vitest';
import { providerAndModel, spanOfEvent, spanOpsOf, turnChange, turnSpan } from './trace-spans.ts';

const agent = AgentDefinition.parse({ name: 'tracer', model: 'anthropic/claude-sonnet-4-6', system: 'You check.', tools: [] });

/** A session just started: created, and asking its model. */
function started(): Exclude<SessionState, { status: 'new' }> {
  const { events } = decide({ type: 'StartSession', sessionId: 's1', correlationId: 'root', agent, tools: [], input: 'check it', budget: agent.budget }, initialState());
  const meta = (index: number) => ({ id: `e${index}`, v: 1, sessionId: 's1', n: index + 1, at: 1_000, causationId: null, correlationId: 'root', by: { service: 'test', instance: 't' } });
  const state = fold(events.map((event, index): SessionEvent => ({ ...meta(index), ...event })));
  if (state.status === 'new') throw new Error('the session did not start');
  return state;
}

describe('turnChange', () => {
  const working = started();
  const idle: SessionState = { ...working, status: 'idle', output: 'done', idleSince: 3 };
  const paused: SessionState = { ...working, paused: { reason: 'asked', by: 'cli:ann' } };
  const completed: SessionState = { ...working, status: 'completed', outcome: { status: 'succeeded', totals: working.totals } };

  it('starts a turn when the input sets a session working: the task, a message to an idle one, a resume', () => {
    expect(turnChange(initialState(), working)).toBe('starts');
    expect(turnChange(idle, working)).toBe('starts');
    expect(turnChange(paused, working)).toBe('starts');
  });

  it('ends it when the session completes, goes idle or pauses, and leaves alone what happens while nothing works', () => {
    expect(turnChange(working, completed)).toBe('ends');
    expect(turnChange(working, idle)).toBe('ends');
    expect(turnChange(working, paused)).toBe('ends');
    expect(turnChange(working, working)).toBe('continues');
    expect(turnChange(paused, paused)).toBe('none');
    expect(turnChange(idle, completed)).toBe('none');
  });

  it("names the turn's span for the agent and links it to the session and its run", () => {
    expect(turnSpan(working, 'session.created')).toEqual({
      name: 'invoke_agent tracer',
      attributes: {
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.agent.name': 'tracer',
        'gen_ai.conversation.id': 's1',
        'signalbox.session.id': 's1',
        'signalbox.correlation.id': 'root',
        'signalbox.turn.trigger': 'session.created',
      },
    });
  });
});

describe('spanOpsOf', () => {
  const requested: NewEvent = { type: 'model.requested', data: { callId: 'm1', model: 'anthropic/claude-sonnet-4-6', digest: 'd', digestScheme: 'message-chain', attempt: 1 } };

  it('ends the last step and starts a step and a chat span under it for each model call', () => {
    expect(spanOpsOf(requested)).toEqual([
      { op: 'end', key: 'step', attributes: {} },
      { op: 'start', key: 'step', parent: 'turn', name: 'step', kind: 'internal', attributes: { 'signalbox.model.call_id': 'm1' } },
      {
        op: 'start',
        key: 'call:m1',
        parent: 'step',
        name: 'chat claude-sonnet-4-6',
        kind: 'client',
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'anthropic', 'gen_ai.request.model': 'claude-sonnet-4-6', 'signalbox.model.attempt': 1 },
      },
    ]);
  });

  it("ends the chat span with the answer's model, usage and finish reason, and no content", () => {
    const responded: NewEvent = {
      type: 'model.responded',
      data: { callId: 'm1', model: 'anthropic/claude-sonnet-4-6-20260101', content: [{ type: 'text', text: 'the secret is 42' }], stopReason: 'end_turn', usage: { inputTokens: 12, outputTokens: 3, cacheReadTokens: 0, cacheWriteTokens: 0 }, costUsd: 0.01, latencyMs: 5 },
    };
    const ops = spanOpsOf(responded);
    expect(ops).toEqual([
      {
        op: 'end',
        key: 'call:m1',
        attributes: { 'gen_ai.response.model': 'claude-sonnet-4-6-20260101', 'gen_ai.usage.input_tokens': 12, 'gen_ai.usage.output_tokens': 3, 'gen_ai.response.finish_reasons': ['end_turn'], 'signalbox.cost_usd': 0.01 },
      },
    ]);
    expect(JSON.stringify(ops)).not.toContain('42');
  });

  it("starts a tool call's span under the step and ends it as an error when the call fails or its outcome is unknown", () => {
    const tool: NewEvent = { type: 'tool.requested', data: { callId: 'call_1', tool: 'http.fetch', input: { url: 'https://x.test/?token=abc' }, idempotencyKey: 'k' } };
    expect(spanOpsOf(tool)).toEqual([
      { op: 'start', key: 'call:call_1', parent: 'step', name: 'execute_tool http.fetch', kind: 'internal', attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'http.fetch', 'gen_ai.tool.call.id': 'call_1' } },
    ]);
    expect(JSON.stringify(spanOpsOf(tool))).not.toContain('token');
    expect(spanOpsOf({ type: 'tool.failed', data: { callId: 'call_1', tool: 'http.fetch', error: 'refused: abc', durationMs: 4 } })).toEqual([
      { op: 'end', key: 'call:call_1', attributes: { 'error.type': 'tool_failed', 'signalbox.tool.duration_ms': 4 }, error: 'tool_failed' },
    ]);
    expect(spanOpsOf({ type: 'tool.outcome_unknown', data: { callId: 'call_1', tool: 'http.fetch', reason: 'cut off' } })[0]).toMatchObject({ error: 'outcome_unknown' });
    expect(spanOpsOf({ type: 'model.failed', data: { callId: 'm1', code: 'overloaded', message: 'try later', retryable: true, attempt: 1 } })[0]).toMatchObject({ key: 'call:m1', error: 'overloaded' });
  });

  it("starts a delegation's span under the step, named for the child's agent, and ends it as an error unless the child succeeded", () => {
    const spawned: NewEvent = { type: 'subagent.spawned', data: { callId: 'd1', sessionId: 's1.c1', agent: 'researcher', task: 'find the secret 42', budget: { maxSteps: 5 } } };
    expect(spanOpsOf(spawned)).toEqual([
      {
        op: 'start',
        key: 'call:d1',
        parent: 'step',
        name: 'invoke_agent researcher',
        kind: 'client',
        attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'researcher', 'gen_ai.tool.call.id': 'd1', 'signalbox.subagent.session.id': 's1.c1', 'signalbox.subagent.kind': 'delegate' },
      },
    ]);
    expect(JSON.stringify(spanOpsOf(spawned))).not.toContain('42');
    expect(spanOpsOf({ type: 'subagent.completed', data: { callId: 'd1', sessionId: 's1.c1', status: 'succeeded', output: 'it is 42' } })).toEqual([
      { op: 'end', key: 'call:d1', attributes: { 'signalbox.subagent.status': 'succeeded' } },
    ]);
    expect(spanOpsOf({ type: 'subagent.completed', data: { callId: 'd1', sessionId: 's1.c1', status: 'failed', reason: 'budget' } })[0]).toMatchObject({ error: 'subagent_failed' });
  });

  it("spans an attempt's grading from its submission to its grade, under the turn, with the grade's figures and never the answer", () => {
    expect(spanOpsOf({ type: 'outcome.submitted', data: { attempt: 2, output: 'the answer is 42', files: [] } })).toEqual([
      { op: 'start', key: 'grade:2', parent: 'turn', name: 'grade_outcome', kind: 'internal', attributes: { 'signalbox.outcome.attempt': 2 } },
    ]);
    const graded: NewEvent = { type: 'outcome.graded', data: { attempt: 2, passed: false, score: 0.4, verdicts: [{ criterion: 'cites 42', passed: false, reason: 'no 42' }], graders: [], changes: ['cite it'], costUsd: 0.02 } };
    expect(spanOpsOf(graded)).toEqual([{ op: 'end', key: 'grade:2', attributes: { 'signalbox.outcome.passed': false, 'signalbox.outcome.score': 0.4, 'signalbox.cost_usd': 0.02 } }]);
    expect(JSON.stringify(spanOpsOf(graded))).not.toContain('42');
    expect(spanOpsOf({ type: 'outcome.graded', data: { ...(graded.data as object), problem: 'the grader model is down' } as never })[0]).toMatchObject({ error: 'grade_problem' });
  });

  it('touches no span for the events between', () => {
    expect(spanOpsOf({ type: 'message.received', data: { text: 'hi', by: 'ann', messageId: 'x' } })).toEqual([]);
  });
});

describe('spanOfEvent', () => {
  it("puts a call's events in its span and the rest in the step (the shell falls back to the turn when none is open)", () => {
    expect(spanOfEvent({ type: 'tool.completed', data: { callId: 'call_2', tool: 'workspace.read', output: '', durationMs: 1 } })).toBe('call:call_2');
    expect(spanOfEvent({ type: 'permission.denied', data: { callId: 'call_3', tool: 'workspace.read', effect: 'deny', reason: 'no', policy: 'p' } as never })).toBe('call:call_3');
    expect(spanOfEvent({ type: 'budget.exceeded', data: { limit: 'maxSteps', allowed: 1, used: 1 } })).toBe('step');
    expect(spanOfEvent({ type: 'subagent.completed', data: { callId: 'd1', sessionId: 's1.c1', status: 'succeeded' } })).toBe('call:d1');
    expect(spanOfEvent({ type: 'outcome.submitted', data: { attempt: 3, output: 'x', files: [] } })).toBe('grade:3');
  });

  it("puts the events that start or end a turn in the turn's span, which the next turn links to", () => {
    expect(spanOfEvent({ type: 'message.received', data: { text: 'hi', by: 'ann', messageId: 'x' } })).toBe('turn');
    expect(spanOfEvent({ type: 'turn.completed', data: { turn: 1, output: 'done', stopReason: 'end_turn' } })).toBe('turn');
  });
});

describe('providerAndModel', () => {
  it('splits provider/model at the first slash; a model without one is its own provider', () => {
    expect(providerAndModel('vllm/meta-llama/Llama-3.1-8B-Instruct')).toEqual({ provider: 'vllm', model: 'meta-llama/Llama-3.1-8B-Instruct' });
    expect(providerAndModel('scripted')).toEqual({ provider: 'scripted', model: 'scripted' });
  });
});

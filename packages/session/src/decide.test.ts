import type { ModelResponse, NewEvent, ToolResult } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { maxModelAttempts, type SessionCommand } from './decide.ts';
import { agent, given, tools } from './spec.ts';


const start: SessionCommand = {
  type: 'StartSession',
  sessionId: 's1',
  correlationId: 's1',
  agent,
  tools,
  input: 'Summarise notes.md',
  budget: agent.budget,
};
const created: NewEvent = {
  type: 'session.created',
  data: { agent, input: 'Summarise notes.md', tools, budget: agent.budget, deciderVersion: 1 },
};
const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };

function requested(step: number, attempt = 1): NewEvent {
  return { type: 'model.requested', data: { callId: `m${step}`, model: 'scripted', digest: 'd', digestScheme: 'message-chain', attempt } };
}
function reply(content: ModelResponse['content'], stopReason: ModelResponse['stopReason'] = 'end_turn'): ModelResponse {
  return { model: 'scripted', content, stopReason, usage };
}
function responded(step: number, response: ModelResponse, costUsd = 0): NewEvent {
  return {
    type: 'model.responded',
    data: { callId: `m${step}`, model: response.model, content: response.content, stopReason: response.stopReason, usage, costUsd, latencyMs: 1 },
  };
}
const readCall = reply([{ type: 'tool_use', id: 'call_1', name: 'workspace.read', input: { path: 'notes.md' } }], 'tool_use');
const toolRequested: NewEvent = {
  type: 'tool.requested',
  data: { callId: 'call_1', tool: 'workspace.read', input: { path: 'notes.md' }, idempotencyKey: 's1/call_1' },
};
function toolResult(outcome: ToolResult['outcome']): SessionCommand {
  return { type: 'RecordToolResult', result: { type: 'tool.result', sessionId: 's1', callId: 'call_1', tool: 'workspace.read', outcome, durationMs: 2 } };
}
const afterToolCall = [created, requested(1), responded(1, readCall), toolRequested];

describe('session decider', () => {
  it('starts a session by asking the model for its first step', () => {
    const decision = given([])
      .when(start)
      .then([{ type: 'session.created' }, { type: 'model.requested', data: { callId: 'm1', attempt: 1 } }], [{ type: 'CallModel', callId: 'm1' }]);
    const call = decision.effects[0];
    expect(call?.type === 'CallModel' && call.request).toMatchObject({
      model: 'scripted',
      system: 'Be brief.',
      tools,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Summarise notes.md' }] }],
    });
  });

  it('starts nothing for a session that exists (idempotent submission)', () => {
    given([created, requested(1)]).when(start).then([], []);
  });

  it('dispatches the tool calls a model reply asks for, keyed for idempotency', () => {
    given([created, requested(1)])
      .when({ type: 'RecordModelReply', callId: 'm1', response: readCall, costUsd: 0.01, latencyMs: 1 })
      .then([{ type: 'model.responded', data: { costUsd: 0.01 } }, toolRequested], [
        { type: 'DispatchTool', job: { sessionId: 's1', callId: 'call_1', tool: 'workspace.read', idempotencyKey: 's1/call_1' } },
      ]);
  });

  it('answers a call to a tool the session was not given at once, without dispatching it', () => {
    const guessed = reply([{ type: 'tool_use', id: 'call_1', name: 'web search', input: { q: 'x' } }], 'tool_use');
    const decision = given([created, requested(1)])
      .when({ type: 'RecordModelReply', callId: 'm1', response: guessed, costUsd: 0, latencyMs: 1 })
      .then(
        [
          { type: 'model.responded' },
          { type: 'tool.requested', data: { callId: 'call_1', tool: 'web search' } },
          { type: 'tool.failed', data: { callId: 'call_1', error: 'unknown tool "web search"; the tools available are: workspace.read' } },
          { type: 'model.requested', data: { callId: 'm2' } },
        ],
        [{ type: 'CallModel', callId: 'm2' }],
      );
    const call = decision.effects[0];
    expect(call?.type === 'CallModel' && call.request.messages.at(-1)).toMatchObject({ role: 'user', content: [{ type: 'tool_result', toolUseId: 'call_1', isError: true }] });
  });

  it('dispatches the calls to its tools and fails the others when a reply mixes both', () => {
    const mixed = reply(
      [
        { type: 'tool_use', id: 'call_1', name: 'workspace.read', input: { path: 'notes.md' } },
        { type: 'tool_use', id: 'call_2', name: 'workspace.delete', input: { path: 'notes.md' } },
      ],
      'tool_use',
    );
    given([created, requested(1)])
      .when({ type: 'RecordModelReply', callId: 'm1', response: mixed, costUsd: 0, latencyMs: 1 })
      .then(
        [{ type: 'model.responded' }, toolRequested, { type: 'tool.requested', data: { callId: 'call_2' } }, { type: 'tool.failed', data: { callId: 'call_2' } }],
        [{ type: 'DispatchTool', job: { callId: 'call_1', tool: 'workspace.read' } }],
      );
  });

  it('records where an output too long to carry is stored; the model gets the beginning the result carries', () => {
    const wholeOutput = { sha256: 'a'.repeat(64), chars: 300_000 };
    const decision = given(afterToolCall)
      .when(toolResult({ status: 'completed', output: 'the beginning', wholeOutput }))
      .then([{ type: 'tool.completed', data: { output: 'the beginning', wholeOutput } }, { type: 'model.requested' }]);
    const call = decision.effects[0];
    expect(call?.type === 'CallModel' && call.request.messages.at(-1)).toEqual({
      role: 'user',
      content: [{ type: 'tool_result', toolUseId: 'call_1', content: 'the beginning', isError: false }],
    });
    // Without one, the event has no such key: it is the same event a run recorded before the key existed.
    const short = given(afterToolCall).when(toolResult({ status: 'completed', output: 'hello' })).then([{ type: 'tool.completed' }, { type: 'model.requested' }]);
    expect(Object.keys(short.events[0]?.data ?? {})).not.toContain('wholeOutput');
  });

  it('feeds a tool result back to the model as the next step', () => {
    const decision = given(afterToolCall)
      .when(toolResult({ status: 'completed', output: 'hello' }))
      .then([{ type: 'tool.completed', data: { output: 'hello' } }, { type: 'model.requested', data: { callId: 'm2' } }]);
    const call = decision.effects[0];
    expect(call?.type === 'CallModel' && call.request.messages.at(-1)).toEqual({
      role: 'user',
      content: [{ type: 'tool_result', toolUseId: 'call_1', content: 'hello', isError: false }],
    });
  });

  it('hands a failed tool call to the model as an error it can act on', () => {
    given(afterToolCall)
      .when(toolResult({ status: 'failed', error: 'no file at notes.md' }))
      .then([{ type: 'tool.failed', data: { error: 'no file at notes.md' } }, { type: 'model.requested' }]);
  });

  it('records a call cut off mid-run as outcome unknown, and tells the model so', () => {
    const decision = given(afterToolCall)
      .when(toolResult({ status: 'unknown', reason: 'mail.send was cut off mid-call' }))
      .then([{ type: 'tool.outcome_unknown', data: { callId: 'call_1', tool: 'workspace.read', reason: 'mail.send was cut off mid-call' } }, { type: 'model.requested' }]);
    const call = decision.effects[0];
    expect(call?.type === 'CallModel' && call.request.messages.at(-1)).toEqual({
      role: 'user',
      content: [{ type: 'tool_result', toolUseId: 'call_1', content: 'outcome unknown: mail.send was cut off mid-call', isError: true }],
    });
  });

  it('ignores a tool result it is not waiting for (a redelivered duplicate)', () => {
    const history = [...afterToolCall, { type: 'tool.completed', data: { callId: 'call_1', tool: 'workspace.read', output: 'x', durationMs: 1 } }, requested(2)] as NewEvent[];
    given(history).when(toolResult({ status: 'completed', output: 'x' })).then([], []);
  });

  it('completes with the final answer when the model stops without tool calls', () => {
    given([created, requested(1)])
      .when({ type: 'RecordModelReply', callId: 'm1', response: reply([{ type: 'text', text: 'All done.' }]), costUsd: 0, latencyMs: 1 })
      .then([{ type: 'model.responded' }, { type: 'session.completed', data: { status: 'succeeded', output: 'All done.', totals: { steps: 1, inputTokens: 10, outputTokens: 5 } } }], []);
  });

  it('fails a reply cut off at maxTokens with a message that says what to change', () => {
    given([created, requested(1)])
      .when({ type: 'RecordModelReply', callId: 'm1', response: reply([{ type: 'text', text: 'Once upon' }], 'max_tokens'), costUsd: 0, latencyMs: 1 })
      .then([{ type: 'model.responded' }, { type: 'session.completed', data: { status: 'failed', reason: expect.stringContaining('maxTokens') } }]);
  });

  it('ends the session with budget.exceeded when maxSteps is spent', () => {
    const history: NewEvent[] = [created];
    for (const step of [1, 2, 3]) {
      const call = reply([{ type: 'tool_use', id: `call_${step}`, name: 'workspace.read', input: {} }], 'tool_use');
      history.push(requested(step), responded(step, call), {
        type: 'tool.requested',
        data: { callId: `call_${step}`, tool: 'workspace.read', input: {}, idempotencyKey: `s1/call_${step}` },
      });
      if (step < 3) history.push({ type: 'tool.completed', data: { callId: `call_${step}`, tool: 'workspace.read', output: '', durationMs: 1 } });
    }
    given(history)
      .when({ type: 'RecordToolResult', result: { type: 'tool.result', sessionId: 's1', callId: 'call_3', tool: 'workspace.read', outcome: { status: 'completed', output: '' }, durationMs: 1 } })
      .then([
        { type: 'tool.completed' },
        { type: 'budget.exceeded', data: { limit: 'maxSteps', allowed: 3, used: 3 } },
        { type: 'session.completed', data: { status: 'failed' } },
      ], []);
  });

  it('ends the session with budget.exceeded when a reply takes it over maxCostUsd', () => {
    const costly = { ...created, data: { ...created.data, budget: { maxSteps: 3, maxCostUsd: 0.05 } } } as NewEvent;
    given([costly, requested(1)])
      .when({ type: 'RecordModelReply', callId: 'm1', response: readCall, costUsd: 0.06, latencyMs: 1 })
      .then([{ type: 'model.responded' }, { type: 'budget.exceeded', data: { limit: 'maxCostUsd' } }, { type: 'session.completed', data: { status: 'failed' } }], []);
  });

  it('retries a retryable model failure, then fails the session with the reason', () => {
    const failure = { type: 'RecordModelFailure', callId: 'm1', code: 'overloaded', message: 'try later', retryable: true } as const;
    given([created, requested(1)]).when(failure).then([{ type: 'model.failed', data: { attempt: 1 } }, { type: 'model.requested', data: { callId: 'm1', attempt: 2 } }], [{ type: 'CallModel', attempt: 2 }]);
    const exhausted = [created, ...Array.from({ length: maxModelAttempts }, (_, i) => requested(1, i + 1))];
    given(exhausted)
      .when(failure)
      .then([{ type: 'model.failed' }, { type: 'session.completed', data: { status: 'failed', reason: expect.stringContaining('overloaded') } }], []);
  });

  it('fails at once on a model error retrying cannot fix', () => {
    given([created, requested(1)])
      .when({ type: 'RecordModelFailure', callId: 'm1', code: 'authentication', message: 'check ANTHROPIC_API_KEY', retryable: false })
      .then([{ type: 'model.failed' }, { type: 'session.completed', data: { status: 'failed', reason: expect.stringContaining('ANTHROPIC_API_KEY') } }]);
  });

  it('records what a reply it could not keep cost, once, and fails the session with those totals', () => {
    given([created, requested(1)])
      .when({ type: 'RecordModelFailure', callId: 'm1', code: 'unrecordable_reply', message: 'nested too deep', retryable: false, usage, costUsd: 0.02 })
      .then([
        { type: 'model.failed', data: { code: 'unrecordable_reply', usage, costUsd: 0.02 } },
        { type: 'session.completed', data: { status: 'failed', totals: { inputTokens: 10, outputTokens: 5, costUsd: 0.02 } } },
      ], []);
  });

  it('decides nothing more once the session has completed', () => {
    const done: NewEvent = { type: 'session.completed', data: { status: 'succeeded', totals: { steps: 1, toolCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 } } };
    given([created, requested(1), done]).when({ type: 'FailSession', reason: 'late' }).then([], []);
  });
});

describe('resuming a session cut off mid-decision', () => {
  it('re-issues an unanswered model call and undelivered tool calls', () => {
    given([created, requested(1)]).when({ type: 'Resume' }).then([], [{ type: 'CallModel', callId: 'm1' }]);
    given(afterToolCall).when({ type: 'Resume' }).then([], [{ type: 'DispatchTool', job: { idempotencyKey: 's1/call_1' } }]);
  });

  it('asks the model when only session.created made it into the log', () => {
    given([created]).when({ type: 'Resume' }).then([{ type: 'model.requested', data: { callId: 'm1', attempt: 1 } }], [{ type: 'CallModel' }]);
  });

  it('requests the tool calls of a reply whose tool.requested events were lost', () => {
    given([created, requested(1), responded(1, readCall)]).when({ type: 'Resume' }).then([toolRequested], [{ type: 'DispatchTool' }]);
  });

  it('retries a failed model call whose retry was not recorded', () => {
    const failed: NewEvent = { type: 'model.failed', data: { callId: 'm1', code: 'overloaded', message: 'busy', retryable: true, attempt: 1 } };
    given([created, requested(1), failed]).when({ type: 'Resume' }).then([{ type: 'model.requested', data: { callId: 'm1', attempt: 2 } }]);
  });

  it('does nothing for a completed session', () => {
    const done: NewEvent = { type: 'session.completed', data: { status: 'succeeded', totals: { steps: 1, toolCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 } } };
    given([created, requested(1), done]).when({ type: 'Resume' }).then([], []);
  });
});

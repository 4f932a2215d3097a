import type { AgentDefinition, ModelResponse, NewEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { checkHistory } from './check-history.ts';
import type { SessionCommand } from './decide.ts';
import { agent, given, recorded, stored, tools } from './spec.ts';
import { fold } from './state.ts';
import { interruptedCallText } from './turns.ts';

const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
const chat: AgentDefinition = { ...agent, budget: { maxSteps: 10 }, conversation: { idleTimeoutMs: 60_000 } };
const createdWith = (definition: AgentDefinition, deciderVersion = 9): NewEvent => ({ type: 'session.created', data: { agent: definition, input: 'Hello', tools, budget: definition.budget, deciderVersion } });
const created = createdWith(chat);
const requested = (step: number): NewEvent => ({ type: 'model.requested', data: { callId: `m${step}`, model: 'scripted', digest: 'd', digestScheme: 'message-chain', attempt: 1 } });
const answer = (text: string): ModelResponse => ({ model: 'scripted', content: [{ type: 'text', text }], stopReason: 'end_turn', usage });
const readCall: ModelResponse = { model: 'scripted', content: [{ type: 'tool_use', id: 'call_1', name: 'workspace.read', input: { path: 'notes.md' } }], stopReason: 'tool_use', usage };
const responded = (step: number, response: ModelResponse): NewEvent => ({
  type: 'model.responded',
  data: { callId: `m${step}`, model: 'scripted', content: response.content, stopReason: response.stopReason, usage, costUsd: 0, latencyMs: 1 },
});
const toolRequested: NewEvent = { type: 'tool.requested', data: { callId: 'call_1', tool: 'workspace.read', input: { path: 'notes.md' }, idempotencyKey: 's1/call_1' } };
const turnOne = (text = 'Hi'): NewEvent => ({ type: 'turn.completed', data: { turn: 1, output: text, stopReason: 'end_turn' } });
const received = (text: string, messageId: string): NewEvent => ({ type: 'message.received', data: { text, by: 'cli:ann', messageId } });
const message = (text: string, messageId = 'SBX_INBOX/7', interrupt?: boolean): SessionCommand => ({ type: 'ReceiveMessage', text, by: 'cli:ann', messageId, ...(interrupt ? { interrupt } : {}) });
const reply = (step: number, response: ModelResponse): SessionCommand => ({ type: 'RecordModelReply', callId: `m${step}`, response, costUsd: 0, latencyMs: 1 });
const interrupt: SessionCommand = { type: 'Interrupt', by: 'cli:ann', reason: 'wrong file', interruptId: 'i1' };
const idleAfterTurnOne = [created, requested(1), responded(1, answer('Hi')), turnOne()];

describe('a conversation', () => {
  it('ends a turn with its answer and waits, idle, for the next message, with its idle timer armed', () => {
    given([created, requested(1)])
      .when(reply(1, answer('Hi')))
      .then([{ type: 'model.responded' }, { type: 'turn.completed', data: { turn: 1, output: 'Hi', stopReason: 'end_turn' } }], [{ type: 'AwaitIdle', sessionId: 's1', idleSince: 4, timeoutMs: 60_000 }]);
    expect(fold(stored(idleAfterTurnOne))).toMatchObject({ status: 'idle', output: 'Hi', turns: 1, idleSince: 4 });
  });

  it('starts the next turn with a message, the model reading the whole conversation', () => {
    const decision = given(idleAfterTurnOne).when(message('And now?')).then([{ type: 'message.received', data: { text: 'And now?', by: 'cli:ann', messageId: 'SBX_INBOX/7' } }, { type: 'model.requested', data: { callId: 'm2' } }]);
    const call = decision.effects.find((effect) => effect.type === 'CallModel');
    expect(call?.type === 'CallModel' && call.request.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  });

  it('records a message delivered twice once', () => {
    given([...idleAfterTurnOne, received('And now?', 'SBX_INBOX/7'), requested(2)]).when(message('And now?')).then([], []);
  });

  it('queues a message sent while a turn runs, and starts the next turn with it when this one ends', () => {
    given([created, requested(1)]).when(message('Also this')).then([{ type: 'message.received' }], []);
    const queued = [created, requested(1), received('Also this', 'SBX_INBOX/7')];
    expect(fold(stored(queued))).toMatchObject({ status: 'awaiting_model', queued: ['Also this'] });
    const decision = given(queued).when(reply(1, answer('Hi'))).then([{ type: 'model.responded' }, { type: 'turn.completed' }, { type: 'model.requested', data: { callId: 'm2' } }]);
    const call = decision.effects.find((effect) => effect.type === 'CallModel');
    expect(call?.type === 'CallModel' && call.request.messages.at(-1)).toEqual({ role: 'user', content: [{ type: 'text', text: 'Also this' }] });
  });

  it('closes when told to, with its last answer; a running one is stopped and ends aborted', () => {
    given(idleAfterTurnOne)
      .when({ type: 'CloseSession', by: 'cli:ann', reason: '' })
      .then([{ type: 'session.completed', data: { status: 'succeeded', output: 'Hi', reason: 'closed by cli:ann', closedBy: 'cli:ann' } }], [{ type: 'CloseIdle' }]);
    given([created, requested(1)])
      .when({ type: 'CloseSession', by: 'cli:ann', reason: 'enough' })
      .then([{ type: 'session.completed', data: { status: 'aborted', reason: 'enough', closedBy: 'cli:ann' } }], [{ type: 'CloseIdle' }, { type: 'StopStep', sessionId: 's1' }]);
  });

  it("closes on its idle timer only while still idle since the event the timer names", () => {
    const timeout: SessionCommand = { type: 'CloseSession', by: 'idle-timeout', reason: 'closed after 60000 ms idle', ifIdleSince: 4 };
    given(idleAfterTurnOne).when(timeout).then([{ type: 'session.completed', data: { status: 'succeeded', closedBy: 'idle-timeout' } }]);
    given([...idleAfterTurnOne, received('And now?', 'SBX_INBOX/7'), requested(2)]).when(timeout).then([], []);
  });

  it('refuses a message after it ended, and ignores one to a session created before conversations', () => {
    given([...idleAfterTurnOne, { type: 'session.completed', data: { status: 'succeeded', totals: { steps: 1, toolCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 } } }]).when(message('late')).then([], []);
    given([createdWith(chat, 8), requested(1)]).when(message('hi')).then([], []);
  });

  it('completes after its answer when the agent keeps no conversation', () => {
    given([createdWith(agent), requested(1)]).when(reply(1, answer('done'))).then([{ type: 'model.responded' }, { type: 'session.completed', data: { status: 'succeeded' } }]);
  });

  it('replays through checkHistory across turns, closes included', () => {
    const log = recorded(
      { type: 'StartSession', sessionId: 's1', correlationId: 's1', agent: chat, tools, input: 'Hello', budget: chat.budget },
      reply(1, answer('Hi')),
      message('And now?'),
      reply(2, answer('Now this')),
      { type: 'CloseSession', by: 'cli:ann', reason: '' },
    );
    expect(log.map((event) => event.type)).toEqual(['session.created', 'model.requested', 'model.responded', 'turn.completed', 'message.received', 'model.requested', 'model.responded', 'turn.completed', 'session.completed']);
    expect(checkHistory(log)).toMatchObject({ ok: true });
  });
});

describe('an interrupt', () => {
  it('abandons the model call in flight and waits for the next message', () => {
    given([created, requested(1)])
      .when(interrupt)
      .then([{ type: 'session.interrupted', data: { by: 'cli:ann', reason: 'wrong file', interruptId: 'i1', callId: 'm1', cancelledCalls: [] } }], [
        { type: 'StopStep', sessionId: 's1', interrupt: { by: 'cli:ann', reason: 'wrong file', interruptId: 'i1' } },
        { type: 'AwaitIdle', sessionId: 's1' },
      ]);
    const state = fold(stored([created, requested(1), { type: 'session.interrupted', data: { by: 'cli:ann', reason: '', interruptId: 'i1', callId: 'm1', cancelledCalls: [] } }]));
    expect(state).toMatchObject({ status: 'idle', output: '' });
    // The abandoned call's reply, if it still comes, is not recorded.
    given([created, requested(1), { type: 'session.interrupted', data: { by: 'cli:ann', reason: '', interruptId: 'i1', callId: 'm1', cancelledCalls: [] } }]).when(reply(1, answer('late'))).then([], []);
  });

  it('answers the running tool calls as stopped, so the next request answers every call the model made', () => {
    const running = [created, requested(1), responded(1, readCall), toolRequested];
    // The executors are told which calls: one not yet begun is then never run.
    given(running).when(interrupt).then([{ type: 'session.interrupted', data: { cancelledCalls: ['call_1'] } }], [{ type: 'StopStep', calls: ['call_1'] }, { type: 'AwaitIdle' }]);
    const interrupted: NewEvent = { type: 'session.interrupted', data: { by: 'cli:ann', reason: '', interruptId: 'i1', cancelledCalls: ['call_1'] } };
    const decision = given([...running, interrupted]).when(message('Read other.md instead')).then([{ type: 'message.received' }, { type: 'model.requested' }]);
    const call = decision.effects.find((effect) => effect.type === 'CallModel');
    expect(call?.type === 'CallModel' && call.request.messages.slice(-2)).toEqual([
      { role: 'user', content: [{ type: 'tool_result', toolUseId: 'call_1', content: interruptedCallText, isError: true }] },
      { role: 'user', content: [{ type: 'text', text: 'Read other.md instead' }] },
    ]);
    // The stopped call's late result is not recorded.
    const late: SessionCommand = { type: 'RecordToolResult', result: { type: 'tool.result', sessionId: 's1', callId: 'call_1', tool: 'workspace.read', outcome: { status: 'completed', output: 'x' }, durationMs: 1 } };
    given([...running, interrupted]).when(late).then([], []);
  });

  it("counts what the abandoned model call cost, as far as its provider reported it, and tells the others without it", () => {
    const spent = { usage: { ...usage, inputTokens: 1_200 }, costUsd: 0.0036 };
    const decision = given([created, requested(1)]).when({ ...interrupt, ...spent }).then([{ type: 'session.interrupted', data: { callId: 'm1', costUsd: 0.0036 } }]);
    expect(fold(stored([created, requested(1), ...decision.events]))).toMatchObject({ totals: { inputTokens: 1_200, costUsd: 0.0036 } });
    expect(decision.effects[0]).toEqual({ type: 'StopStep', sessionId: 's1', interrupt: { by: 'cli:ann', reason: 'wrong file', interruptId: 'i1' }, calls: [] });
  });

  it('goes straight on with the messages queued meanwhile', () => {
    given([created, requested(1), received('Stop, do this', 'SBX_INBOX/7')]).when(interrupt).then([{ type: 'session.interrupted' }, { type: 'model.requested', data: { callId: 'm2' } }]);
  });

  it('that comes with a message queues the message first, so the turn it starts reads it, and replays', () => {
    given([created, requested(1)])
      .when(message('Do this instead', 'SBX_INBOX/9', true))
      .then([{ type: 'message.received' }, { type: 'session.interrupted', data: { interruptId: 'message-SBX_INBOX-9', callId: 'm1' } }, { type: 'model.requested', data: { callId: 'm2' } }]);
    const log = recorded({ type: 'StartSession', sessionId: 's1', correlationId: 's1', agent: chat, tools, input: 'Hello', budget: chat.budget }, message('Do this instead', 'SBX_INBOX/9', true));
    expect(checkHistory(log)).toMatchObject({ ok: true });
  });

  it('is recorded once, whichever of its two deliveries comes first, and does nothing to an idle session', () => {
    const interrupted: NewEvent = { type: 'session.interrupted', data: { by: 'cli:ann', reason: '', interruptId: 'i1', callId: 'm1', cancelledCalls: [] } };
    given([created, requested(1), interrupted, received('go on', 'SBX_INBOX/8'), requested(2)]).when(interrupt).then([], []);
    given(idleAfterTurnOne).when(interrupt).then([], []);
  });

  it('stops a session whose agent keeps no conversation, too: it then waits for a message, one hour by default', () => {
    given([createdWith(agent), requested(1)]).when(interrupt).then([{ type: 'session.interrupted' }], [{ type: 'StopStep' }, { type: 'AwaitIdle', timeoutMs: 3_600_000 }]);
  });
});

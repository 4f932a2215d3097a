import type { AgentDefinition, ModelResponse, NewEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { checkHistory } from './check-history.ts';
import type { SessionCommand } from './decide.ts';
import { agent, given, recorded, stored, tools } from './spec.ts';
import { fold } from './state.ts';

const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
/** A window small enough that a few long tool results pass three quarters of it. */
const reader: AgentDefinition = { ...agent, budget: { maxSteps: 50 }, context: { windowTokens: 1_200, compactAt: 0.75, keepMessages: 2 } };
const created = (definition = reader, deciderVersion = 9): NewEvent => ({ type: 'session.created', data: { agent: definition, input: 'Read the notes', tools, budget: definition.budget, deciderVersion } });
const readCall = (step: number): ModelResponse => ({ model: 'scripted', content: [{ type: 'tool_use', id: `call_${step}`, name: 'workspace.read', input: { path: 'notes.md' } }], stopReason: 'tool_use', usage });
const page = 'x'.repeat(1_200);
/** One step: the model asks for a read, and reads a long page. */
const step = (n: number): NewEvent[] => [
  { type: 'model.requested', data: { callId: `m${n}`, model: 'scripted', digest: 'd', digestScheme: 'message-chain', attempt: 1 } },
  { type: 'model.responded', data: { callId: `m${n}`, model: 'scripted', content: readCall(n).content, stopReason: 'tool_use', usage, costUsd: 0, latencyMs: 1 } },
  { type: 'tool.requested', data: { callId: `call_${n}`, tool: 'workspace.read', input: { path: 'notes.md' }, idempotencyKey: `s1/call_${n}` } },
  { type: 'permission.granted', data: { callId: `call_${n}`, tool: 'workspace.read', effect: 'allow', reason: 'listed' } },
  { type: 'tool.completed', data: { callId: `call_${n}`, tool: 'workspace.read', output: `${n}: ${page}`, durationMs: 1 } },
];
const steps = (count: number, definition = reader) => [created(definition), ...Array.from({ length: count }, (_, i) => step(i + 1)).flat()];
const summary = (callId: string, from: number, upTo: number, text = 'Read pages 1 and 2.'): SessionCommand => ({ type: 'RecordCompaction', callId, from, upTo, model: 'scripted', summary: text, usage, costUsd: 0.01, tokensBefore: 900 });

describe('context compaction', () => {
  it('asks for a summary of the older turns before a request that would pass three quarters of the window', () => {
    given(steps(2)).when({ type: 'Resume' }).then([{ type: 'model.requested' }], [{ type: 'CallModel' }]);
    given(steps(3)).when({ type: 'Resume' }).then([], [{ type: 'CompactContext', callId: 'c4', from: 0, upTo: 5 }]);
  });

  it('records the summary, counts its cost, and the next request carries it in place of the messages before the cut', () => {
    const decision = given(steps(3)).when(summary('c4', 0, 5)).then([{ type: 'context.compacted', data: { from: 0, upTo: 5, summary: 'Read pages 1 and 2.', costUsd: 0.01 } }, { type: 'model.requested', data: { callId: 'm4' } }]);
    const call = decision.effects.find((effect) => effect.type === 'CallModel');
    const messages = call?.type === 'CallModel' ? call.request.messages : [];
    expect(messages[0]).toEqual({ role: 'user', content: [{ type: 'text', text: 'Earlier in this session (compacted into a summary):\nRead pages 1 and 2.' }] });
    expect(messages.slice(1).map((message) => message.role)).toEqual(['assistant', 'user']);
    const compacted = decision.events[0];
    expect(compacted?.type === 'context.compacted' && compacted.data.tokensAfter).toBeLessThan(900);
    expect(fold(stored([...steps(3), ...decision.events]))).toMatchObject({ totals: { costUsd: 0.01 } });
  });

  it('asks again after a crash, and records a summary delivered twice, or for another cut, once', () => {
    given(steps(3)).when({ type: 'Resume' }).then([], [{ type: 'CompactContext', callId: 'c4' }]);
    const compacted: NewEvent = { type: 'context.compacted', data: { callId: 'c4', from: 0, upTo: 5, summary: 'Read.', model: 'scripted', costUsd: 0, tokensBefore: 900, tokensAfter: 400 } };
    given([...steps(3), compacted, step(4)[0] as NewEvent]).when(summary('c4', 0, 5)).then([], []);
    given(steps(3)).when(summary('c4', 0, 3)).then([], []);
  });

  it('goes on without one when the summary cannot be written, and does not try the same cut again', () => {
    const failed: SessionCommand = { type: 'RecordCompaction', callId: 'c4', from: 0, upTo: 5, model: 'scripted', error: 'overloaded', costUsd: 0, tokensBefore: 900 };
    const decision = given(steps(3)).when(failed).then([{ type: 'context.compacted', data: { error: 'overloaded' } }, { type: 'model.requested' }]);
    expect(fold(stored([...steps(3), ...decision.events]))).toMatchObject({ compaction: null, compactionTriedUpTo: 5 });
  });

  it("compacts when the supervisor asks, whatever the request's size; a session created before version 9 records nothing", () => {
    const compact: SessionCommand = { type: 'Intervene', detector: 'waste', action: 'compact', reason: 'the context holds the same pages again and again', evidence: [3] };
    const large: AgentDefinition = { ...reader, context: undefined, model: 'anthropic/claude-sonnet-4-6' };
    const waiting = steps(4, large).slice(0, -1);
    given(waiting).when(compact).then([{ type: 'supervisor.intervened', data: { action: 'compact' } }]);
    const asked = [...waiting, { type: 'supervisor.intervened', data: { detector: 'waste', action: 'compact', reason: 'r', evidence: [3] } } as NewEvent];
    const result: SessionCommand = { type: 'RecordToolResult', result: { type: 'tool.result', sessionId: 's1', callId: 'call_4', tool: 'workspace.read', outcome: { status: 'completed', output: 'x' }, durationMs: 1 } };
    given(asked).when(result).then([{ type: 'tool.completed' }], [{ type: 'CompactContext', from: 0, upTo: 3 }]);
    given(waiting.map((event) => (event.type === 'session.created' ? created(large, 8) : event))).when(compact).then([], []);
  });

  it('sends a long tool output the model has read before as its beginning and a note', () => {
    const { decision } = given([...steps(1), ...step(2).slice(0, 1)]).when({ type: 'Resume' });
    const call = decision.effects.find((effect) => effect.type === 'CallModel');
    expect(call?.type === 'CallModel' && JSON.stringify(call.request.messages)).not.toContain('left out here');
    const long = 'y'.repeat(9_000);
    const longRead: NewEvent[] = [...step(1).slice(0, 4), { type: 'tool.completed', data: { callId: 'call_1', tool: 'workspace.read', output: long, durationMs: 1 } }, ...step(2).slice(0, 4), { type: 'tool.completed', data: { callId: 'call_2', tool: 'workspace.read', output: 'short', durationMs: 1 } }];
    const big: AgentDefinition = { ...reader, context: { windowTokens: 100_000, compactAt: 0.75, keepMessages: 6 } };
    const resumed = given([created(big), ...longRead]).when({ type: 'Resume' }).then([{ type: 'model.requested' }], [{ type: 'CallModel' }]);
    const later = resumed.effects.find((effect) => effect.type === 'CallModel');
    const text = later?.type === 'CallModel' ? JSON.stringify(later.request.messages) : '';
    expect(text).toContain('8000 more characters, read before and left out here');
    expect(text).not.toContain(long);
  });

  it('replays through checkHistory, the compacted requests included', () => {
    const log = recorded(
      { type: 'StartSession', sessionId: 's1', correlationId: 's1', agent: reader, tools, input: 'Read the notes', budget: reader.budget },
      ...[1, 2, 3].flatMap((n): SessionCommand[] => [
        { type: 'RecordModelReply', callId: `m${n}`, response: readCall(n), costUsd: 0, latencyMs: 1 },
        { type: 'RecordPermissions', verdicts: [{ callId: `call_${n}`, verdict: { effect: 'allow', reason: 'listed' } }] },
        { type: 'RecordToolResult', result: { type: 'tool.result', sessionId: 's1', callId: `call_${n}`, tool: 'workspace.read', outcome: { status: 'completed', output: `${n}: ${page}` }, durationMs: 1 } },
      ]),
      summary('c4', 0, 5),
    );
    expect(log.map((event) => event.type).slice(-2)).toEqual(['context.compacted', 'model.requested']);
    expect(checkHistory(log)).toMatchObject({ ok: true });
  });
});

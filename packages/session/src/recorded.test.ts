import { decodeEvent, encode, encodeEvent, type ModelRequest, type NewEvent, type SessionEvent, type ToolJob } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { decide } from './decide.ts';
import { forkPrefix } from './fork.ts';
import { wholeRequestDigest } from './model-request.ts';
import { recordedModelReply, recordedToolResult } from './recorded.ts';
import { agent, stored, tools } from './spec.ts';
import { initialState } from './state.ts';

const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
const original = stored([
  { type: 'model.requested', data: { callId: 'm1', model: 'scripted', digest: 'd1', digestScheme: 'message-chain', attempt: 1 } },
  { type: 'model.responded', data: { callId: 'm1', model: 'scripted', content: [{ type: 'text', text: 'hi' }], stopReason: 'end_turn', usage, costUsd: 0.5, latencyMs: 7 } },
  { type: 'tool.requested', data: { callId: 'call_1', tool: 'workspace.read', input: { path: 'a.md' }, idempotencyKey: 'orig/call_1' } },
  { type: 'tool.failed', data: { callId: 'call_1', tool: 'workspace.read', error: 'no file at a.md', durationMs: 2 } },
  { type: 'model.requested', data: { callId: 'm2', model: 'scripted', digest: 'd2', digestScheme: 'message-chain', attempt: 1 } },
  { type: 'model.failed', data: { callId: 'm2', code: 'overloaded', message: 'busy', retryable: true, attempt: 1 } },
] satisfies NewEvent[]);
const request: ModelRequest = { model: 'scripted', messages: [{ role: 'user', content: [{ type: 'text', text: 'go' }] }], tools: [], maxTokens: 256 };
const job: ToolJob = { sessionId: 'fork', correlationId: 'fork', callId: 'call_1', tool: 'workspace.read', input: { path: 'a.md' }, idempotencyKey: 'fork/call_1' };

/** `requested` as a writer before v2 stored it (the digest of the whole request), read back through the codec. */
function storedAsV1(requested: SessionEvent): SessionEvent {
  if (requested.type !== 'model.requested') throw new Error('not a model.requested');
  const { digestScheme: _scheme, ...data } = requested.data;
  return decodeEvent(encode({ ...requested, v: 1, data: { ...data, digest: wholeRequestDigest(request) } }));
}

describe('answers from an original log', () => {
  it('replays the reply to a model request with the same digest, call id and attempt', () => {
    expect(recordedModelReply(original, { callId: 'm1', attempt: 1, digest: 'd1', request })).toEqual({
      type: 'RecordModelReply',
      callId: 'm1',
      response: { model: 'scripted', content: [{ type: 'text', text: 'hi' }], stopReason: 'end_turn', usage },
      costUsd: 0.5,
      latencyMs: 7,
    });
  });

  it('replays a recorded failure of the same request', () => {
    expect(recordedModelReply(original, { callId: 'm2', attempt: 1, digest: 'd2', request })).toEqual({
      type: 'RecordModelFailure',
      callId: 'm2',
      code: 'overloaded',
      message: 'busy',
      retryable: true,
    });
  });

  it('answers nothing once the request differs, or when the original got no answer', () => {
    expect(recordedModelReply(original, { callId: 'm1', attempt: 1, digest: 'other', request })).toBeUndefined();
    expect(recordedModelReply(original, { callId: 'm2', attempt: 2, digest: 'd2', request })).toBeUndefined();
  });

  it('matches a request recorded before model.requested v2 by the digest of the whole request', () => {
    const [requested, responded] = original;
    if (!requested || !responded) throw new Error('fixture lost its first events');
    const v1 = [storedAsV1(requested), responded];
    expect(recordedModelReply(v1, { callId: 'm1', attempt: 1, digest: 'd1', request })).toMatchObject({ type: 'RecordModelReply', callId: 'm1' });
    expect(recordedModelReply(v1, { callId: 'm1', attempt: 1, digest: 'd1', request: { ...request, maxTokens: 512 } })).toBeUndefined();
  });

  it('matches such a request copied into a fork, so a hermetic fork of that fork answers from it too', () => {
    const [requested, responded] = original;
    if (!requested || !responded) throw new Error('fixture lost its first events');
    const created: NewEvent = { type: 'session.created', data: { agent, input: 'go', tools, budget: agent.budget, deciderVersion: 1 } };
    const old = [...stored([created]), { ...storedAsV1(requested), n: 2 }, { ...responded, n: 3 }];
    const prefix = forkPrefix(old, 3) ?? [];
    const fork = decide({ type: 'ForkSession', sessionId: 'f1', correlationId: 'f1', from: { sessionId: 's1', n: 3, hermetic: true }, prefix }, initialState());
    // Appended at current versions and read back, as the fork's own log.
    const forkLog = stored(fork.events, 'f1').map((event) => decodeEvent(encodeEvent(event)));
    expect(forkLog[1]).toMatchObject({ type: 'model.requested', v: 3, data: { digestScheme: 'whole-request' } });
    expect(recordedModelReply(forkLog, { callId: 'm1', attempt: 1, digest: 'd1', request })).toMatchObject({ type: 'RecordModelReply', callId: 'm1' });
  });

  it('replays the result of the same tool call with the same input', () => {
    expect(recordedToolResult(original, job)).toEqual({
      type: 'tool.result',
      sessionId: 'fork',
      callId: 'call_1',
      tool: 'workspace.read',
      outcome: { status: 'failed', error: 'no file at a.md' },
      durationMs: 2,
    });
    expect(recordedToolResult(original, { ...job, input: { path: 'b.md' } })).toBeUndefined();
    expect(recordedToolResult(original, { ...job, callId: 'call_9' })).toBeUndefined();
  });
});

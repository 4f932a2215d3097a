import type { SessionEvent, ToolJob } from '@signalbox/events';
import type { ActiveState, SessionCommand } from '@signalbox/session';
import { describe, expect, it } from 'vitest';
import type { ModelCall, ModelPort, ToolPort } from './effect-ports.ts';
import { recordingModelPort, recordingToolPort } from './recording-ports.ts';

const meta = { v: 1, sessionId: 'original', at: 0, causationId: null, correlationId: 'original', by: { service: 'test', instance: 't' } };
const original = [
  { ...meta, id: 'e1', n: 1, type: 'tool.requested', data: { callId: 'c1', tool: 'workspace.read', input: { path: 'a.md' }, idempotencyKey: 'original/c1' } },
  { ...meta, id: 'e2', n: 2, type: 'tool.completed', data: { callId: 'c1', tool: 'workspace.read', output: 'recorded', durationMs: 3 } },
] as SessionEvent[];

const job = (callId: string, path: string): ToolJob => ({ sessionId: 'fork', correlationId: 'fork', callId, tool: 'workspace.read', input: { path }, idempotencyKey: `fork/${callId}` });

function liveTools(): ToolPort & { sent: ToolJob[] } {
  const sent: ToolJob[] = [];
  return {
    sent,
    dispatch: async (_sessionId, jobs) => {
      sent.push(...jobs);
      return [];
    },
  };
}

describe('recordingToolPort', () => {
  it("answers the original's calls from its log and sends the rest to the live port", async () => {
    const live = liveTools();
    const port = recordingToolPort(live, { of: async () => original });
    const answered = await port.dispatch('fork', [job('c1', 'a.md'), job('c2', 'b.md')]);
    expect(answered).toEqual([
      { type: 'RecordToolResult', result: { type: 'tool.result', sessionId: 'fork', callId: 'c1', tool: 'workspace.read', outcome: { status: 'completed', output: 'recorded' }, durationMs: 3 } },
    ]);
    expect(live.sent.map((sent) => sent.callId)).toEqual(['c2']);
  });

  it('sends everything live for a session that is not a hermetic fork, or a call whose input differs', async () => {
    const notFork = liveTools();
    await recordingToolPort(notFork, { of: async () => undefined }).dispatch('s', [job('c1', 'a.md')]);
    expect(notFork.sent).toHaveLength(1);
    const diverged = liveTools();
    expect(await recordingToolPort(diverged, { of: async () => original }).dispatch('fork', [job('c1', 'other.md')])).toEqual([]);
    expect(diverged.sent).toHaveLength(1);
  });
});

describe('recordingModelPort', () => {
  it('calls the live port when the original never asked the same', async () => {
    const reply: SessionCommand = { type: 'RecordModelFailure', callId: 'm1', code: 'unexpected', message: 'live', retryable: false };
    const calls: ModelCall[] = [];
    const live: ModelPort = {
      call: async (_session, call) => {
        calls.push(call);
        return reply;
      },
    };
    const call = { callId: 'm1', attempt: 1, digest: 'not-recorded', request: { model: 'm', messages: [], tools: [], maxTokens: 1 } };
    expect(await recordingModelPort(live, { of: async () => original }).call({ sessionId: 'fork' } as ActiveState, call)).toBe(reply);
    expect(calls).toEqual([call]);
  });
});

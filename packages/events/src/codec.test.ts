import { describe, expect, it } from 'vitest';
import { decodeEventMessage, DecodeError, encode, encodeEventMessage } from './codec.ts';
import type { SessionEvent } from './envelope.ts';

function paused(sessionId: string, n: number): SessionEvent {
  const by = { service: 'test', instance: 't1' };
  return { id: `${sessionId}-${n}`, type: 'session.paused', v: 1, sessionId, n, at: n, causationId: null, correlationId: sessionId, by, data: { reason: 'r' } };
}

describe('event messages', () => {
  it('hold one event as a map, as before decisions became one message, and several as an array', () => {
    expect(decodeEventMessage(encodeEventMessage([paused('s', 1)]))).toEqual([paused('s', 1)]);
    const decision = [paused('s', 2), paused('s', 3)];
    expect(decodeEventMessage(encodeEventMessage(decision))).toEqual(decision);
  });

  it("refuse a message whose events are not one session's, numbered one after another", () => {
    for (const events of [[], [paused('s', 1), paused('t', 2)], [paused('s', 1), paused('s', 3)], [paused('s', 2), paused('s', 1)]]) {
      expect(() => decodeEventMessage(encode(events))).toThrow(DecodeError);
    }
    expect(() => decodeEventMessage(encode([{ ...paused('s', 1), type: 'no.such' }]))).toThrow(DecodeError);
    expect(() => decodeEventMessage(Uint8Array.of(0xc1))).toThrow(DecodeError);
  });
});

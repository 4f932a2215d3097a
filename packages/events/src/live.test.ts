import { describe, expect, it } from 'vitest';
import { decodeLiveMessage, encodeLiveMessage } from './live.ts';
import { naming } from './naming.ts';

describe('live messages', () => {
  it('travel on the live subject, outside the events', () => {
    const { subjects } = naming('sbx');
    expect(subjects.live('s1')).toBe('sbx.live.s1');
    expect(subjects.allLive).toBe('sbx.live.*');
    expect(subjects.live('s1').startsWith('sbx.events.')).toBe(false);
  });

  it('read back what was written, text and end alike', () => {
    const text = { callId: 'c1', attempt: 1, seq: 0, text: 'Hel' };
    const end = { callId: 'c1', attempt: 1, seq: 1, done: true as const, failed: false };
    expect(decodeLiveMessage(encodeLiveMessage(text))).toEqual(text);
    expect(decodeLiveMessage(encodeLiveMessage(end))).toEqual(end);
  });

  it('are undefined for bytes that are not one', () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    expect(decodeLiveMessage(bytes('{not json'))).toBeUndefined();
    expect(decodeLiveMessage(bytes('{"callId":"c1","seq":-1,"text":"x","attempt":1}'))).toBeUndefined();
    expect(decodeLiveMessage(bytes('{"callId":"c1","seq":0,"attempt":1}'))).toBeUndefined();
    expect(decodeLiveMessage(new Uint8Array([0xff, 0xfe]))).toBeUndefined();
  });
});

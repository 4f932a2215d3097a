import { decodeLiveMessage, naming, type LiveMessage } from '@signalbox/events';
import { createLogger } from '@signalbox/runtime';
import { describe, expect, it } from 'vitest';
import { liveTextPublisher, type LiveTextDeps } from './live-text.ts';

/** A publisher whose timer fires only when the test says, what it published, and what it logged. */
function publisher(publish: LiveTextDeps['publish'] = () => undefined) {
  const published: LiveMessage[] = [];
  const logged: Record<string, unknown>[] = [];
  let due: (() => void) | undefined;
  const logger = createLogger({ service: 'session-actor', instance: 'test', level: 'info', destination: { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) } });
  const open = liveTextPublisher(
    {
      publish: (subject, payload) => {
        expect(subject).toBe('sbx.live.s1');
        publish(subject, payload);
        published.push(decodeLiveMessage(payload)!);
      },
      names: naming('sbx'),
      logger,
      schedule: (flush) => {
        due = flush;
        return () => (due = undefined);
      },
    },
    { flushEveryMs: 30, flushAtChars: 100 },
  );
  return { call: open('s1', { callId: 'm1', attempt: 1 }), published, logged, fire: () => due?.() };
}

describe('live text', () => {
  it('gathers tiny deltas into one message when the wait is over, and ends the call after them', () => {
    const { call, published, fire } = publisher();
    for (const letter of 'tokens') call.onText(letter);
    expect(published).toEqual([]);
    fire();
    call.onText('!');
    call.end(false);
    expect(published).toEqual([
      { callId: 'm1', attempt: 1, seq: 0, text: 'tokens' },
      { callId: 'm1', attempt: 1, seq: 1, text: '!' },
      { callId: 'm1', attempt: 1, seq: 2, done: true, failed: false },
    ]);
  });

  it('sends gathered text at once past the size, in pieces no larger, which join to the text', () => {
    const { call, published } = publisher();
    const huge = 'x'.repeat(250);
    call.onText(huge);
    call.end(true);
    const texts = published.flatMap((message) => ('text' in message ? [message.text] : []));
    expect(texts.map((text) => text.length)).toEqual([100, 100, 50]);
    expect(texts.join('')).toBe(huge);
    expect(published.map((message) => message.seq)).toEqual([0, 1, 2, 3]);
    expect(published.at(-1)).toMatchObject({ done: true, failed: true });
  });

  it('sends only full pieces at the size, the rest when the wait is over', () => {
    const { call, published, fire } = publisher();
    call.onText('y'.repeat(130));
    expect(published.map((message) => ('text' in message ? message.text.length : 0))).toEqual([100]);
    call.onText('z');
    fire();
    expect(published.map((message) => ('text' in message ? message.text : ''))).toEqual(['y'.repeat(100), `${'y'.repeat(30)}z`]);
  });

  it('logs a failed publish once, with the session, and never throws', () => {
    const { call, logged } = publisher(() => {
      throw new Error('connection closed');
    });
    expect(() => {
      call.onText('x'.repeat(500));
      call.end(false);
    }).not.toThrow();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 40, sessionId: 's1', callId: 'm1', msg: 'live output: could not publish the model text' });
  });
});

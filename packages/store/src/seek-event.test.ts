import { describe, expect, it } from 'vitest';
import { seekEvent, type LogPosition } from './seek-event.ts';

/** A stream of `length` messages in which the session's are every `every`-th, each holding `perMessage` events. */
function log(length: number, every: number, perMessage: number) {
  const mine: LogPosition[] = [];
  for (let seq = every, n = 1; seq <= length; seq += every, n += perMessage) mine.push({ seq, n });
  let probes = 0;
  const probe = async (seq: number) => {
    probes += 1;
    return mine.find((message) => message.seq >= seq);
  };
  return { mine, probe, probes: () => probes };
}

describe('seeking an event in a session’s log', () => {
  it('finds the message holding each event, among other sessions’ messages and messages of several events', async () => {
    const { mine, probe } = log(600, 3, 4);
    for (const n of [1, 2, 4, 5, 99, 398, 400]) {
      const at = await seekEvent(n, 1, 600, probe);
      expect(at).toEqual(mine.findLast((message) => message.n <= n));
    }
  });

  it('takes about log2 of the stream length in probes, not the events before the one sought', async () => {
    const { probe, probes } = log(1_000_000, 7, 1);
    const at = await seekEvent(140_000, 1, 1_000_000, probe);
    expect(at).toEqual({ seq: 980_000, n: 140_000 });
    expect(probes()).toBeLessThanOrEqual(Math.ceil(Math.log2(1_000_000)) + 1);
  });

  it('finds nothing before the first message, an empty log, or a range the session has no message in', async () => {
    const { probe } = log(100, 10, 1);
    expect(await seekEvent(5, 1, 9, probe)).toBeUndefined();
    expect(await seekEvent(5, 1, 100, async () => undefined)).toBeUndefined();
    // A first event numbered after the one sought (a purged start): nothing starts at or before it.
    expect(await seekEvent(5, 1, 100, async (seq) => ({ seq, n: 50 }))).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { rememberedCancellations, RunningCalls } from './running-calls.ts';

const stopped = new Error('interrupted by cli:ann');
const aborted = async (calls: RunningCalls, sessionId: string, callId: string) => (await calls.begin(sessionId, callId)).signal.aborted;

describe('RunningCalls', () => {
  it("stops a session's running calls on an interrupt, not another session's", async () => {
    const calls = new RunningCalls();
    const mine = await calls.begin('s1', 'c1');
    const theirs = await calls.begin('s2', 'c1');
    calls.stop('s1', stopped);
    expect(mine.signal.aborted).toBe(true);
    expect(mine.signal.reason).toBe(stopped);
    expect(theirs.signal.aborted).toBe(false);
  });

  it('begins a call the interrupt cancelled already stopped, and only that call of that session', async () => {
    const calls = new RunningCalls();
    calls.cancel('s1', stopped, ['c2', 'c3']);
    const cancelled = await calls.begin('s1', 'c2');
    expect(cancelled.signal.aborted).toBe(true);
    expect(cancelled.signal.reason).toBe(stopped);
    expect(await aborted(calls, 's1', 'c9')).toBe(false);
    expect(await aborted(calls, 's2', 'c3')).toBe(false);
    expect(await aborted(calls, 's1', 'c3')).toBe(true);
  });

  it('holds a call of an interrupted session until the actor names the calls it cancelled, then begins it stopped', async () => {
    const calls = new RunningCalls({ cancellationWaitMs: 60_000 });
    calls.stop('s1', stopped);
    let begun: AbortSignal | undefined;
    const beginning = calls.begin('s1', 'c2').then((call) => (begun = call.signal));
    const elsewhere = await calls.begin('s2', 'c2');
    await new Promise((resolve) => setImmediate(resolve));
    expect(begun).toBeUndefined();
    expect(elsewhere.signal.aborted).toBe(false);
    calls.cancel('s1', stopped, ['c2']);
    await beginning;
    expect(begun?.aborted).toBe(true);
  });

  it('lets a held call begin, not stopped, once no list of cancelled calls has come in time', async () => {
    const calls = new RunningCalls({ cancellationWaitMs: 20 });
    calls.stop('s1', stopped);
    const started = performance.now();
    expect(await aborted(calls, 's1', 'c1')).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
    // Settled: the next call of the session does not wait again.
    const again = performance.now();
    await calls.begin('s1', 'c2');
    expect(performance.now() - again).toBeLessThan(15);
  });

  it('stops the running calls the actor names as cancelled, and only those', async () => {
    const calls = new RunningCalls();
    const named = await calls.begin('s1', 'c1');
    const other = await calls.begin('s1', 'c2');
    calls.cancel('s1', stopped, ['c1']);
    expect(named.signal.aborted).toBe(true);
    expect(other.signal.aborted).toBe(false);
  });

  it('lets the calls a session holds back go on at once when the actor says the interrupt cancelled none', async () => {
    const calls = new RunningCalls({ cancellationWaitMs: 60_000 });
    calls.stop('s1', stopped);
    const beginning = calls.begin('s1', 'c1');
    calls.cancel('s1', stopped, []);
    expect((await beginning).signal.aborted).toBe(false);
  });

  it('forgets a cancellation once the call has begun', async () => {
    const calls = new RunningCalls();
    calls.cancel('s1', stopped, ['c1']);
    (await calls.begin('s1', 'c1')).end();
    expect(await aborted(calls, 's1', 'c1')).toBe(false);
  });

  it('remembers a bounded number of cancellations, the oldest forgotten first, however many an interrupt names', async () => {
    const calls = new RunningCalls();
    const named = Array.from({ length: rememberedCancellations + 5 }, (_, index) => `c${index}`);
    calls.cancel('s1', stopped, named);
    expect(await aborted(calls, 's1', 'c4')).toBe(false);
    expect(await aborted(calls, 's1', 'c5')).toBe(true);
    expect(await aborted(calls, 's1', named.at(-1)!)).toBe(true);
  });

  it('holds calls back for a bounded number of interrupts, so a flood of them cannot hold every session', async () => {
    const calls = new RunningCalls({ cancellationWaitMs: 60_000 });
    calls.stop('flooded', stopped);
    for (let index = 0; index < 10_001; index++) calls.stop(`s${index}`, stopped);
    expect(await aborted(calls, 'flooded', 'c1')).toBe(false);
  });
});

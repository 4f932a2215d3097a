import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { InterruptsOnTheWay } from './interrupts-on-the-way.ts';

/** Whether `promise` has settled after the pending callbacks have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await sleep(5);
  return done;
}

describe('interrupts on their way', () => {
  it("hold a session's results until the interrupt heard is applied, and no other session's", async () => {
    const onTheWay = new InterruptsOnTheWay(Date.now, 60_000);
    onTheWay.heard('s1', 'i1');
    const held = onTheWay.before('s1');
    expect(await settled(held)).toBe(false);
    expect(await settled(onTheWay.before('s2'))).toBe(true);
    onTheWay.applied('s1');
    expect(await settled(held)).toBe(true);
    expect(await settled(onTheWay.before('s1'))).toBe(true);
  });

  it('hold them no longer than the wait, when another actor applied the interrupt or none was ever sent', async () => {
    const onTheWay = new InterruptsOnTheWay(Date.now, 20);
    onTheWay.heard('s1', 'i1');
    const started = Date.now();
    await onTheWay.before('s1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    expect(await settled(onTheWay.before('s1'))).toBe(true);
  });

  it('do not count the core message of an interrupt this actor applied itself', async () => {
    const onTheWay = new InterruptsOnTheWay(Date.now, 60_000);
    onTheWay.applied('s1', 'i1');
    onTheWay.heard('s1', 'i1');
    expect(await settled(onTheWay.before('s1'))).toBe(true);
    onTheWay.heard('s1', 'i2');
    expect(await settled(onTheWay.before('s1'))).toBe(false);
    onTheWay.applied('s1', 'i2');
    // A close's interrupt has the same id in every session: applied in one, it is still on its way in another.
    onTheWay.heard('s2', 'i1');
    expect(await settled(onTheWay.before('s2'))).toBe(false);
    onTheWay.applied('s2');
  });

  it('forget interrupts heard for sessions that sent no result once their wait has run out', async () => {
    let now = 0;
    const onTheWay = new InterruptsOnTheWay(() => now, 1_000);
    for (let session = 0; session < 10_000; session += 1) onTheWay.heard(`s${session}`, `i${session}`);
    now = 1_000;
    onTheWay.heard('fresh', 'i-fresh');
    expect(await settled(onTheWay.before('s1'))).toBe(true);
    expect(await settled(onTheWay.before('fresh'))).toBe(false);
    onTheWay.applied('fresh');
  });
});

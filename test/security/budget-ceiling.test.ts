import { setTimeout as sleep } from 'node:timers/promises';
import type { DeadLetter } from '@signalbox/client';
import type { SessionEvent } from '@signalbox/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsUntil, scriptedAgent, startTestRuntime, succeededSession, type TestRuntime } from '../support/runtime.ts';

let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime({
    agents: [
      scriptedAgent(),
      scriptedAgent({ name: 'capped', budget: { maxSteps: 3 }, budgetCeiling: { maxSteps: 5 } }),
      // One step, then its budget pauses it before the next.
      scriptedAgent({ name: 'short', budget: { maxSteps: 1 } }),
    ],
  });
});
afterAll(() => runtime.dispose());

/** The first dead letter whose reason matches, waiting a little for it to be written after the reply. */
async function deadLetter(reason: RegExp): Promise<DeadLetter | undefined> {
  for (let tries = 0; tries < 50; tries++) {
    const found = (await runtime.client.deadLetters(50)).find((letter) => reason.test(letter.reason));
    if (found) return found;
    await sleep(50);
  }
  return undefined;
}

describe('budget ceilings', () => {
  it("refuses a task raising maxSteps past the installation's ceiling (1000 by default): a clear reply, a dead letter, no session", async () => {
    const outcome = await runtime.client.submit('scribe', { input: 'run for ever', sessionId: 'raise-1', budget: { maxSteps: 1e9 } });
    const reason = /maxSteps 1000000000 is over the ceiling: agent "scribe" allows at most 1000 \(the installation's ceiling\)/;
    expect(outcome).toEqual({ status: 'rejected', error: expect.stringMatching(reason) });
    expect(await deadLetter(reason)).toMatchObject({ subject: 'sbx.dlq.tasks', from: 'sbx.tasks.scribe' });
    expect(await runtime.client.events('raise-1')).toEqual([]);
  });

  it("holds a task to the agent's own budgetCeiling, and runs one within it", async () => {
    const refused = await runtime.client.submit('capped', { input: 'six steps', budget: { maxSteps: 6 } });
    expect(refused).toEqual({ status: 'rejected', error: expect.stringMatching(/at most 5 \(agent "capped"'s budgetCeiling\)/) });
    expect(await runtime.client.submit('scribe', { input: 'within', sessionId: 'within-1', budget: { maxSteps: 1000, maxCostUsd: 100 } })).toEqual({
      status: 'accepted',
      sessionId: 'within-1',
    });
    await succeededSession(runtime.client, 'within-1', 10_000);
  });

  it('refuses a resume past the ceiling the same way, leaving the session paused; one within it goes on', async () => {
    await runtime.client.submit('short', { input: 'stop after one step', sessionId: 'paused-by-budget' });
    const paused = (events: readonly SessionEvent[]) => events.at(-1)?.type === 'session.paused';
    await eventsUntil(runtime.client, 'paused-by-budget', paused);

    await runtime.client.resume('paused-by-budget', { by: 'test', maxSteps: 1_000_000 });
    const reason = /cannot resume session paused-by-budget with that budget \(the session is unchanged\): maxSteps 1000000 is over the ceiling/;
    expect(await deadLetter(reason)).toMatchObject({ subject: 'sbx.dlq.inbox', from: 'sbx.inbox.paused-by-budget.messages' });
    expect((await runtime.client.events('paused-by-budget')).at(-1)?.type).toBe('session.paused');

    await runtime.client.resume('paused-by-budget', { by: 'test', maxSteps: 10 });
    await succeededSession(runtime.client, 'paused-by-budget', 10_000);
  });
});

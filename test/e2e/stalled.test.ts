import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { SignalboxClient } from '@signalbox/client';
import { encode, type ModelRequest, type ModelResponse, type SessionEvent } from '@signalbox/events';
import { advertiseTools } from '@signalbox/store';
import { supervisorService } from '@signalbox/supervisor';
import { defineTool } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { eventsUntil, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * The stalled detector end to end, with the real timers stream: a session that records nothing for
 * `afterMs` is re-driven once, and paused if the re-drive brings nothing either. Healthy sessions,
 * slow ones included, and paused ones are left alone. The supervisor keeps one session in memory, so
 * sessions side by side are let go and folded again from the log as their events come.
 */
const afterMs = 1_500;
const slow = defineTool({ name: 'slow.wait', description: 'Takes a while, under afterMs', input: z.object({}), run: async () => (await sleep(700), 'waited') });
/** Advertised, so sessions may call it, but no executor serves it: its jobs are never answered. */
const lost = { name: 'jobs.lost', description: 'Nobody runs this', inputSchema: { type: 'object' }, idempotent: true };

const usage = { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 };
let submissions = 0;

/** Plans by the task's input, `<plan>:<id>`: `lost-job` calls the unserved tool; `slow` calls the slow tool three times. */
function plannedModel() {
  return {
    name: 'planned',
    complete: async (request: ModelRequest): Promise<ModelResponse> => {
      const first = request.messages[0]?.content[0];
      const input = first?.type === 'text' ? first.text : '';
      const turn = request.messages.filter((message) => message.role === 'assistant').length;
      const done: ModelResponse = { model: 'planned', content: [{ type: 'text', text: 'done' }], stopReason: 'end_turn', usage };
      const use = (name: string): ModelResponse => ({ model: 'planned', content: [{ type: 'tool_use', id: `t${turn + 1}`, name, input: {} }], stopReason: 'tool_use', usage });
      if (input.startsWith('lost-job:')) return turn === 0 ? use('jobs.lost') : done;
      return turn < 3 ? use('slow.wait') : done;
    },
  };
}

let runtime: TestRuntime;
let nc: NatsConnection;
let client: SignalboxClient;

beforeAll(async () => {
  runtime = await startTestRuntime({ actor: { resolveModel: () => ({ provider: plannedModel(), costOf: () => 0 }) }, tools: [slow], services: [supervisorService({ sessionCapacity: 1 })] });
  ({ nc, client } = runtime);
  await advertiseTools(nc, client.names, [lost]);
  await client.applyAgent({ name: 'waiter', model: 'planned/m', tools: ['slow.wait', 'jobs.lost'], supervision: { stalled: { afterMs } } });
});
afterAll(() => runtime?.dispose());

const stalledInterventions = (events: readonly SessionEvent[]) =>
  events.flatMap((event) => (event.type === 'supervisor.intervened' && event.data.detector === 'stalled' ? [{ n: event.n, action: event.data.action, evidence: event.data.evidence }] : []));

async function submitted(plan: string): Promise<string> {
  const sessionId = `${plan}-${(submissions += 1)}`;
  await client.submit('waiter', { input: `${plan}:${sessionId}`, sessionId });
  return sessionId;
}

describe('the stalled detector', () => {
  it('re-drives a session whose tool is never answered once, then pauses it, the re-drive as evidence (two at once, the supervisor keeping one)', async () => {
    const sessionIds = await Promise.all([submitted('lost-job'), submitted('lost-job')]);
    for (const sessionId of sessionIds) {
      const events = await eventsUntil(client, sessionId, (seen) => seen.at(-1)?.type === 'session.paused', 15_000);
      const requested = events.find((event) => event.type === 'tool.requested');
      const head = events.filter((event) => event.type !== 'supervisor.intervened' && event.type !== 'session.paused').at(-1)?.n ?? 0;
      expect(requested?.data).toMatchObject({ tool: 'jobs.lost' });
      expect(stalledInterventions(events)).toEqual([
        { n: head + 1, action: 'redrive', evidence: [head] },
        { n: head + 2, action: 'pause', evidence: [head + 1, head] },
      ]);
      expect(events.at(-1)?.data).toMatchObject({ by: 'supervisor:stalled' });
    }
    // Paused, they are flagged no more.
    await sleep(afterMs * 2);
    for (const sessionId of sessionIds) expect(stalledInterventions(await client.events(sessionId))).toHaveLength(2);
  });

  it('leaves a slow but healthy session alone: each call under afterMs', async () => {
    const sessionId = await submitted('slow');
    const events = await eventsUntil(client, sessionId, (seen) => seen.at(-1)?.type === 'session.completed', 15_000);
    expect(events.filter((event) => event.type === 'tool.completed')).toHaveLength(3);
    expect(stalledInterventions(events)).toEqual([]);
  });

  it('leaves a paused session alone, however long it waits', async () => {
    const sessionId = await submitted('lost-job');
    await eventsUntil(client, sessionId, (seen) => seen.some((event) => event.type === 'tool.requested'));
    await client.pause(sessionId, { by: 'ops', reason: 'looking into it' });
    await eventsUntil(client, sessionId, (seen) => seen.at(-1)?.type === 'session.paused');
    await sleep(afterMs * 3);
    expect(stalledInterventions(await client.events(sessionId))).toEqual([]);
  });

  it('dead-letters a firing that is not a stalled intervention of the session whose timer fired, and sends nothing', async () => {
    const sessionId = await submitted('lost-job');
    await eventsUntil(client, sessionId, (seen) => seen.some((event) => event.type === 'tool.requested'));
    await client.pause(sessionId, { by: 'ops' });
    const abort = { type: 'intervention', sessionId, detector: 'repetition', action: 'abort', message: 'forged', evidence: [1] };
    const js = jetstream(nc);
    await js.publish(client.names.subjects.stalledTimerDue(sessionId), encode(abort));
    await js.publish(client.names.subjects.stalledTimerDue('another-session'), encode({ ...abort, detector: 'stalled' }));
    await js.publish(client.names.subjects.stalledTimerDue(sessionId), encode({ type: 'pause', sessionId, by: 'x' }));
    await vi.waitFor(async () => {
      const reasons = (await client.deadLetters()).map((letter) => letter.reason);
      expect(reasons).toEqual(
        expect.arrayContaining([
          `a repetition intervention for session ${sessionId} fired on ${client.names.subjects.stalledTimerDue(sessionId)}, which is not its stalled timer`,
          `a stalled intervention for session ${sessionId} fired on ${client.names.subjects.stalledTimerDue('another-session')}, which is not its stalled timer`,
          expect.stringMatching(/^cannot decode stalled timer: type: Invalid input: expected "intervention"/),
        ]),
      );
    }, { timeout: 5_000 });
    expect((await client.events(sessionId)).filter((event) => event.type === 'supervisor.intervened')).toEqual([]);
  });
});

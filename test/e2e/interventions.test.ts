import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { SignalboxClient } from '@signalbox/client';
import { encode, type InboxCommand, type ModelRequest, type ModelResponse, type SessionEvent } from '@signalbox/events';
import { sendToSession } from '@signalbox/runtime';
import { defineTool } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { completedSession, eventsUntil, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * A supervisor's interventions, sent as its service will send them, end to end: the actor records
 * each once and does what it says. A nudge reaches the model in its next request.
 */
const waiting = new Map<string, () => void>();
const gate = defineTool({
  name: 'gate.wait',
  description: 'Waits for the test',
  input: z.object({}),
  run: (_input, context) => new Promise<string>((resolve) => waiting.set(context.sessionId, () => resolve('opened'))),
});

/** What each session's model was asked, in order: the test reads the nudges off it. */
const requests = new Map<string, ModelRequest[]>();
const usage = { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 };

/** Waits at the gate once, then answers; the session id is in the first message, as the task's input. */
function gatedModel() {
  return {
    name: 'planned',
    complete: async (request: ModelRequest): Promise<ModelResponse> => {
      const first = request.messages[0]?.content[0];
      const sessionId = first?.type === 'text' ? first.text : '';
      requests.set(sessionId, [...(requests.get(sessionId) ?? []), request]);
      const turn = request.messages.filter((message) => message.role === 'assistant').length;
      return turn === 0
        ? { model: 'planned', content: [{ type: 'tool_use', id: 'gate_1', name: 'gate.wait', input: {} }], stopReason: 'tool_use', usage }
        : { model: 'planned', content: [{ type: 'text', text: 'done' }], stopReason: 'end_turn', usage };
    },
  };
}

let runtime: TestRuntime;
let nc: NatsConnection;
let client: SignalboxClient;

beforeAll(async () => {
  runtime = await startTestRuntime({ tools: [gate], actor: { resolveModel: () => ({ provider: gatedModel(), costOf: () => 0 }) }, agents: [{ name: 'gated', model: 'planned/m', tools: ['gate.wait'] }] });
  ({ nc, client } = runtime);
});
afterAll(() => runtime.dispose());

const ofType = <T extends SessionEvent['type']>(events: readonly SessionEvent[], type: T) => events.filter((event): event is Extract<SessionEvent, { type: T }> => event.type === type);

/** Starts a session and waits until it waits at the gate. */
async function atTheGate(sessionId: string): Promise<void> {
  await client.submit('gated', { input: sessionId, sessionId });
  await eventsUntil(client, sessionId, (events) => events.some((event) => event.type === 'tool.requested'));
  await vi.waitFor(() => expect(waiting.has(sessionId)).toBe(true), { timeout: 15_000 });
}

const intervention = (sessionId: string, fields: Partial<Extract<InboxCommand, { type: 'intervention' }>> = {}): InboxCommand => ({
  type: 'intervention',
  sessionId,
  detector: 'repetition',
  action: 'nudge',
  message: 'You have waited at this gate before; try another way.',
  evidence: [3],
  ...fields,
});

describe('a supervisor’s interventions, end to end', () => {
  it('a nudge is recorded once, however often it is sent, and the model reads it in its next request', async () => {
    await atTheGate('nudged');
    await sendToSession(nc, client.names, 'nudged', intervention('nudged'));
    await sendToSession(nc, client.names, 'nudged', intervention('nudged', { message: 'sent again by a replica' }));
    await eventsUntil(client, 'nudged', (events) => events.some((event) => event.type === 'supervisor.intervened'));
    waiting.get('nudged')?.();
    const events = await completedSession(client, 'nudged', 10_000);
    expect(ofType(events, 'supervisor.intervened').map((event) => event.data)).toEqual([
      { detector: 'repetition', action: 'nudge', reason: 'You have waited at this gate before; try another way.', evidence: [3] },
    ]);
    const last = requests.get('nudged')?.at(-1)?.messages.at(-1);
    expect(last).toMatchObject({ role: 'user', content: [{ type: 'tool_result', content: 'opened' }, { type: 'text', text: 'You have waited at this gate before; try another way.' }] });
  });

  it('a pause pauses the session by the detector, and an abort ends it, saying why', async () => {
    await atTheGate('paused-by-supervisor');
    await sendToSession(nc, client.names, 'paused-by-supervisor', intervention('paused-by-supervisor', { action: 'pause', detector: 'error_spiral' }));
    const paused = await eventsUntil(client, 'paused-by-supervisor', (events) => events.at(-1)?.type === 'session.paused');
    expect(paused.at(-1)?.data).toMatchObject({ by: 'supervisor:error_spiral' });

    await sendToSession(nc, client.names, 'paused-by-supervisor', intervention('paused-by-supervisor', { action: 'abort', detector: 'waste', evidence: [4] }));
    const events = await completedSession(client, 'paused-by-supervisor', 10_000);
    expect(events.at(-1)?.data).toMatchObject({ status: 'aborted', reason: 'aborted by the supervisor\'s waste detector: You have waited at this gate before; try another way.' });
    waiting.get('paused-by-supervisor')?.();
  });

  it('takes an intervention only on its own subject, and none for a session that does not exist; a compact is recorded', async () => {
    await atTheGate('steered');
    await jetstream(nc).publish(client.names.subjects.inbox('steered'), encode(intervention('steered', { action: 'abort' })));
    await sendToSession(nc, client.names, 'steered', intervention('steered', { action: 'compact' }));
    await sendToSession(nc, client.names, 'ghost', intervention('ghost'));
    await vi.waitFor(async () => {
      const reasons = (await client.deadLetters()).map((letter) => letter.reason);
      expect(reasons).toEqual(
        expect.arrayContaining([
          'an intervention is taken only on sbx.inbox.steered.supervisor, not on sbx.inbox.steered (session steered is unchanged)',
          'cannot intervene in session ghost: it does not exist',
        ]),
      );
    }, { timeout: 15_000 });
    waiting.get('steered')?.();
    const events = await completedSession(client, 'steered', 10_000);
    // The compact asks the next model call to wait for a compaction; a conversation this short has nothing to cut.
    expect(ofType(events, 'supervisor.intervened').map((event) => event.data.action)).toEqual(['compact']);
    expect(ofType(events, 'context.compacted')).toEqual([]);
    expect(events.at(-1)?.data).toMatchObject({ status: 'succeeded' });
  });
});

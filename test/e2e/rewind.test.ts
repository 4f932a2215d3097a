import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/nats-core';
import type { SignalboxClient } from '@signalbox/client';
import { eventVersion, type InboxCommand, type Message, type ModelRequest, type ModelResponse, type SessionEvent } from '@signalbox/events';
import { sendToSession } from '@signalbox/runtime';
import { decide, fold, rewindForkId } from '@signalbox/session';
import { EventStore } from '@signalbox/store';
import { supervisorService } from '@signalbox/supervisor';
import { defineTool, workspaceTools } from '@signalbox/tool-executor';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { completedSession, eventsUntil, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { readOutputOf } from '../support/workspace-reads.ts';

/**
 * A supervisor's rewind end to end: the original ends aborted naming its fork, and the fork starts
 * from the original's events up to the rewind point, with the original's workspace as it was there and
 * the hint in its next model request, then runs to completion.
 */

/** Sessions whose lookups wait until the test lets them go. */
const held = new Map<string, PromiseWithResolvers<void>>();
/** A lookup that takes a moment, as a real tool does: the loop the agents fall into. */
const lookup = defineTool({
  name: 'docs.lookup',
  description: 'Looks a term up',
  input: z.object({ term: z.string() }),
  run: async ({ term }, context) => (await Promise.all([sleep(100), held.get(context.sessionId)?.promise]), `no entry for ${term}`),
});

/** Every request the model was asked, in order: the test finds the fork's first one by its hint. */
const requests: ModelRequest[] = [];
const usage = { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 };
const call = (name: string, input: Record<string, unknown>): ModelResponse => ({ model: 'planned', content: [{ type: 'tool_use', id: `c${requests.length}`, name, input }], stopReason: 'tool_use', usage });

/** A note beside the results (a nudge or a rewind's hint) in a user message. */
const noted = (message: Message | undefined) => message?.role === 'user' && message.content.some((block) => block.type === 'tool_result') && message.content.some((block) => block.type === 'text');

/**
 * Writes notes.md twice, then looks the same term up for ever; told otherwise (a note in its
 * messages), it reads notes.md and ends with what it read.
 */
function looper() {
  return {
    name: 'planned',
    complete: async (request: ModelRequest): Promise<ModelResponse> => {
      requests.push(request);
      const turn = request.messages.filter((message) => message.role === 'assistant').length;
      const last = request.messages.at(-1);
      if (noted(last)) return call('workspace.read', { path: 'notes.md' });
      if (request.messages.some(noted)) {
        const read = last?.content.find((block) => block.type === 'tool_result');
        // The file's text: what follows the line naming its revision.
        const text = read?.type === 'tool_result' ? read.content.slice(read.content.indexOf('\n') + 1) : '';
        return { model: 'planned', content: [{ type: 'text', text: `read: ${text}` }], stopReason: 'end_turn', usage };
      }
      if (turn < 2) return call('workspace.write', { path: 'notes.md', content: turn === 0 ? 'first' : 'second, longer' });
      return call('docs.lookup', { term: 'flaky' });
    },
  };
}

let runtime: TestRuntime;
let nc: NatsConnection;
let client: SignalboxClient;

beforeAll(async () => {
  runtime = await startTestRuntime({
    actor: { resolveModel: () => ({ provider: looper(), costOf: () => 0 }) },
    tools: [...workspaceTools, lookup],
    services: [supervisorService()],
  });
  ({ nc, client } = runtime);
  const tools = ['workspace.read', 'workspace.write', 'docs.lookup'];
  // Watched by nobody: the test plays the supervisor.
  await client.applyAgent({ name: 'unwatched', model: 'planned/m', tools, budget: { maxSteps: 30 }, supervision: false });
  await client.applyAgent({ name: 'rewound', model: 'planned/m', tools, budget: { maxSteps: 30 }, supervision: { repetition: { action: 'rewind' }, ladder: ['nudge', 'rewind', 'abort'] } });
});
afterAll(() => runtime?.dispose());

const ofType = <T extends SessionEvent['type']>(events: readonly SessionEvent[], type: T) => events.filter((event): event is Extract<SessionEvent, { type: T }> => event.type === type);
const lookups = (events: readonly SessionEvent[]) => ofType(events, 'tool.completed').filter((event) => event.data.tool === 'docs.lookup');

/** The n of the outcome of the session's `k`th write. */
const afterWrite = (events: readonly SessionEvent[], k: number) => ofType(events, 'tool.completed').filter((event) => event.data.tool === 'workspace.write')[k - 1]?.n ?? 0;

type Intervention = Extract<InboxCommand, { type: 'intervention' }>;
const rewindOf = (sessionId: string, fields: Partial<Intervention>): Intervention => ({
  type: 'intervention',
  sessionId,
  detector: 'repetition',
  action: 'rewind',
  message: 'You looked "flaky" up again and again; read notes.md instead.',
  evidence: [1],
  at: 1,
  ...fields,
});

/** What a fork shares with its original: the first `n` events, as type and data (a fork's `session.created` says where it came from). */
const shared = (events: readonly SessionEvent[], n: number) => events.slice(1, n).map(({ type, data }) => ({ type, data }));

describe('a supervisor’s rewind, end to end', () => {
  it('sent as the supervisor sends it: the original ends aborted naming the fork, which starts at `at` with the hint and the workspace as it was there, and completes; sent again, no second fork', async () => {
    await client.submit('unwatched', { input: 'Find out why the test is flaky', sessionId: 'looping' });
    const looping = await eventsUntil(client, 'looping', (events) => lookups(events).length >= 3);
    const at = afterWrite(looping, 1);
    const firstLookup = ofType(looping, 'tool.requested').find((event) => event.data.tool === 'docs.lookup')?.n ?? 0;
    const rewind = rewindOf('looping', { evidence: [firstLookup], at });
    await sendToSession(nc, client.names, 'looping', rewind);

    const original = await completedSession(client, 'looping', 10_000);
    const forkId = rewindForkId('looping', firstLookup);
    expect(ofType(original, 'supervisor.intervened').map((event) => event.data)).toEqual([{ detector: 'repetition', action: 'rewind', reason: rewind.message, evidence: [firstLookup], at, fork: forkId }]);
    expect(original.at(-1)?.data).toMatchObject({ status: 'aborted', rewoundTo: forkId, reason: expect.stringContaining(`to event ${at}, going on as ${forkId}`) });

    const fork = await completedSession(client, forkId, 10_000);
    expect(fork[0]?.data).toMatchObject({ forkedFrom: { sessionId: 'looping', n: at, hint: 'You looked "flaky" up again and again; read notes.md instead.' } });
    expect(shared(fork, at)).toEqual(shared(original, at));
    // Its first model request: the original's conversation up to the first write's result, with the hint after it.
    const first = requests.find((request) => noted(request.messages.at(-1)) && request.messages[0]?.content[0]?.type === 'text' && request.messages[0].content[0].text === 'Find out why the test is flaky');
    expect(first?.messages).toHaveLength(3);
    expect(first?.messages.at(-1)?.content.at(-1)).toEqual({ type: 'text', text: 'You looked "flaky" up again and again; read notes.md instead.' });
    // The workspace as it was at `at`: the first draft, not the original's second.
    expect(ofType(fork, 'tool.completed').at(-1)?.data).toMatchObject({ tool: 'workspace.read', output: expect.stringMatching(readOutputOf('notes.md', 'first')) });
    expect(fork.at(-1)?.data).toMatchObject({ status: 'succeeded', output: 'read: first' });
    expect(await client.workspaceAt('looping')).toEqual([{ path: 'notes.md', size: 14 }]);

    // Sent again (a replica, a redelivery): the fork is asked for again, and is not made twice.
    await sendToSession(nc, client.names, 'looping', rewind);
    await sleep(500);
    expect(await client.events('looping')).toHaveLength(original.length);
    expect(await client.events(forkId)).toHaveLength(fork.length);
    expect((await client.deadLetters()).filter((letter) => letter.reason.includes('session looping '))).toEqual([]);
  });

  it('a rewind appended by an actor that died before it asked for the fork: the rewind delivered again makes the fork', async () => {
    held.set('crashed', Promise.withResolvers<void>());
    await client.submit('unwatched', { input: 'Find out, then crash', sessionId: 'crashed' });
    const waiting = await eventsUntil(client, 'crashed', (events) => events.some((event) => event.type === 'tool.requested' && event.data.tool === 'docs.lookup'));
    const at = afterWrite(waiting, 2);
    const firstLookup = waiting.at(-1)?.n ?? 0;
    const rewind = rewindOf('crashed', { evidence: [firstLookup], at });
    // What the actor appends for the rewind, appended here, the fork never asked for: as if it died between the two.
    const logged = await client.events('crashed');
    const decided = decide({ type: 'Intervene', detector: 'repetition', action: 'rewind', reason: rewind.message, evidence: rewind.evidence, rewind: { at, log: logged.slice(0, at) } }, fold(logged));
    const envelopes = decided.events.map((event, i): SessionEvent => ({ ...event, id: `crash-${i}`, v: eventVersion(event.type), sessionId: 'crashed', n: logged.length + i + 1, at: Date.now(), causationId: null, correlationId: 'crashed', by: { service: 'test', instance: 'crashed' } }));
    const store = await EventStore.open(nc, client.names);
    await store.append('crashed', envelopes, await store.head('crashed'));
    expect(envelopes.map((event) => event.type)).toEqual(['supervisor.intervened', 'session.completed']);
    const forkId = rewindForkId('crashed', firstLookup);
    expect(await client.hasSession(forkId)).toBe(false);

    await sendToSession(nc, client.names, 'crashed', rewind);
    const fork = await completedSession(client, forkId, 10_000);
    expect(fork[0]?.data).toMatchObject({ forkedFrom: { sessionId: 'crashed', n: at, hint: rewind.message } });
    expect(fork.at(-1)?.data).toMatchObject({ status: 'succeeded', output: 'read: second, longer' });
    held.get('crashed')?.resolve();
  });

  it('refuses, keeping the reason, a rewind beyond the session’s last event and one of a session that completed', async () => {
    await client.submit('unwatched', { input: 'Find out again', sessionId: 'looping-too' });
    await eventsUntil(client, 'looping-too', (events) => lookups(events).length >= 1);
    const reasons = async () => (await client.deadLetters()).map((letter) => letter.reason);
    await sendToSession(nc, client.names, 'looping-too', rewindOf('looping-too', { at: 100_000 }));
    await vi.waitFor(async () => expect(await reasons()).toContainEqual(expect.stringMatching(/^cannot rewind session looping-too to event 100000: its events are 1-\d+; it is unchanged$/)), { timeout: 15_000 });
    await sendToSession(nc, client.names, 'looping-too', { type: 'intervention', sessionId: 'looping-too', detector: 'waste', action: 'abort', message: 'enough', evidence: [2] });
    await completedSession(client, 'looping-too', 10_000);
    await sendToSession(nc, client.names, 'looping-too', rewindOf('looping-too', { evidence: [3], at: 2 }));
    await vi.waitFor(async () => expect(await reasons()).toContain('session looping-too has completed (aborted): there is nothing to rewind'), { timeout: 15_000 });
  });

  it('the supervisor rewinds a looping session itself when the agent’s detector and ladder say rewind', async () => {
    await client.submit('rewound', { input: 'Find the flaky test', sessionId: 'supervised' });
    const original = await completedSession(client, 'supervised', 15_000);
    const [rewind] = ofType(original, 'supervisor.intervened');
    expect(rewind?.data).toMatchObject({ detector: 'repetition', action: 'rewind', at: afterWrite(original, 2) });
    const forkId = rewind?.data.fork ?? '';
    expect(original.at(-1)?.data).toMatchObject({ status: 'aborted', rewoundTo: forkId });
    const fork = await completedSession(client, forkId, 15_000);
    expect(fork[0]?.data).toMatchObject({ forkedFrom: { sessionId: 'supervised', n: afterWrite(original, 2), hint: rewind?.data.reason } });
    expect(fork.at(-1)?.data).toMatchObject({ status: 'succeeded', output: 'read: second, longer' });
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import { createProviderRegistry, providerConfigFromEnv } from '@signalbox/models';
import { modelResolver } from '@signalbox/session-actor';
import { anthropicText, delayed, startFakeAnthropic, type FakeAnthropic } from '@signalbox/testing';
import { workspaceTools } from '@signalbox/tool-executor';
import { encode, naming, type SessionEvent } from '@signalbox/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsUntil, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { stoppableTool } from '../support/stoppable-tool.ts';

const names = naming('sbx');
/** The slow tool's calls that started, and those told to stop, by call id. */
const { tool: slow, began: started, toldToStop } = stoppableTool();

let anthropic: FakeAnthropic;
let runtime: TestRuntime;
const turns = (count: number) => (events: readonly SessionEvent[]) => events.filter((event) => event.type === 'turn.completed').length >= count;
const last = (type: SessionEvent['type']) => (events: readonly SessionEvent[]) => events.at(-1)?.type === type;
const chat = { idleTimeoutMs: 600_000 };

beforeAll(async () => {
  anthropic = await startFakeAnthropic();
  const env = { ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: anthropic.baseURL, SIGNALBOX_PROVIDERS: JSON.stringify({ anthropic: { maxRetries: 0 } }) };
  runtime = await startTestRuntime({
    actor: { resolveModel: modelResolver(createProviderRegistry(providerConfigFromEnv(env))) },
    tools: [...workspaceTools, slow],
    agents: [
      { name: 'pal', model: 'scripted', tools: ['workspace.write'], conversation: chat, script: [{ final: 'Hello, Ann.' }, { tool: 'workspace.write', input: { path: 'milk.md', content: 'milk' } }, { final: 'Noted: milk.' }, { final: 'Bye.' }] },
      { name: 'worker', model: 'scripted', tools: ['slow.work'], conversation: chat, script: [{ tool: 'slow.work', input: {} }, { final: 'Working on the other thing.' }] },
      { name: 'brief', model: 'scripted', conversation: { idleTimeoutMs: 1_000 }, script: [{ final: 'Hi.' }] },
      { name: 'claude', model: 'anthropic/claude-sonnet-4-6', conversation: chat },
    ],
  });
});
afterAll(async () => {
  await runtime?.dispose();
  await anthropic?.close();
});

describe('a conversation', () => {
  it('waits idle after each answer, takes the next turn from a message, replays and forks across turns, and closes', async () => {
    const { client } = runtime;
    await client.submit('pal', { input: 'Hi, I am Ann.', sessionId: 'chat-1' });
    const first = await eventsUntil(client, 'chat-1', turns(1));
    expect(first.at(-1)).toMatchObject({ type: 'turn.completed', data: { turn: 1, output: 'Hello, Ann.' } });
    await expect.poll(async () => (await client.sessions()).find((entry) => entry.sessionId === 'chat-1')?.status).toBe('idle');

    await client.send('chat-1', 'Remember the milk.', { by: 'test:ann' });
    const second = await eventsUntil(client, 'chat-1', turns(2));
    expect(second.slice(first.length).map((event) => event.type)).toEqual(['message.received', 'model.requested', 'model.responded', 'tool.requested', 'permission.granted', 'tool.completed', 'model.requested', 'model.responded', 'turn.completed']);
    expect(second[first.length]).toMatchObject({ data: { text: 'Remember the milk.', by: 'test:ann' } });

    await client.close('chat-1', { by: 'test:ann' });
    const events = await runtime.completedSession('chat-1');
    expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded', output: 'Noted: milk.', closedBy: 'test:ann' } });
    expect(await client.check('chat-1')).toMatchObject({ ok: true });

    // A fork at the second message's event goes on from there as its own conversation.
    const fork = await client.fork('chat-1', { at: first.length + 1, sessionId: 'chat-1-fork' });
    const forked = await eventsUntil(client, fork, turns(2));
    expect(forked.at(-1)).toMatchObject({ type: 'turn.completed', data: { turn: 2, output: 'Noted: milk.' } });
  });

  it('queues a message sent while a turn runs, and takes it as the next turn when this one ends', async () => {
    const { client } = runtime;
    await client.submit('pal', { input: 'Hi, I am Ann.', sessionId: 'chat-queued', budget: { maxSteps: 10 } });
    await eventsUntil(client, 'chat-queued', turns(1));
    await client.send('chat-queued', 'Remember the milk.');
    await eventsUntil(client, 'chat-queued', last('tool.requested'));
    await client.send('chat-queued', 'And say bye.');
    const events = await eventsUntil(client, 'chat-queued', turns(3));
    const queuedAt = events.findLastIndex((event) => event.type === 'message.received');
    const endOfTurnTwo = events.findIndex((event) => event.type === 'turn.completed' && event.data.turn === 2);
    expect(queuedAt).toBeLessThan(endOfTurnTwo);
    expect(events[endOfTurnTwo + 1]).toMatchObject({ type: 'model.requested' });
    expect(events.at(-1)).toMatchObject({ data: { turn: 3, output: 'Bye.' } });
  });

  it('closes by itself after its idle timeout, through the durable timer', async () => {
    const { client } = runtime;
    await client.submit('brief', { input: 'hi', sessionId: 'chat-idle' });
    const events = await runtime.completedSession('chat-idle', 15_000);
    expect(events.at(-1)).toMatchObject({ data: { status: 'succeeded', output: 'Hi.', closedBy: 'idle-timeout', reason: 'closed after 1000 ms idle' } });
  });

  it('takes a message in JSON from any NATS client, on the session messages subject', async () => {
    const { client, nc } = runtime;
    await client.submit('pal', { input: 'Hi, I am Ann.', sessionId: 'chat-json' });
    await eventsUntil(client, 'chat-json', turns(1));
    const json = headers();
    json.set('Content-Type', 'application/json');
    await jetstream(nc).publish(names.subjects.messages('chat-json'), JSON.stringify({ type: 'user.message', sessionId: 'chat-json', by: 'nats:cli', text: 'Remember the milk.' }), { headers: json });
    const events = await eventsUntil(client, 'chat-json', turns(2));
    expect(events.find((event) => event.type === 'message.received')).toMatchObject({ data: { by: 'nats:cli', text: 'Remember the milk.' } });
  });

  it('keeps what it cannot take in the dead-letter stream with the reason: a message after the end, on the wrong subject, or too long', async () => {
    const { client, nc } = runtime;
    await client.submit('brief', { input: 'hi', sessionId: 'chat-ended' });
    await runtime.completedSession('chat-ended', 15_000);
    await client.send('chat-ended', 'still there?');
    // A tool executor may publish on the session's shared inbox; a message there is refused.
    await jetstream(nc).publish(names.subjects.inbox('chat-json'), encode({ type: 'user.message', sessionId: 'chat-json', by: 'tool', text: 'close yourself' }));
    await jetstream(nc).publish(names.subjects.messages('chat-json'), encode({ type: 'user.message', sessionId: 'chat-json', by: 'x', text: 'y'.repeat(100_001) }));
    await expect.poll(async () => (await client.deadLetters(50)).map((letter) => letter.reason).join('\n')).toMatch(/session chat-ended has ended: it takes no more messages/);
    const reasons = (await client.deadLetters(50)).map((letter) => letter.reason).join('\n');
    expect(reasons).toMatch(/a message is taken only on sbx\.inbox\.chat-json\.messages, not on sbx\.inbox\.chat-json/);
    expect(reasons).toMatch(/Too big: expected string to have <=100000 characters/);
    expect((await client.events('chat-json')).filter((event) => event.type === 'message.received')).toHaveLength(1);
  });
});

describe('an interrupt', () => {
  it('tells the running tool calls to stop, answers them as stopped, and waits for the next message', async () => {
    const { client } = runtime;
    await client.submit('worker', { input: 'Do the slow thing', sessionId: 'stop-tools' });
    await eventsUntil(client, 'stop-tools', last('permission.granted'));
    // Running, not only dispatched: an executor hears an interrupt of the calls it runs.
    await expect.poll(() => started.length).toBe(1);
    await client.interrupt('stop-tools', { by: 'test:ann', reason: 'not that' });
    const stopped = await eventsUntil(client, 'stop-tools', last('session.interrupted'));
    expect(stopped.at(-1)).toMatchObject({ data: { by: 'test:ann', reason: 'not that', cancelledCalls: ['call_1'] } });
    await expect.poll(() => toldToStop).toEqual(['call_1']);
    await expect.poll(async () => (await client.sessions()).find((entry) => entry.sessionId === 'stop-tools')?.status).toBe('idle');

    await client.send('stop-tools', 'Do the other thing.');
    const events = await eventsUntil(client, 'stop-tools', turns(1));
    // The stopped call's own failure, sent by the executor after the interrupt, is not recorded.
    expect(events.filter((event) => event.type === 'tool.failed' || event.type === 'tool.completed')).toEqual([]);
    expect(events.at(-1)).toMatchObject({ data: { output: 'Working on the other thing.' } });
    expect(await client.check('stop-tools')).toMatchObject({ ok: true });
  });

  it('abandons a model call in flight (the provider request aborted) and is recorded once', async () => {
    const { client } = runtime;
    anthropic.reply(delayed(60_000, anthropicText('too late')), anthropicText('Here you are.'));
    await client.submit('claude', { input: 'Write a long essay', sessionId: 'stop-model' });
    await eventsUntil(client, 'stop-model', last('model.requested'));
    await expect.poll(() => anthropic.requests.length).toBe(1);
    const started = Date.now();
    await client.interrupt('stop-model', { by: 'test:ann' });
    const events = await eventsUntil(client, 'stop-model', last('session.interrupted'));
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(events.at(-1)).toMatchObject({ data: { callId: 'm1', cancelledCalls: [] } });
    await sleep(300);
    expect((await client.events('stop-model')).filter((event) => event.type === 'session.interrupted')).toHaveLength(1);

    await client.send('stop-model', 'A short one, then.');
    const answered = await eventsUntil(client, 'stop-model', turns(1));
    expect(answered.at(-1)).toMatchObject({ data: { output: 'Here you are.' } });
    expect(anthropic.requests).toHaveLength(2);
  });

  it('that comes with a message stops the step and takes the message as the next turn', async () => {
    const { client } = runtime;
    await client.submit('worker', { input: 'Do the slow thing', sessionId: 'stop-send' });
    await eventsUntil(client, 'stop-send', last('permission.granted'));
    await expect.poll(() => started.length).toBe(2);
    await client.send('stop-send', 'Stop, do the other thing.', { interrupt: true });
    const events = await eventsUntil(client, 'stop-send', turns(1));
    const types = events.map((event) => event.type);
    expect(types.slice(types.indexOf('message.received'))).toEqual(['message.received', 'session.interrupted', 'model.requested', 'model.responded', 'turn.completed']);
    expect(await client.check('stop-send')).toMatchObject({ ok: true });
  });

  it("whose inbox copy comes after the stopped call's failure is still the one recorded: the failure waits for it", async () => {
    const { client, nc } = runtime;
    const [startedBefore, stoppedBefore] = [started.length, toldToStop.length];
    await client.submit('worker', { input: 'Do the slow thing', sessionId: 'stop-late' });
    await eventsUntil(client, 'stop-late', last('permission.granted'));
    await expect.poll(() => started.length).toBe(startedBefore + 1);
    const interrupt = { type: 'interrupt' as const, sessionId: 'stop-late', by: 'test:ann', reason: 'late copy', interruptId: 'late-copy-1' };
    // The core message alone: the executor stops the call and sends its failure before the inbox has the interrupt.
    nc.publish(names.subjects.interrupt('stop-late'), encode(interrupt));
    await expect.poll(() => toldToStop.length).toBe(stoppedBefore + 1);
    await sleep(300);
    await jetstream(nc).publish(names.subjects.messages('stop-late'), encode(interrupt));
    const events = await eventsUntil(client, 'stop-late', last('session.interrupted'));
    expect(events.at(-1)).toMatchObject({ data: { interruptId: 'late-copy-1', cancelledCalls: ['call_1'] } });
    await sleep(300);
    expect((await client.events('stop-late')).filter((event) => event.type === 'tool.failed')).toEqual([]);
  });
});

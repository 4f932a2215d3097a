import { createInbox, headers } from '@nats-io/nats-core';
import { jetstream } from '@nats-io/jetstream';
import { errorHeader, replyToHeader } from '@signalbox/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptedAgent, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime({ agents: [scriptedAgent()] });
});
afterAll(() => runtime.dispose());

/** Publishes raw bytes as a task, asking for the outcome as a reply, and returns that reply. */
async function publishTask(subject: string, data: Uint8Array | string, contentType = 'application/json'): Promise<unknown> {
  const inbox = createInbox();
  const replies = runtime.nc.subscribe(inbox, { max: 1, timeout: 10_000 });
  const hdrs = headers();
  hdrs.set(replyToHeader, inbox);
  hdrs.set('Content-Type', contentType);
  await jetstream(runtime.nc).publish(subject, data, { headers: hdrs });
  for await (const reply of replies) return reply.json();
  throw new Error('no reply');
}

/** Every dead-lettered task so far, with the reason it was rejected. */
async function deadLetteredTasks(): Promise<{ subject: string; reason: string; data: string }[]> {
  const consumer = await jetstream(runtime.nc).consumers.get('SBX_DLQ', { filter_subjects: 'sbx.dlq.tasks' });
  const letters: { subject: string; reason: string; data: string }[] = [];
  const pending = (await consumer.info()).num_pending;
  if (pending === 0) return letters;
  const messages = await consumer.fetch({ max_messages: pending, expires: 2_000 });
  for await (const message of messages) {
    letters.push({
      subject: message.headers?.get('Sbx-Source-Subject') ?? '',
      reason: message.headers?.get(errorHeader) ?? '',
      data: message.string(),
    });
  }
  return letters;
}

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('task ingress', () => {
  it.each([
    ['malformed JSON', 'sbx.tasks.scribe', '{"input": "unterminated', /malformed JSON task/],
    ['a schema violation', 'sbx.tasks.scribe', JSON.stringify({ input: 42 }), /input: .*expected string/i],
    ['an unknown agent', 'sbx.tasks.nobody', JSON.stringify({ input: 'hello' }), /unknown agent "nobody"/],
    ['an oversized payload', 'sbx.tasks.scribe', JSON.stringify({ input: 'x'.repeat(300 * 1024) }), /the limit is 262144/],
  ])('rejects %s: the reason comes back as a reply and the task is kept in the dead-letter stream', async (_case, subject, data, reason) => {
    const reply = await publishTask(subject, data);
    expect(reply).toMatchObject({ status: 'rejected', error: expect.stringMatching(reason) });

    // The reply is sent once the dead letter is kept.
    const letter = await eventually(async () => (await deadLetteredTasks()).find((entry) => entry.data === data));
    expect(letter).toMatchObject({ subject, reason: expect.stringMatching(reason) });
  });

  it('starts nothing new for a duplicate session id', async () => {
    const task = JSON.stringify({ input: 'once only', sessionId: 'dup-1' });
    expect(await publishTask('sbx.tasks.scribe', task)).toEqual({ status: 'accepted', sessionId: 'dup-1' });
    const first = await runtime.completedSession('dup-1');

    expect(await publishTask('sbx.tasks.scribe', task)).toEqual({ status: 'duplicate', sessionId: 'dup-1' });
    const after = await runtime.client.events('dup-1');
    expect(after).toEqual(first);
    expect(after.filter((event) => event.type === 'session.created')).toHaveLength(1);
  });

  it('gives a task without a session id a fresh session', async () => {
    const reply = (await publishTask('sbx.tasks.scribe', JSON.stringify({ input: 'no id' }))) as { status: string; sessionId: string };
    expect(reply.status).toBe('accepted');
    expect(reply.sessionId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    const events = await runtime.completedSession(reply.sessionId);
    expect(events.at(-1)).toMatchObject({ type: 'session.completed', data: { status: 'succeeded' } });
  });
});

import { Encoder } from '@msgpack/msgpack';
import { createInbox, headers } from '@nats-io/nats-core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { deadLetterObjectHeader, deliveriesHeader, errorHeader, naming, replyToHeader } from '@signalbox/events';
import { DeadLetterBodies } from '@signalbox/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptedAgent, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * Tasks that can never succeed end at once: one reply, one dead letter, the task acked, nothing
 * retried, nothing else written. Each test uses its own agent subject so the dead letters it finds are its own.
 */
let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime({ agents: [scriptedAgent()] });
});
afterAll(() => runtime.dispose());

const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

interface Published {
  replies: unknown[];
}

/** Publishes raw bytes as a task with a reply subject, waits for the task to be settled, and returns every reply heard. */
async function publishTask(subject: string, data: Uint8Array | string, contentType = 'application/json'): Promise<Published> {
  const inbox = createInbox();
  const replies: unknown[] = [];
  const sub = runtime.nc.subscribe(inbox, { callback: (_error, reply) => void replies.push(reply.json()) });
  const hdrs = headers();
  hdrs.set(replyToHeader, inbox);
  hdrs.set('Content-Type', contentType);
  await jetstream(runtime.nc).publish(subject, data, { headers: hdrs });
  await settled();
  // Long enough for a retry's redelivery (the first backoff is 500 ms) to have replied again.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  sub.unsubscribe();
  return { replies };
}

/** Waits until the tasks stream (a work queue) holds nothing: the task was acked, not left to retry. */
async function settled(timeoutMs = 10_000): Promise<void> {
  const jsm = await jetstreamManager(runtime.nc);
  const deadline = Date.now() + timeoutMs;
  while ((await jsm.streams.info('SBX_TASKS')).state.messages > 0) {
    if (Date.now() > deadline) throw new Error('the task was never acked');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function deadLettersFrom(subject: string) {
  const consumer = await jetstream(runtime.nc).consumers.get('SBX_DLQ', { filter_subjects: 'sbx.dlq.tasks' });
  const pending = (await consumer.info()).num_pending;
  const letters: { reason: string; deliveries: string; object: string; data: Buffer }[] = [];
  if (pending === 0) return letters;
  for await (const message of await consumer.fetch({ max_messages: pending, expires: 2_000 })) {
    if (message.headers?.get('Sbx-Source-Subject') !== subject) continue;
    letters.push({
      reason: message.headers.get(errorHeader),
      deliveries: message.headers.get(deliveriesHeader),
      object: message.headers.get(deadLetterObjectHeader),
      data: Buffer.from(message.data),
    });
  }
  return letters;
}

async function eventCount(): Promise<number> {
  return (await (await jetstreamManager(runtime.nc)).streams.info('SBX_EVENTS')).state.messages;
}

describe('poison tasks', () => {
  it('dead-letters a task of about 1 MiB once, keeping its body in the object store', async () => {
    const before = await eventCount();
    const subject = 'sbx.tasks.scribe-huge';
    // With its headers it fills the server's 1 MiB payload: its copy, with the dead letter's headers added, would not fit.
    const task = JSON.stringify({ input: 'x'.repeat(1024 * 1024 - 200) });

    const { replies } = await publishTask(subject, task);

    expect(replies).toEqual([{ status: 'rejected', error: expect.stringMatching(/the limit is 262144/) }]);
    const letters = await deadLettersFrom(subject);
    expect(letters).toEqual([{ reason: expect.stringMatching(/the limit is 262144/), deliveries: '1', object: expect.any(String), data: Buffer.alloc(0) }]);
    const body = await new DeadLetterBodies(runtime.nc, naming('sbx')).get(letters[0]!.object);
    expect(new TextDecoder().decode(body)).toBe(task);
    expect(await eventCount()).toBe(before);

    const [listed] = (await runtime.client.deadLetters(50)).filter((letter) => letter.from === subject);
    expect(listed).toMatchObject({ object: letters[0]!.object, reason: expect.stringMatching(/the limit is 262144/) });

    // Re-driven, the whole body goes back where it came from (and is refused again, kept again), and the kept copy goes.
    expect(await runtime.client.redrive(listed!.seq)).toBe(subject);
    await settled();
    expect(await new DeadLetterBodies(runtime.nc, naming('sbx')).get(letters[0]!.object)).toBeUndefined();
    const [again] = await deadLettersFrom(subject);
    expect(again?.object).not.toBe(letters[0]!.object);
    expect(new TextDecoder().decode(await new DeadLetterBodies(runtime.nc, naming('sbx')).get(again!.object))).toBe(task);
  });

  it.each([
    ['a JSON rubric nested 150 deep', JSON.stringify({ input: 'hi', rubric: JSON.parse(nested(150)) as unknown }), 'application/json'],
    ['a JSON rubric nested 5,000 deep', `{"input":"hi","rubric":${nested(5_000)}}`, 'application/json'],
    ['a msgpack rubric nested 150 deep', new Encoder({ maxDepth: 1_000 }).encode({ input: 'hi', rubric: JSON.parse(nested(150)) as unknown }), 'application/msgpack'],
  ])('rejects %s at once: one reply, one dead letter after one delivery, no session', async (_case, task, contentType) => {
    const before = await eventCount();
    const subject = `sbx.tasks.scribe-${contentType.split('/')[1]}-${typeof task === 'string' ? task.length : task.length}`;

    const { replies } = await publishTask(subject, task, contentType);

    expect(replies).toEqual([{ status: 'rejected', error: expect.stringMatching(/nested more than 64 deep/) }]);
    const letters = await deadLettersFrom(subject);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ reason: expect.stringMatching(/nested more than 64 deep/), deliveries: '1', object: '' });
    expect(letters[0]!.data).toEqual(Buffer.from(task));
    expect(await eventCount()).toBe(before);
  });
});

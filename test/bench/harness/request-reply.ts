import type { Msg, NatsConnection } from '@nats-io/nats-core';
import { connectNats } from '@signalbox/runtime';
import type { Sampler } from './jetstream.ts';
import type { Teardown } from './lifecycle.ts';

/** A plain NATS responder: answers every request on `subject` at once with the same `replyBytes` bytes. */
export function startFixedResponder(nc: NatsConnection, subject: string, replyBytes: number): { stop(): Promise<void> } {
  const reply = new Uint8Array(replyBytes).fill(0x72);
  const subscription = nc.subscribe(subject, { callback: (_error, message) => void message.respond(reply) });
  return { stop: () => subscription.drain() };
}

export interface RequestSampler extends Sampler {
  /** Bytes of the last reply: to print beside the latency. */
  readonly lastReplyBytes: () => number;
}

/**
 * Sequential `nc.request()` calls, the way the session actor asks the permission broker: each body
 * from `bodyOf(index)`. Only the round trip is timed; `checkReply` runs after it (a reply that is not
 * what the benchmark expects throws, so a refused check is not measured as a fast one).
 */
export function requestSampler(
  nc: NatsConnection,
  subject: string,
  bodyOf: (index: number) => Uint8Array,
  checkReply: (reply: Msg) => void = () => {},
): RequestSampler {
  const latenciesMs: number[] = [];
  let sent = 0;
  let lastReplyBytes = 0;
  return {
    latenciesMs,
    lastReplyBytes: () => lastReplyBytes,
    sample: async (count, { warmup = false } = {}) => {
      for (let index = 0; index < count; index++) {
        const body = bodyOf(sent++);
        const started = performance.now();
        const reply = await nc.request(subject, body, { timeout: 5_000 });
        const finished = performance.now();
        checkReply(reply);
        lastReplyBytes = reply.data.length;
        if (!warmup) latenciesMs.push(finished - started);
      }
    },
  };
}

/**
 * The raw request/reply baseline: a fixed responder and a requester, each on a connection of its own
 * made as the runtime's processes make theirs (`connectNats`), as the session actor asks the broker.
 * Returns the sampler and the requester's connection, for other requests to go the same way.
 */
export async function rawRequestReply(
  teardown: Teardown,
  url: string,
  sizes: { requestBytes: number; replyBytes: number },
): Promise<{ raw: RequestSampler; requester: NatsConnection }> {
  const responderNc = await connectNats(url, 'bench-responder');
  teardown.add('responder connection', () => responderNc.close());
  const responder = startFixedResponder(responderNc, 'bench.echo', sizes.replyBytes);
  teardown.add('responder', () => responder.stop());
  await responderNc.flush();
  const requester = await connectNats(url, 'bench-requester');
  teardown.add('requester connection', () => requester.close());
  const body = new Uint8Array(sizes.requestBytes).fill(0x71);
  return { raw: requestSampler(requester, 'bench.echo', () => body), requester };
}

import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  AckPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type ConsumerConfig,
  type ConsumerMessages,
  type JsMsg,
} from '@nats-io/jetstream';
import type { Naming } from '@signalbox/events';
import { provisionTimeoutMs } from '@signalbox/store';
import { deadLetter, deadLetterInputOf, isPermanent } from './dead-letter.ts';
import { holdConsumer } from './consumers-in-use.ts';
import type { Logger } from './logger.ts';
import type { RuntimeMetrics } from './metrics.ts';

export interface DurableWorkerOptions {
  nc: NatsConnection;
  names: Naming;
  logger: Logger;
  stream: string;
  /** Shared by every replica: adding processes adds throughput. */
  durable: string;
  filterSubject: string;
  /** Dead letters go to `sbx.dlq.<deadLetterSource>`. */
  deadLetterSource: string;
  /** Messages handled at once by this process. */
  concurrency?: number;
  ackWaitMs?: number;
  /** Deliveries before a failing message is dead-lettered instead of retried. */
  maxDeliver?: number;
  /** How long a failed message waits before its next delivery, by deliveries so far. */
  retryBackoffMs?: (deliveries: number) => number;
  /** Resolve to ack. Throw a permanent error (Rejection, DecodeError: see isPermanent) to dead-letter at once; anything else to retry later. */
  handle(message: JsMsg): Promise<void>;
  /** Called after a message is dead-lettered, to tell whoever waits on it (fail the session, say); `seq` is the dead letter's, for `redrive`. */
  onDeadLetter?(message: JsMsg, reason: string, seq: number): Promise<void>;
  /** For a durable only this process uses: the server deletes it once it has not been pulled from for this long. */
  deleteWhenIdleMs?: number;
  /** Where the durable's backlog is reported (`signalbox_consumer_pending`), unless it is one only this process uses. */
  metrics?: RuntimeMetrics;
}

export interface RunningWorker {
  /** Stops pulling, handles what the server had already sent, lets in-flight messages finish, then returns. */
  stop(): Promise<void>;
}

const msToNs = 1_000_000;
/**
 * How long a pull request waits at the server. nats.js only notices a pull that died with a cluster
 * node (or a consumer that changed leader) when the pull's heartbeats stop, at about this interval,
 * so a short one means a worker pulls afresh within seconds of a failover (nats.js's 30 s default
 * stalled workers that long; measured on 2.9.10). Idle, it costs one request a pull.
 */
const maxPullMs = 5_000;
const defaultRetryBackoffMs = (deliveries: number) => Math.min(250 * 2 ** deliveries, 10_000);

export async function startDurableWorker(options: DurableWorkerOptions): Promise<RunningWorker> {
  const ackWaitMs = options.ackWaitMs ?? 30_000;
  const concurrency = options.concurrency ?? 16;
  const config = {
    durable_name: options.durable,
    filter_subject: options.filterSubject,
    ack_policy: AckPolicy.Explicit,
    ack_wait: ackWaitMs * msToNs,
    // The worker counts deliveries itself and dead-letters; the server must never silently give up.
    max_deliver: -1,
    max_ack_pending: Math.max(1000, concurrency * 4),
    ...(options.deleteWhenIdleMs === undefined ? {} : { inactive_threshold: options.deleteWhenIdleMs * msToNs }),
  };
  // A durable deleted when idle must look idle soon after this process stops: its pull requests expire sooner.
  const expires = Math.max(1_000, Math.min(maxPullMs, options.deleteWhenIdleMs ?? maxPullMs));
  const open = async () => {
    await ensureConsumer(options.nc, options.stream, config);
    const opened = await (await jetstream(options.nc).consumers.get(options.stream, options.durable)).consume({ max_messages: concurrency, expires });
    void endWhenDurableGone(opened);
    return opened;
  };
  let messages = await open();
  const release = holdConsumer(options.nc, { stream: options.stream, durable: options.durable });
  let stopping = false;
  const inFlight = new Set<Promise<void>>();

  const loop = (async () => {
    for (;;) {
      for await (const message of messages) {
        const task = handleOne(options, message, ackWaitMs).finally(() => inFlight.delete(task));
        inFlight.add(task);
        if (inFlight.size >= concurrency) await Promise.race(inFlight);
      }
      // The messages ended without stop(): their durable is gone (see endWhenDurableGone). Make it again.
      while (!stopping) {
        try {
          messages = await open();
          break;
        } catch (error) {
          options.logger.warn({ err: error, durable: options.durable }, 'could not create the vanished durable again; will retry');
          await sleep(1_000);
        }
      }
      if (stopping) return;
      options.logger.warn({ durable: options.durable }, 'the durable had vanished; created it again');
    }
  })();

  return {
    stop: async () => {
      stopping = true;
      await drain(messages);
      await loop;
      // A durable made again while stopping: close that one too.
      await drain(messages);
      await Promise.all(inFlight);
      release();
    },
  };
}

/** nats.js's pull consumer with the graceful close this project patches in (patches/@nats-io__jetstream@3.4.0.patch). */
interface DrainableMessages extends ConsumerMessages {
  /** Sends no more pulls, lets what the server already sent arrive, then ends the messages. */
  drain(): Promise<void>;
}

/**
 * Stops pulling without stranding what is on the wire: `close()` alone unsubscribes at once, and the
 * client drops messages the server sent before it saw that, which then wait out the ack wait (a
 * backlogged worker stranded its whole batch on most stops). What arrives while draining is handled
 * like the rest: the server sent it to this worker, and handing it back would only delay it.
 */
export async function drain(messages: ConsumerMessages): Promise<void> {
  await (messages as DrainableMessages).drain();
}

/**
 * Ends `messages` once their durable is gone, so the worker's loop makes it again and pulls afresh:
 * the client would otherwise keep waiting on it. A durable vanishes under a live worker when it was
 * made to be deleted when idle and its pulls stalled that long (a cluster electing leaders), or by hand.
 */
export async function endWhenDurableGone(messages: ConsumerMessages): Promise<void> {
  for await (const status of messages.status()) {
    if (status.type === 'consumer_deleted' || status.type === 'consumer_not_found') await messages.close();
  }
}

async function handleOne(options: DurableWorkerOptions, message: JsMsg, ackWaitMs: number): Promise<void> {
  // Each delivery says how many messages the consumer still holds for delivery: its backlog, for free.
  if (options.deleteWhenIdleMs === undefined) options.metrics?.consumerPending.set({ stream: options.stream, durable: options.durable }, message.info.pending);
  try {
    await settle(options, message, ackWaitMs);
  } catch (error) {
    // Dead-lettering itself failed (NATS away): leave the message to be redelivered.
    options.logger.error({ err: error, subject: message.subject }, 'could not settle message; will retry');
    message.nak(1_000);
  }
}

async function settle(options: DurableWorkerOptions, message: JsMsg, ackWaitMs: number): Promise<void> {
  const maxDeliver = options.maxDeliver ?? 5;
  const deliveries = message.info.deliveryCount;
  if (deliveries > maxDeliver) {
    // A message that keeps killing its worker never reaches the catch below.
    return bury(options, message, `not processed after ${maxDeliver} deliveries`);
  }
  // Long work (a model call) keeps the message alive instead of letting it be redelivered.
  const keepAlive = setInterval(() => message.working(), ackWaitMs / 3);
  try {
    await options.handle(message);
    message.ack();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    // Failing the same way every time (a Rejection, a DecodeError): retrying only repeats it.
    if (isPermanent(error)) return bury(options, message, reason);
    if (deliveries >= maxDeliver) return bury(options, message, `failed ${deliveries} times; last error: ${reason}`);
    options.logger.warn({ err: error, subject: message.subject, deliveries }, 'handling failed; will retry');
    message.nak((options.retryBackoffMs ?? defaultRetryBackoffMs)(deliveries));
  } finally {
    clearInterval(keepAlive);
  }
}

async function bury(options: DurableWorkerOptions, message: JsMsg, reason: string): Promise<void> {
  const seq = await deadLetter(options.nc, options.names, options.deadLetterSource, deadLetterInputOf(message), reason);
  options.logger.warn({ subject: message.subject, reason, seq }, 'dead-lettered');
  try {
    await options.onDeadLetter?.(message, reason, seq);
  } catch (error) {
    // Telling the waiter fails the same way on every delivery: the dead letter is kept, so end it here.
    if (!isPermanent(error)) throw error;
    options.logger.warn({ err: error, subject: message.subject }, 'dead-lettered, but could not tell whoever waits on it');
  }
  // Acked, not termed: the dead-letter stream now holds it, and a work queue drops what is acked.
  message.ack();
}

/** Creates a durable consumer, or brings it to this config; waits as long as provisioning does (an R3 consumer elects a leader). */
export async function ensureConsumer(nc: NatsConnection, stream: string, config: Partial<ConsumerConfig> & { durable_name: string }) {
  const jsm = await jetstreamManager(nc, { timeout: provisionTimeoutMs });
  try {
    await jsm.consumers.info(stream, config.durable_name);
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound)) throw error;
    await jsm.consumers.add(stream, config);
    return;
  }
  await jsm.consumers.update(stream, config.durable_name, config);
}

/** Deletes a durable consumer; false when there was none. */
export async function removeDurable(nc: NatsConnection, stream: string, durable: string): Promise<boolean> {
  try {
    return await (await jetstreamManager(nc)).consumers.delete(stream, durable);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound) return false;
    throw error;
  }
}

import { setTimeout as sleep } from 'node:timers/promises';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { assertNever, decodeEventMessage, encodeEvent, typeHeader, type SessionEvent } from '@signalbox/events';
import { missingAssets, provisionEventPartitions, SubscriberMembers } from '@signalbox/store';
import { deadLetter, deadLetterInputOf, positionOf, Rejection, type DeadLetterInput } from './dead-letter.ts';
import { holdConsumer } from './consumers-in-use.ts';
import { drain, endWhenDurableGone, ensureConsumer } from './durable-worker.ts';
import { partitionsOf } from './partition-owners.ts';
import type { ServiceContext } from './service.ts';
import { SessionPositions } from './session-order.ts';

/** How an event reached the handler. */
export interface Delivery {
  /**
   * `stream`: the subscriber's own next event. `log`: read from the session's log because this replica
   * had not seen the events before it (it took the partition over, or restarted); the replica that
   * had the partition before may or may not have handled it, so act on it idempotently.
   */
  source: 'stream' | 'log';
  /** How often this event has been offered to this handler, counting retries here and deliveries elsewhere. */
  attempt: number;
}

export interface EventSubscriberOptions {
  /** Replicas with the same group share the partitions and one position per partition; usually the service's name. */
  group: string;
  /** Resolve to move on. Throw Rejection to dead-letter the event at once; throw anything else to retry it. */
  handle(event: SessionEvent, delivery: Delivery): Promise<void>;
  /** Attempts at one event before it is dead-lettered and the session moves on. */
  maxDeliver?: number;
  retryBackoffMs?: (attempt: number) => number;
  /** Sessions of one partition handled at once (each session's events one at a time, in order). */
  concurrency?: number;
  /** How long a stopped replica's partitions stay pinned to it (the pinned priority group's timeout). */
  takeoverMs?: number;
  /** How often a replica renews its membership and looks at the others'. */
  heartbeatMs?: number;
  /** How long a delivered, unacknowledged event waits before it is delivered again (a replica killed while handling it). */
  ackWaitMs?: number;
  /** Sessions whose position a replica keeps; a forgotten one is caught up from the log when seen again. */
  sessionCapacity?: number;
  /** Told the partitions this replica consumes whenever they change (and `[]` once stopped): to serve requests about their sessions. */
  onPartitions?: (partitions: readonly number[]) => void;
}

export interface RunningSubscriber {
  /** The partitions this replica consumes now. */
  partitions(): readonly number[];
  /** Stops consuming, lets in-flight events finish, hands its partitions to the other replicas at once. */
  stop(): Promise<void>;
}

type SubscriberContext = Pick<ServiceContext, 'nc' | 'names' | 'config' | 'logger' | 'store'>;

const msToNs = 1_000_000;
/** The pinned priority group every partition consumer has; its name is the server's, at most 16 characters. */
const ownerGroup = 'owner';
const groupPattern = /^[A-Za-z0-9_-]+$/;
const defaultRetryBackoffMs = (attempt: number) => Math.min(100 * 2 ** attempt, 5_000);

/**
 * Follows every session's log, durably, for a group of replicas: see the root README's "Following the log from a service".
 * Each of the partitions stream's partitions has a durable consumer per group with a pinned priority
 * group, so at most one replica consumes a partition at a time; which replica that is comes from
 * rendezvous hashing over the replicas alive in the subscribers bucket, so adding one moves only its
 * share. Membership alone could hand a partition to two replicas for a moment (they see the members at
 * different times); the pin cannot, and it moves a dead replica's partitions once the pin times out.
 */
/**
 * The first subscriber to start makes the partitions stream; later ones leave it as it is, so a
 * service's NATS user needs no right to change streams (`signalbox init` brings it to a new count).
 */
async function provisionPartitionsIfMissing({ nc, names, config }: SubscriberContext): Promise<void> {
  const stream = names.streams.eventPartitions;
  if ((await missingAssets(nc, [{ kind: 'stream', name: stream, stream }])).length === 0) return;
  await provisionEventPartitions(nc, names, { replicas: config.replicas, eventPartitions: config.eventPartitions });
}

export async function startEventSubscriber(context: SubscriberContext, options: EventSubscriberOptions): Promise<RunningSubscriber> {
  if (!groupPattern.test(options.group)) throw new Error(`invalid subscriber group "${options.group}": use letters, digits, "-" or "_"`);
  const { config, logger } = context;
  await provisionPartitionsIfMissing(context);
  const members = await SubscriberMembers.open(context.nc, context.names);
  const self = SubscriberMembers.memberName(config.instance);
  const positions = new SessionPositions(options.sessionCapacity);
  const heartbeatMs = options.heartbeatMs ?? 1_000;
  const running = new Map<number, RunningPartition>();
  let stopping = false;
  let told = '';
  const partitions = () => [...running.keys()].sort((a, b) => a - b);
  const tell = () => {
    const now = partitions();
    if (now.join() === told) return;
    told = now.join();
    options.onPartitions?.(now);
  };

  const rebalance = async () => {
    await members.renew(options.group, config.instance);
    const wanted = new Set(partitionsOf(self, await members.members(options.group), config.eventPartitions));
    // A partition whose durable vanished (deleted by hand, its stream made again) has stopped: start it afresh.
    for (const [partition, consumer] of running) if (consumer.ended()) running.delete(partition);
    const released = [...running].filter(([partition]) => !wanted.has(partition));
    for (const [partition] of released) running.delete(partition);
    await Promise.all(released.map(([, consumer]) => consumer.release()));
    const added = [...wanted].filter((partition) => !stopping && !running.has(partition));
    const started = await Promise.allSettled(added.map((partition) => consumePartition(context, options, positions, partition)));
    // Keep every partition that started, so none consumes unrecorded; the others are tried at the next heartbeat.
    started.forEach((outcome, index) => {
      if (outcome.status === 'fulfilled') running.set(added[index]!, outcome.value);
      else logger.warn({ err: outcome.reason, group: options.group, partition: added[index] }, 'could not start consuming a partition; will retry');
    });
    tell();
  };
  await rebalance();
  const loop = (async () => {
    while (!stopping) {
      await sleep(heartbeatMs);
      if (stopping) return;
      await rebalance().catch((error: unknown) => logger.warn({ err: error, group: options.group }, 'could not renew membership or rebalance; will retry'));
    }
  })();

  return {
    partitions,
    stop: async () => {
      stopping = true;
      await loop;
      await members.leave(options.group, config.instance).catch((error: unknown) => logger.warn({ err: error }, 'could not leave the members'));
      await Promise.all([...running.values()].map((consumer) => consumer.release()));
      running.clear();
      tell();
    },
  };
}

/** The durable consumer of one partition for a group: `<group>-p<partition>`. */
export function partitionDurable(group: string, partition: number): string {
  return `${group}-p${partition}`;
}

interface RunningPartition {
  /** Whether its messages ended without release(): the durable is gone. */
  ended(): boolean;
  /** Stops consuming, waits for in-flight events, then unpins so the partition's next owner starts at once. */
  release(): Promise<void>;
}

async function consumePartition(
  context: SubscriberContext,
  options: EventSubscriberOptions,
  positions: SessionPositions,
  partition: number,
): Promise<RunningPartition> {
  const { nc, names, config } = context;
  const stream = names.streams.eventPartitions;
  const durable = partitionDurable(options.group, partition);
  const takeoverMs = options.takeoverMs ?? 5_000;
  const ackWaitMs = options.ackWaitMs ?? config.ackWaitMs;
  const concurrency = options.concurrency ?? 64;
  await ensureConsumer(nc, stream, {
    durable_name: durable,
    filter_subject: names.subjects.partitionedEvents(partition),
    deliver_policy: DeliverPolicy.All,
    ack_policy: AckPolicy.Explicit,
    ack_wait: ackWaitMs * msToNs,
    // The subscriber counts attempts itself and dead-letters; the server must never silently give up.
    max_deliver: -1,
    max_ack_pending: Math.max(1_000, concurrency * 16),
    priority_groups: [ownerGroup],
    priority_policy: 'pinned_client',
    priority_timeout: takeoverMs * msToNs,
  });
  const consumer = await jetstream(nc).consumers.get(stream, durable);
  const forget = holdConsumer(nc, { stream, durable });
  // A pull renews the pin: each must end well within the pin's timeout.
  const messages = await consumer.consume({ group: ownerGroup, max_messages: concurrency * 16, expires: Math.max(1_000, Math.min(5_000, takeoverMs / 2)) });
  void endWhenDurableGone(messages);
  let ended = false;
  const sessions = new SessionQueues(concurrency);
  const acks = new AckBatch();
  // Long handling (a slow handler, a long catch-up) keeps the partition's messages from being redelivered meanwhile.
  const inFlight = new Set<JsMsg>();
  const keepAlive = setInterval(() => inFlight.forEach((message) => message.working()), ackWaitMs / 3);
  const loop = (async () => {
    for await (const message of messages) {
      inFlight.add(message);
      const work = () => settle(context, options, positions, message, acks).finally(() => inFlight.delete(message));
      const sessionId = sessionOf(context, message);
      if (!sessions.tryEnqueue(sessionId, work)) await sessions.enqueue(sessionId, work);
    }
  })()
    .catch((error: unknown) => context.logger.error({ err: error, durable }, 'stopped consuming a partition'))
    .finally(() => {
      ended = true;
      // Its durable is gone, or it was released: a partition started afresh holds its own.
      forget();
      void sessions.idle().then(() => {
        clearInterval(keepAlive);
        acks.flush();
      });
    });
  return {
    ended: () => ended,
    release: async () => {
      await drain(messages);
      await loop;
      await sessions.idle();
      clearInterval(keepAlive);
      acks.flush();
      await (await jetstreamManager(nc)).consumers.unpin(stream, durable, ownerGroup).catch(() => undefined);
      forget();
    },
  };
}

function sessionOf({ names }: SubscriberContext, message: JsMsg): string {
  return names.subjects.sessionOfPartitioned(message.subject) ?? message.subject;
}

/**
 * Acks sent together once the handlers that ran in this turn of the event loop are done: nats.js
 * writes to the socket at the end of each burst of microtasks, and the per-session promise chains
 * break the acks into many small bursts, so many small writes. Each ack still follows its handler.
 */
class AckBatch {
  #pending: JsMsg[] = [];

  add(message: JsMsg): void {
    if (this.#pending.push(message) === 1) setImmediate(() => this.flush());
  }

  flush(): void {
    const pending = this.#pending;
    this.#pending = [];
    for (const message of pending) message.ack();
  }
}

/** One chain of work per session, so a session's events are handled one at a time, in order, and sessions side by side. */
class SessionQueues {
  readonly #tails = new Map<string, Promise<void>>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Queues `work` after the session's earlier work; waits first while `limit` other sessions are busy. */
  async enqueue(sessionId: string, work: () => Promise<void>): Promise<void> {
    while (this.#tails.size >= this.#limit && !this.#tails.has(sessionId)) await Promise.race(this.#tails.values());
    this.#chain(sessionId, work);
  }

  /** As enqueue when there is room, without waiting a turn: the common case, per message. */
  tryEnqueue(sessionId: string, work: () => Promise<void>): boolean {
    if (this.#tails.size >= this.#limit && !this.#tails.has(sessionId)) return false;
    this.#chain(sessionId, work);
    return true;
  }

  #chain(sessionId: string, work: () => Promise<void>): void {
    const tail = (this.#tails.get(sessionId) ?? Promise.resolve()).then(work);
    this.#tails.set(sessionId, tail);
    void tail.finally(() => {
      if (this.#tails.get(sessionId) === tail) this.#tails.delete(sessionId);
    });
  }

  async idle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all(this.#tails.values());
  }
}

/** Hands the message's event on in its session's order, catching the session up first if needed; never throws. */
async function settle(context: SubscriberContext, options: EventSubscriberOptions, positions: SessionPositions, message: JsMsg, acks: AckBatch): Promise<void> {
  try {
    let events: SessionEvent[];
    try {
      events = eventsOf(context, message);
    } catch (error) {
      // An undecodable message must not stall its partition: keep it aside and move on.
      await bury(context, options, { ...deadLetterInputOf(message), id: `${options.group}/${positionOf(message)}` }, reasonOf(error));
      return acks.add(message);
    }
    const delivery: Delivery = { source: 'stream', attempt: message.info.deliveryCount };
    for (const event of events) await arrive(context, options, positions, event, delivery);
    acks.add(message);
  } catch (error) {
    // Reading the log or dead-lettering failed (NATS away): the event comes again after the ack wait.
    context.logger.error({ err: error, subject: message.subject }, 'could not settle event; will retry');
    message.nak(1_000);
  }
}

/** A message of the log: one event, or one decision's events (the append contract); all of the session its subject names. */
function eventsOf({ names }: SubscriberContext, message: JsMsg): SessionEvent[] {
  const events = decodeEventMessage(message.data);
  const sessionId = names.subjects.sessionOfPartitioned(message.subject);
  const stray = events.find((event) => event.sessionId !== sessionId);
  if (stray) throw new Rejection(`event of session ${stray.sessionId} on the subject of another, ${message.subject}`);
  return events;
}

/** Hands one event from the stream on in its session's order: after what this replica missed of the session, and never twice. */
async function arrive(context: SubscriberContext, options: EventSubscriberOptions, positions: SessionPositions, event: SessionEvent, delivery: Delivery): Promise<void> {
  const arrival = positions.arrive(event.sessionId, event.n);
  switch (arrival.type) {
    case 'Duplicate':
      context.logger.debug({ sessionId: event.sessionId, n: event.n, lastN: arrival.lastN }, 'event already handed on; skipped');
      return;
    case 'CatchUp':
      for (const earlier of await context.store.read(event.sessionId, { fromN: arrival.fromN, toN: arrival.toN })) {
        await handOn(context, options, positions, earlier, { source: 'log', attempt: 1 });
      }
      return handOn(context, options, positions, event, delivery);
    case 'Deliver':
      return handOn(context, options, positions, event, delivery);
    default:
      assertNever(arrival);
  }
}

/** Runs the handler on one event, retrying with backoff; past `maxDeliver` attempts the event is dead-lettered and the session moves on. */
async function handOn(
  context: SubscriberContext,
  options: EventSubscriberOptions,
  positions: SessionPositions,
  event: SessionEvent,
  delivery: Delivery,
): Promise<void> {
  const maxDeliver = options.maxDeliver ?? 5;
  // Retries stay here, not as naks: a nak would let the session's later events overtake this one.
  for (let attempt = delivery.attempt; ; attempt++) {
    try {
      // An event that keeps killing its replica is dead-lettered by the next one, without running it.
      if (attempt > maxDeliver) throw new Rejection(`not handled after ${maxDeliver} attempts`);
      await options.handle(event, { ...delivery, attempt });
      break;
    } catch (error) {
      const reason = reasonOf(error);
      if (error instanceof Rejection || attempt >= maxDeliver) {
        await bury(context, options, eventLetter(context, options, event, attempt), reason);
        break;
      }
      context.logger.warn({ err: error, sessionId: event.sessionId, n: event.n, attempt }, 'handling an event failed; will retry');
      await sleep((options.retryBackoffMs ?? defaultRetryBackoffMs)(attempt));
    }
  }
  positions.handedOn(event.sessionId, event.n);
}

/**
 * The dead letter of an event the handler gave up on, one per event and group, as the event alone on
 * its log subject: the message in hand may carry other events, or be a later one (a catch-up).
 */
function eventLetter({ names }: SubscriberContext, options: EventSubscriberOptions, event: SessionEvent, attempt: number): DeadLetterInput {
  const id = `${options.group}/${event.sessionId}/${event.n}`;
  return { id, subject: names.subjects.events(event.sessionId), data: encodeEvent(event), headers: [[typeHeader, [event.type]]], deliveries: attempt };
}

async function bury(context: SubscriberContext, options: EventSubscriberOptions, letter: DeadLetterInput, reason: string): Promise<void> {
  await deadLetter(context.nc, context.names, `subscriber.${options.group}`, letter, reason);
  context.logger.warn({ subject: letter.subject, reason, group: options.group }, 'dead-lettered');
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

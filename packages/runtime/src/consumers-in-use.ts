import type { NatsConnection } from '@nats-io/nats-core';

/** A durable consumer a process pulls from. */
export interface ConsumerRef {
  readonly stream: string;
  readonly durable: string;
}

/**
 * The durables each connection's workers and subscribers pull from now, so a host's readiness can
 * check that they are all still there without each service listing its own. Kept by connection: every
 * service of a host shares the host's, and a test's hosts each have their own. Counted, because two
 * workers of one process may share a durable.
 */
const inUse = new WeakMap<NatsConnection, Map<string, { consumer: ConsumerRef; holders: number }>>();

/** Records that this process pulls from `consumer` on `nc`; the returned function forgets it (at stop), once. */
export function holdConsumer(nc: NatsConnection, consumer: ConsumerRef): () => void {
  let held = inUse.get(nc);
  if (!held) inUse.set(nc, (held = new Map<string, { consumer: ConsumerRef; holders: number }>()));
  const key = `${consumer.stream}/${consumer.durable}`;
  const entry = held.get(key) ?? { consumer: { stream: consumer.stream, durable: consumer.durable }, holders: 0 };
  entry.holders++;
  held.set(key, entry);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--entry.holders === 0) held.delete(key);
  };
}

/** The durables pulled from on `nc`, in a stable order. */
export function consumersInUse(nc: NatsConnection): ConsumerRef[] {
  const held = [...(inUse.get(nc)?.entries() ?? [])].sort(([a], [b]) => a.localeCompare(b));
  return held.map(([, { consumer }]) => consumer);
}

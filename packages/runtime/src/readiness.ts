import type { NatsConnection } from '@nats-io/nats-core';
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager } from '@nats-io/jetstream';
import type { Naming } from '@signalbox/events';
import { missingProvisioning } from '@signalbox/store';
import { consumersInUse, type ConsumerRef } from './consumers-in-use.ts';

/** What a host knows of itself when asked whether it is ready. */
export interface ReadinessFacts {
  /** Every service of the host has started. */
  started: boolean;
  /** The host is stopping: it takes no new work. */
  draining: boolean;
  /** Connected to a NATS server now (not between reconnects). */
  connected: boolean;
  /** The streams, buckets and object stores missing, or why that could not be asked; undefined when not asked. */
  missingStreams?: readonly string[] | { unknown: string };
  /** The durables this process pulls from that are gone, or why that could not be asked; undefined when not asked. */
  missingConsumers?: readonly string[] | { unknown: string };
}

/** The answer at `/readyz`: ready, or the reasons it is not, with what was found. */
export interface Readiness {
  ready: boolean;
  reasons: string[];
  checks: ReadinessFacts;
}

/** Ready when started, not draining, connected, and nothing it needs is missing or unknown. */
export function readinessOf(facts: ReadinessFacts): Readiness {
  const reasons: string[] = [];
  if (!facts.started) reasons.push('starting');
  if (facts.draining) reasons.push('draining');
  if (!facts.connected) reasons.push('not connected to NATS');
  reasons.push(...problemsOf('streams', facts.missingStreams), ...problemsOf('consumers', facts.missingConsumers));
  return { ready: reasons.length === 0, reasons, checks: facts };
}

function problemsOf(what: string, found: ReadinessFacts['missingStreams']): string[] {
  if (found === undefined) return [];
  if ('unknown' in found) return [`${what} could not be checked: ${found.unknown}`];
  return found.length === 0 ? [] : [`missing ${what}: ${found.join(', ')}`];
}

/** Whether `nc` is connected now: false from a disconnect until the reconnect. */
export function watchConnection(nc: NatsConnection): () => boolean {
  let connected = true;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnecting') connected = false;
      else if (status.type === 'reconnect') connected = true;
    }
  })().catch(() => undefined);
  return () => connected && !nc.isClosed();
}

/**
 * Asks the server what of `names`' streams and of the durables in use on `nc` is missing, within
 * `deadlineMs`: a server too slow to answer a probe is as good as none for new work.
 */
export async function askWhatIsMissing(nc: NatsConnection, names: Naming, deadlineMs: number): Promise<Pick<ReadinessFacts, 'missingStreams' | 'missingConsumers'>> {
  const deadline = AbortSignal.timeout(deadlineMs);
  const within = (work: Promise<string[]>) => orUnknown(Promise.race([work, rejectOnAbort(deadline, deadlineMs)]));
  const [missingStreams, missingConsumers] = await Promise.all([within(missingProvisioning(nc, names)), within(missingConsumersOf(nc, consumersInUse(nc)))]);
  return { missingStreams, missingConsumers };
}

async function missingConsumersOf(nc: NatsConnection, consumers: readonly ConsumerRef[]): Promise<string[]> {
  if (consumers.length === 0) return [];
  const jsm = await jetstreamManager(nc);
  const present = await Promise.all(
    consumers.map(({ stream, durable }) =>
      jsm.consumers.info(stream, durable).then(
        () => true,
        (error: unknown) => {
          if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound) return false;
          throw error;
        },
      ),
    ),
  );
  return consumers.filter((_, index) => !present[index]).map(({ stream, durable }) => `${stream}/${durable}`);
}

function orUnknown(work: Promise<string[]>): Promise<string[] | { unknown: string }> {
  return work.catch((error: unknown) => ({ unknown: error instanceof Error ? error.message : String(error) }));
}

function rejectOnAbort(signal: AbortSignal, deadlineMs: number): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error(`NATS did not answer within ${deadlineMs} ms`)), { once: true }));
}

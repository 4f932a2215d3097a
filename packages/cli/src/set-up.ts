import type { NatsConnection } from '@nats-io/nats-core';
import type { Naming } from '@signalbox/events';
import { configFromEnv } from '@signalbox/runtime';
import { isPermissionDenied, missingProvisioning, provision, requiredAssets } from '@signalbox/store';

/**
 * What a command does when the streams and buckets are missing: a command that stores something
 * new (an agent, a task) makes them, as a service does on start; one that reads or acts on what is
 * there already says what to run.
 */
export type SetUpNeed = 'create-if-missing' | 'must-exist';

/** Signalbox's streams and buckets are missing on this NATS, and this command did not (or may not) create them. */
export class NotSetUpError extends Error {
  override readonly name = 'NotSetUpError';
  readonly code = 'not_set_up';
}

/** Makes sure what a command needs is there, creating it when the command may; throws NotSetUpError otherwise. */
export async function ensureSetUp(nc: NatsConnection, names: Naming, need: SetUpNeed): Promise<void> {
  const missing = await missingOrUnknown(nc, names);
  if (missing.length === 0) return;
  const required = requiredAssets(names).length;
  if (need === 'must-exist') throw new NotSetUpError(notSetUpLine(names.prefix, missing, required));
  const { replicas, eventPartitions } = configFromEnv();
  try {
    await provision(nc, names, { replicas, eventPartitions });
  } catch (error) {
    if (!isPermissionDenied(error)) throw error;
    throw new NotSetUpError(notSetUpLine(names.prefix, missing, required, { refused: true }), { cause: error });
  }
}

/** A user that may not read stream info (a task publisher) cannot tell what is missing: its command goes ahead. */
async function missingOrUnknown(nc: NatsConnection, names: Naming): Promise<string[]> {
  try {
    return await missingProvisioning(nc, names);
  } catch (error) {
    if (isPermissionDenied(error)) return [];
    throw error;
  }
}

/**
 * One line naming what is missing (in few words when nothing is there: the prefix, in case it is the
 * wrong one) and what to run; `refused` when this command tried to create it and its user may not.
 */
export function notSetUpLine(prefix: string, missing: readonly string[], required: number, { refused = false } = {}): string {
  const what = missing.length >= required ? `no streams or buckets with prefix ${prefix}` : `missing ${missing.join(', ')}`;
  const advice = 'run `signalbox init` as a user allowed to manage JetStream';
  if (refused) return `Signalbox is not set up on this NATS (${what}), and this NATS user may not create them: ${advice}`;
  return `Signalbox is not set up on this NATS (${what}): ${advice} (or start the services once: they create them)`;
}

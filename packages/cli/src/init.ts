import type { NatsConnection } from '@nats-io/nats-core';
import { naming, type Naming } from '@signalbox/events';
import { configFromEnv, type NatsAuth } from '@signalbox/runtime';
import {
  assetLabel,
  isPermissionDenied,
  missingAssets,
  provision,
  provisionEventPartitions,
  ProvisioningRefusedError,
  requireSupportedServer,
  requiredAssets,
  type JetStreamAsset,
  type ProvisionOptions,
} from '@signalbox/store';
import { connectTo, natsAuthOf, natsUrlOf, type GlobalOptions } from './connection.ts';

/**
 * `signalbox init`: every stream, bucket and object store, and the event subscriber's partitions
 * stream, made or brought up to date by a user allowed to manage JetStream, so that the services can
 * run as users that are not. Safe to run again.
 */
export async function init(options: GlobalOptions, write: (line: string) => void = console.log): Promise<void> {
  const lines = await provisioning(options, natsUrlOf(options), natsAuthOf(options), provisionEverything);
  for (const line of lines) write(line);
}

/**
 * Creates or brings up to date every stream, bucket and object store at `url`: `signalbox up` runs on
 * an open server of its own, and hosts only make what is missing, so `up` keeps existing streams current itself.
 */
export async function provisionAt(options: GlobalOptions, url: string, auth = natsAuthOf(options)): Promise<void> {
  await provisioning(options, url, auth, provision);
}

/** Runs `work` on a server new enough for the streams' settings, with the replicas and partitions the hosts use. */
async function provisioning<T>(
  options: GlobalOptions,
  url: string,
  auth: NatsAuth,
  work: (nc: NatsConnection, names: Naming, settings: ProvisionOptions) => Promise<T>,
): Promise<T> {
  const { replicas, eventPartitions } = configFromEnv();
  const nc = await connectTo(url, auth, { reconnect: false });
  try {
    // An older server would get a timers stream without message schedules.
    requireSupportedServer(nc);
    return await work(nc, naming(options.prefix), { replicas, eventPartitions });
  } finally {
    await nc.close();
  }
}

/** Provisions everything and says, per asset, whether it was created, its settings updated, or it was there already. */
async function provisionEverything(nc: NatsConnection, names: Naming, settings: ProvisionOptions): Promise<string[]> {
  const partitions: JetStreamAsset = { kind: 'stream', name: names.streams.eventPartitions, stream: names.streams.eventPartitions };
  const assets = [...requiredAssets(names), partitions];
  const missing = new Set(await missingAssets(nc, assets));
  try {
    await provision(nc, names, settings);
    await provisionEventPartitions(nc, names, settings);
  } catch (error) {
    if (!isPermissionDenied(error)) throw error;
    const message = 'signalbox init needs a NATS user allowed to manage JetStream (create and update streams, buckets and object stores); this one was refused';
    throw new ProvisioningRefusedError(`${message}: ${error.message}`, [...missing].map(assetLabel), error);
  }
  return assets.map((asset) => `${outcomeOf(asset, missing).padEnd(8)}${assetLabel(asset)}`);
}

/** Provisioning brings an existing stream's settings up to date, and leaves an existing bucket or object store as it is. */
function outcomeOf(asset: JetStreamAsset, missing: ReadonlySet<JetStreamAsset>): string {
  if (missing.has(asset)) return 'created';
  return asset.kind === 'stream' ? 'updated' : 'present';
}

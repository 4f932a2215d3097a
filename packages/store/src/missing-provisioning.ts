import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Naming } from '@signalbox/events';
import { streamConfigs, streamExists } from './provision.ts';

/** A stream, KV bucket or object store, and the stream that holds it (bucket `x` is `KV_x`, object store `y` is `OBJ_y`). */
export interface JetStreamAsset {
  kind: 'stream' | 'bucket' | 'object store';
  name: string;
  stream: string;
}

/** How an asset is named to people: `stream SBX_EVENTS`, `bucket sbx-agents`. */
export function assetLabel(asset: JetStreamAsset): string {
  return `${asset.kind} ${asset.name}`;
}

/** What every host needs before its services start; the event subscriber's partitions stream is made on first use. */
export function requiredAssets(names: Naming): JetStreamAsset[] {
  return [
    ...streamConfigs(names).map(({ name }): JetStreamAsset => ({ kind: 'stream', name, stream: name })),
    ...Object.values(names.buckets).map((name): JetStreamAsset => ({ kind: 'bucket', name, stream: `KV_${name}` })),
    ...Object.values(names.objectStores).map((name): JetStreamAsset => ({ kind: 'object store', name, stream: `OBJ_${name}` })),
  ];
}

/** The assets whose stream does not exist. Reads stream info only, so a user that may not manage JetStream can ask. */
export async function missingAssets(nc: NatsConnection, assets: readonly JetStreamAsset[]): Promise<JetStreamAsset[]> {
  const jsm = await jetstreamManager(nc);
  const found = await Promise.all(assets.map((asset) => streamExists(jsm, asset.stream)));
  return assets.filter((_, i) => !found[i]);
}

/** What a host needs and the server lacks, named for people (`stream SBX_EVENTS`, `bucket sbx-agents`); empty when all is there. */
export async function missingProvisioning(nc: NatsConnection, names: Naming): Promise<string[]> {
  return (await missingAssets(nc, requiredAssets(names))).map(assetLabel);
}

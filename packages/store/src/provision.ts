import type { NatsConnection } from '@nats-io/nats-core';
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import type { Naming } from '@signalbox/events';

export interface ProvisionOptions {
  /** 1 on a single server; 3 on a cluster (with `sync_interval: always` on every node). */
  replicas?: number;
  /** Largest task, command or event the streams accept, in bytes. */
  maxMessageBytes?: number;
}

const twoMinutesNs = 2 * 60 * 1e9;
const provisionTimeoutMs = 30_000;
const thirtyDaysNs = 30 * 24 * 3600 * 1e9;

/** The streams as DESIGN.md lays them out. */
type NamedStreamConfig = Partial<StreamConfig> & { name: string };

export function streamConfigs(names: Naming, options: ProvisionOptions = {}): NamedStreamConfig[] {
  const common = {
    storage: StorageType.File,
    num_replicas: options.replicas ?? 1,
    duplicate_window: twoMinutesNs,
    max_msg_size: options.maxMessageBytes ?? 1024 * 1024,
  };
  const s = names.subjects;
  return [
    // Direct gets read a session's head without a consumer, at a cost independent of stream size.
    { ...common, name: names.streams.events, subjects: [s.allEvents], retention: RetentionPolicy.Limits, allow_direct: true },
    { ...common, name: names.streams.tasks, subjects: [s.allTasks], retention: RetentionPolicy.Workqueue },
    { ...common, name: names.streams.inbox, subjects: [s.allInbox], retention: RetentionPolicy.Workqueue },
    { ...common, name: names.streams.jobs, subjects: [s.allJobs], retention: RetentionPolicy.Workqueue },
    {
      ...common,
      name: names.streams.dlq,
      subjects: [s.allDlq],
      retention: RetentionPolicy.Limits,
      max_age: thirtyDaysNs,
      discard: DiscardPolicy.Old,
    },
    // Durable timers: message schedules fire inside the stream, cancel markers expire by themselves,
    // and the forwarder reads those markers by direct get.
    {
      ...common,
      name: names.streams.timers,
      subjects: [s.allTimers],
      retention: RetentionPolicy.Workqueue,
      allow_msg_schedules: true,
      allow_msg_ttl: true,
      allow_direct: true,
    },
  ];
}

/** Creates every stream, bucket and object store, or brings existing ones to this config. Safe to run from every process. */
export async function provision(nc: NatsConnection, names: Naming, options: ProvisionOptions = {}): Promise<void> {
  // Creating a replicated stream waits for its group to elect a leader, which can outlast the default
  // 5 s request timeout on a loaded machine; start-up can afford to wait.
  const jsm = await jetstreamManager(nc, { timeout: provisionTimeoutMs });
  const js = jetstream(nc, { timeout: provisionTimeoutMs });
  for (const config of streamConfigs(names, options)) await ensureStream(jsm, config);
  const kvm = new Kvm(js);
  const replicas = options.replicas ?? 1;
  await Promise.all(
    Object.entries(names.buckets).map(([role, bucket]) => kvm.create(bucket, { replicas, ...bucketSettings[role as keyof Naming['buckets']] })),
  );
  const objm = new Objm(js);
  await Promise.all(Object.values(names.objectStores).map((store) => objm.create(store, { replicas })));
}

const sevenDaysMs = 7 * 24 * 3600 * 1000;

/** Snapshots need only the latest value; ledger entries matter only while a call can still be redelivered. */
const bucketSettings: Record<keyof Naming['buckets'], { history: number; ttl?: number }> = {
  agents: { history: 5 },
  tools: { history: 5 },
  policies: { history: 5 },
  memory: { history: 5 },
  sessions: { history: 1 },
  snapshots: { history: 1 },
  transcripts: { history: 1 },
  secrets: { history: 5 },
  toolLedger: { history: 1, ttl: sevenDaysMs },
};

async function ensureStream(jsm: JetStreamManager, config: NamedStreamConfig): Promise<void> {
  try {
    await jsm.streams.info(config.name);
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
    await jsm.streams.add(config);
    return;
  }
  // Retention and storage cannot change on a live stream; everything else is brought up to date.
  const { name, retention: _retention, storage: _storage, ...changeable } = config;
  await jsm.streams.update(name, changeable);
}

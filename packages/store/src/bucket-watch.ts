import type { KV, KvWatchEntry } from '@nats-io/kv';

/** A watch of a KV bucket: settled `current` once its values at the start are in, and a way to end it. */
export interface BucketWatch {
  /** Undefined once every value the bucket held at the start was handed over; else why the watch ended first. */
  readonly current: Promise<string | undefined>;
  stop(): Promise<void>;
}

/**
 * Hands every entry of `kv` to `onEntry`, its current values first, then each change. An empty bucket sends
 * nothing to wait for; any other sends its keys' last values, the last with nothing pending (`delta` 0).
 * Should the watch end (unless stopped) or fail, `onLost` is told why, and so is `current` if still waiting.
 */
export async function watchBucket(kv: KV, what: string, onEntry: (entry: KvWatchEntry) => void, onLost: (reason: string, error?: unknown) => void): Promise<BucketWatch> {
  const empty = (await kv.status()).values === 0;
  const entries = await kv.watch();
  const current = Promise.withResolvers<string | undefined>();
  if (empty) current.resolve(undefined);
  let stopping = false;
  const lose = (reason: string, error?: unknown) => {
    onLost(reason, error);
    current.resolve(reason);
  };
  const reading = (async () => {
    for await (const entry of entries) {
      onEntry(entry);
      if (entry.delta === 0) current.resolve(undefined);
    }
  })().then(
    () => stopping || lose(`${what} watch ended`),
    (error: unknown) => lose(`${what} watch failed: ${error instanceof Error ? error.message : String(error)}`, error),
  );
  return {
    current: current.promise,
    stop: async () => {
      stopping = true;
      entries.stop();
      await reading;
    },
  };
}

import { Kvm, type KvWatchEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import type { SignalboxClient } from '@signalbox/client';
import { parseJson, SessionIndexEntry, type Naming } from '@signalbox/events';
import type { Logger } from '@signalbox/runtime';
import { watchBucket } from '@signalbox/store';

/**
 * The sessions index held in memory and kept current by a watch of its bucket, so listing sessions
 * (which the console does every few seconds) and counting waiting approvals cost no reads of NATS.
 * Should the watch end or fail, each listing reads the whole index instead, as the SDK does: slower,
 * never stale.
 */
export class SessionsView {
  readonly #rows = new Map<string, SessionIndexEntry>();
  #newestFirst: SessionIndexEntry[] | undefined;
  #lost = false;
  #stop: () => Promise<void> = async () => {};
  readonly #client: SignalboxClient;
  readonly #logger: Logger;

  private constructor(client: SignalboxClient, logger: Logger) {
    this.#client = client;
    this.#logger = logger;
  }

  /** A view that resolves once it holds every row the bucket had when it started watching. */
  static async open(nc: NatsConnection, names: Naming, client: SignalboxClient, logger: Logger): Promise<SessionsView> {
    const view = new SessionsView(client, logger);
    await view.#watch(nc, names);
    return view;
  }

  /** Every indexed session, newest first. */
  async rows(): Promise<SessionIndexEntry[]> {
    if (this.#lost) return this.#client.sessions();
    this.#newestFirst ??= [...this.#rows.values()].sort((a, b) => b.createdAt - a.createdAt);
    return this.#newestFirst;
  }

  stop(): Promise<void> {
    return this.#stop();
  }

  async #watch(nc: NatsConnection, names: Naming): Promise<void> {
    const kv = await new Kvm(nc).open(names.buckets.sessions);
    const watch = await watchBucket(kv, 'the sessions index', (entry) => this.#apply(entry), (reason, error) => this.#lose(reason, error));
    this.#stop = () => watch.stop();
    // A watch lost before it was current leaves listings reading the whole index: never stale.
    await watch.current;
  }

  #apply(entry: KvWatchEntry): void {
    this.#newestFirst = undefined;
    if (entry.operation !== 'PUT') {
      this.#rows.delete(entry.key);
      return;
    }
    const row = SessionIndexEntry.safeParse(safeJson(entry));
    // A row this version cannot read is left out of listings, as the SDK leaves it out.
    if (row.success) this.#rows.set(entry.key, row.data);
    else this.#rows.delete(entry.key);
  }

  #lose(reason: string, error?: unknown): void {
    this.#lost = true;
    this.#logger.error({ err: error }, `${reason}; listing sessions reads the whole index from now on`);
  }
}

function safeJson(entry: KvWatchEntry): unknown {
  try {
    return parseJson(entry.value, `sessions index row "${entry.key}"`);
  } catch {
    return undefined;
  }
}

import { Kvm, type KvWatchEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import type { SignalboxClient } from '@signalbox/client';
import { parseJson, SessionIndexEntry, type Naming } from '@signalbox/events';
import type { Logger } from '@signalbox/runtime';

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
    // An empty bucket sends nothing to wait for; any other sends its keys' last values, the last with nothing pending.
    const empty = (await kv.status()).values === 0;
    const entries = await kv.watch();
    const current = Promise.withResolvers<void>();
    if (empty) current.resolve();
    let stopping = false;
    const reading = (async () => {
      for await (const entry of entries) {
        this.#apply(entry);
        if (entry.delta === 0) current.resolve();
      }
    })().then(
      () => stopping || this.#lose('the sessions index watch ended'),
      (error: unknown) => this.#lose('the sessions index watch failed', error),
    );
    void reading.finally(() => current.resolve());
    this.#stop = async () => {
      stopping = true;
      entries.stop();
      await reading;
    };
    await current.promise;
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

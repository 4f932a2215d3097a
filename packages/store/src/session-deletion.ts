import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { SessionIndexEntry, type Naming, type SessionEvent } from '@signalbox/events';
import { builtInDeletionHooks } from './built-in-deletion-hooks.ts';
import { DeletionHooks, type DeletionHook } from './deletion-hooks.ts';
import { planDeletion, sessionsMatching, type DeletionPlan, type SessionDeletion, type SessionFacts } from './deletion-plan.ts';
import { EventStore } from './event-store.ts';
import { purgeSubject } from './stream-scan.ts';

/** What a deletion did: the sessions now gone, and for the others the hook that failed (the session is kept; run again). */
export interface DeletionReport {
  deleted: string[];
  failed: { sessionId: string; hook: string; error: string }[];
}

/** Index entries and first events read at once while gathering facts. */
const readBatch = 64;

/**
 * Deletes sessions everywhere: the planner decides what, the hooks remove each store's share, and
 * the session's index row and log go last, only when every hook succeeded, so a deletion that
 * fails or crashes midway can be run again and finds what it needs (the log) to finish.
 */
export class SessionDeleter {
  readonly #store: EventStore;
  readonly #index: KV;
  readonly #jsm: JetStreamManager;
  readonly #names: Naming;
  readonly #hooks: DeletionHooks;

  private constructor(store: EventStore, index: KV, jsm: JetStreamManager, names: Naming, hooks: DeletionHooks) {
    this.#store = store;
    this.#index = index;
    this.#jsm = jsm;
    this.#names = names;
    this.#hooks = hooks;
  }

  /** With the built-in stores' hooks registered first; `extraHooks` (the memory store's...) run after them. */
  static async open(nc: NatsConnection, names: Naming, extraHooks: readonly DeletionHook[] = []): Promise<SessionDeleter> {
    const hooks = new DeletionHooks([...(await builtInDeletionHooks(nc, names)), ...extraHooks]);
    const index = await new Kvm(nc).open(names.buckets.sessions);
    return new SessionDeleter(await EventStore.open(nc, names), index, await jetstreamManager(nc), names, hooks);
  }

  /** What deleting `sessionIds` would remove (with `cascade`, their forks and subagents too), or why not. */
  async plan(sessionIds: readonly string[], cascade: boolean): Promise<DeletionPlan> {
    const known = await this.facts();
    const missing = sessionIds.filter((id) => !known.some(({ sessionId }) => sessionId === id));
    // A deletion cut off after the index row went still has its log: found there, it can finish.
    const fromLogs = await Promise.all(missing.map((id) => this.#factsFromLog(id)));
    return planDeletion(sessionIds, [...known, ...fromLogs.filter((facts) => facts !== undefined)], cascade);
  }

  /** The sessions whose metadata holds every pair of `filter`. */
  async matching(filter: Readonly<Record<string, string>>): Promise<string[]> {
    return sessionsMatching(await this.facts(), filter);
  }

  /** Every indexed session's status (from the index) and relations and metadata (from its first event). */
  async facts(): Promise<SessionFacts[]> {
    const prefix = `$KV.${this.#names.buckets.sessions}.`;
    const info = await this.#jsm.streams.info(`KV_${this.#names.buckets.sessions}`, { subjects_filter: `${prefix}>` });
    const keys = Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length));
    const facts: SessionFacts[] = [];
    for (let start = 0; start < keys.length; start += readBatch) {
      const read = await Promise.all(keys.slice(start, start + readBatch).map((key) => this.#indexedFacts(key)));
      facts.push(...read.filter((entry) => entry !== undefined));
    }
    return facts;
  }

  /** Runs the plan's deletions in order; each session's failures are reported, and the rest go on. */
  async execute(sessions: readonly SessionDeletion[]): Promise<DeletionReport> {
    const deleting = new Set(sessions.map(({ sessionId }) => sessionId));
    const report: DeletionReport = { deleted: [], failed: [] };
    for (const session of sessions) {
      const failures = await this.#deleteOne(session, deleting);
      if (failures.length === 0) report.deleted.push(session.sessionId);
      report.failed.push(...failures);
    }
    return report;
  }

  async #deleteOne(session: SessionDeletion, deleting: ReadonlySet<string>): Promise<DeletionReport['failed']> {
    const events = await this.#store.read(session.sessionId);
    const target = { ...session, events, deleting };
    const failed: DeletionReport['failed'] = [];
    for (const hook of this.#hooks.all) {
      try {
        await hook.deleteSession(target);
      } catch (error) {
        failed.push({ sessionId: session.sessionId, hook: hook.name, error: error instanceof Error ? error.message : String(error) });
      }
    }
    if (failed.length > 0) return failed;
    const sessions = this.#names.buckets.sessions;
    await purgeSubject(this.#jsm, `KV_${sessions}`, `$KV.${sessions}.${session.sessionId}`);
    await purgeSubject(this.#jsm, this.#names.streams.events, this.#names.subjects.events(session.sessionId));
    return [];
  }

  async #indexedFacts(key: string): Promise<SessionFacts | undefined> {
    const entry = await this.#index.get(key);
    const parsed = entry?.operation === 'PUT' ? SessionIndexEntry.safeParse(entry.json()) : undefined;
    if (!parsed?.success) return undefined;
    const first = await this.#store.first(parsed.data.sessionId);
    const { sessionId, correlationId, status, agent, updatedAt } = parsed.data;
    return { ...relationsOf(first), sessionId, root: correlationId, status, agent, updatedAt };
  }

  async #factsFromLog(sessionId: string): Promise<SessionFacts | undefined> {
    const first = await this.#store.first(sessionId).catch(() => undefined);
    if (!first) return undefined;
    const head = await this.#store.head(sessionId);
    const [last] = await this.#store.read(sessionId, { fromN: head.n, fromSeq: head.seq });
    const status = last?.type === 'session.completed' ? last.data.status : 'running';
    const agent = first.type === 'session.created' ? first.data.agent.name : 'unknown';
    return { ...relationsOf(first), sessionId, root: first.correlationId, status, agent, updatedAt: last?.at ?? first.at };
  }
}

function relationsOf(first: SessionEvent | undefined): Pick<SessionFacts, 'parent' | 'forkedFrom' | 'metadata'> {
  if (first?.type !== 'session.created') return {};
  const { parent, forkedFrom, metadata } = first.data;
  return { ...(parent ? { parent: parent.sessionId } : {}), ...(forkedFrom ? { forkedFrom: forkedFrom.sessionId } : {}), ...(metadata ? { metadata } : {}) };
}

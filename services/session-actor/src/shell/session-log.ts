import type { KV } from '@nats-io/kv';
import { eventVersion, type Message, type ModelRequest, type NewEvent, type SessionEvent } from '@signalbox/events';
import type { Logger } from '@signalbox/runtime';
import { decide, fold, heldMessages, initialState, withEarlierPutBack, type ActiveState, type Decision, type SessionCommand, type SessionEffect, type SessionState } from '@signalbox/session';
import { ConcurrencyError, emptyHead, type EventStore, type TranscriptStore } from '@signalbox/store';
import { SessionCache, type LoadedSession } from './session-cache.ts';
import { SessionIndexRows } from './session-index.ts';
import type { SessionSnapshots } from './session-snapshots.ts';
import type { SessionTraces, TracedAppend } from './session-traces.ts';

/** Events after which the session's row in the index says something new: its status, or the calls it holds for approval. */
const statusEvents = new Set<SessionEvent['type']>([
  'session.created', 'session.paused', 'session.resumed', 'session.completed', 'approval.requested', 'approval.resolved',
  'turn.completed', 'session.interrupted', 'message.received', 'outcome.submitted', 'outcome.graded',
]);

export interface SessionLogDeps {
  store: EventStore;
  snapshots: SessionSnapshots;
  transcripts: TranscriptStore;
  sessionIndex: KV;
  logger: Logger;
  instance: string;
  clock: () => number;
  newId: () => string;
  /** Told the events of each append once it is acknowledged (the process's metrics count them). */
  onAppended?: (events: readonly SessionEvent[]) => void;
  /** The turns' traces, when the process exports any: then each event appended carries its span's `traceparent`. */
  traces?: SessionTraces;
}

/** A command decided and its events appended: the session as it now stands, and what it asks for. */
export interface Recorded {
  session: LoadedSession;
  effects: SessionEffect[];
  /** Events the command appended (0: the log already held what it decides). */
  appended: number;
  /** The command its follow-up answered the decision's effects with, decided and appended with it. */
  followedBy?: SessionCommand;
}

/**
 * The answer to a decision's effects when it is known at once, here, with nothing to wait for (the
 * permission broker of this process): decided on the state the decision's events lead to, and its
 * events appended in the same append. Undefined: the effects are performed as ever.
 */
export type FollowUp = (effects: readonly SessionEffect[]) => SessionCommand | undefined;

const maxConflictRetries = 8;

/** A command and its decision, with the causation its first event records. */
interface Decided {
  command: SessionCommand;
  decision: Decision;
  causationId: string;
}

/** A decision's events in their envelopes, not yet appended, and the session as they leave it. */
interface Enveloped {
  command: SessionCommand;
  events: SessionEvent[];
  effects: SessionEffect[];
  session: LoadedSession;
}

/**
 * A session a task starts is new, nearly always: it is decided as new without reading its snapshot
 * and its log's head (two reads before its first event). Like a cached state, the presumption is
 * checked by the append, which expects no event on the session's subject: when the session exists
 * after all (a task delivered again, an id used twice), the append is refused and the next attempt
 * loads the session; when the decision records nothing, the heads are compared first.
 */
function presumedNew(command: SessionCommand): LoadedSession | undefined {
  return command.type === 'StartSession' ? { state: initialState(), head: emptyHead } : undefined;
}

/**
 * One side of the session actor: loading sessions (cache, snapshot plus tail, or the whole log),
 * deciding a command and appending its events with optimistic concurrency. It performs no effect.
 */
export class SessionLog {
  readonly #deps: SessionLogDeps;
  readonly #cache = new SessionCache();
  readonly #indexRows: SessionIndexRows;

  constructor(deps: SessionLogDeps) {
    this.#deps = deps;
    this.#indexRows = new SessionIndexRows(deps.sessionIndex);
  }

  /** `traceparent`: where a turn the command starts is traced, when its message named a span (a lead's delegation). */
  async record(sessionId: string, command: SessionCommand, causationId: string, traceparent?: string, followUp?: FollowUp): Promise<Recorded> {
    for (let attempt = 1; ; attempt++) {
      const cached = this.#cache.get(sessionId) ?? (attempt === 1 ? presumedNew(command) : undefined);
      const session = cached ?? (await this.#load(sessionId));
      const decision = decide(command, session.state);
      // A cached state that decides nothing may just be stale (another actor moved the session on):
      // without an append there is no concurrency check to catch it, so compare heads before dropping the command.
      if (decision.events.length === 0 && cached && (await this.#deps.store.head(sessionId)).seq !== cached.head.seq) {
        await this.#catchUp(sessionId, cached);
        continue;
      }
      try {
        return await this.#append(sessionId, session, { command, decision, causationId }, traceparent, followUp);
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= maxConflictRetries) throw error;
        this.#deps.logger.debug({ sessionId, attempt }, 'append conflict; catching up');
        await this.#catchUp(sessionId, session);
      }
    }
  }

  /**
   * The call's request with the messages a resumed session left in the transcript store put back;
   * the cached session holds them from then on, so only its first call after a resume reads them.
   */
  async wholeRequest(session: LoadedSession, request: ModelRequest, earlierMessages: number, earlierFrom?: number): Promise<ModelRequest> {
    const { state } = session;
    if (earlierMessages === 0 || state.status === 'new') return request;
    if (earlierFrom !== undefined) {
      // A compacted context: the summary first, then the kept messages the state does not hold, then those it does.
      const kept = (await this.#earlierMessages(state.sessionId, earlierFrom + earlierMessages)).slice(earlierFrom);
      return { ...request, messages: [...request.messages.slice(0, 1), ...kept, ...request.messages.slice(1)] };
    }
    const earlier = await this.#earlierMessages(state.sessionId, earlierMessages);
    if (this.#cache.get(state.sessionId) === session && earlier.length === earlierMessages) {
      // The state's own messages, not the request's: those may have long outputs trimmed for the model.
      this.#cache.set(state.sessionId, { ...session, state: { ...state, conversation: withEarlierPutBack(state.conversation, earlier) } });
    }
    return { ...request, messages: [...earlier, ...request.messages] };
  }

  /** The conversation's messages `from` up to `upTo`, read from the transcript store where the state does not hold them. */
  async messages(session: LoadedSession, from: number, upTo: number): Promise<Message[]> {
    const { state } = session;
    if (state.status === 'new' || upTo <= from) return [];
    const { earlier } = state.conversation;
    const held = heldMessages(state.conversation, Math.max(from, earlier), Math.max(upTo, earlier));
    if (from >= earlier) return held;
    return [...(await this.#earlierMessages(state.sessionId, Math.min(upTo, earlier))).slice(from), ...held];
  }

  index(state: ActiveState): Promise<void> {
    return this.#indexRows.record(state, this.#deps.clock());
  }

  /**
   * Another actor moved the session on (its commands go to whichever actor pulls first): fold in the
   * events after the stale state's head, rather than reload it all. Failing that, the next load does.
   */
  async #catchUp(sessionId: string, stale: LoadedSession): Promise<void> {
    this.#cache.delete(sessionId);
    if (stale.state.status === 'new') return;
    try {
      const { events, head } = await this.#deps.store.load(sessionId, { fromN: stale.head.n + 1, fromSeq: stale.head.seq + 1 });
      // A head behind the cached one came from a replica that lags: folding nothing into the newer
      // state under the older head would let the next catch-up fold the same events twice.
      if (head.n < stale.head.n) return;
      this.#cache.set(sessionId, { state: fold(events, stale.state), head });
    } catch (error) {
      this.#deps.logger.warn({ err: error, sessionId }, 'could not catch up with the log; reloading the session');
    }
  }

  /** A session not in the cache: its snapshot plus the events after it, or else its whole log. */
  async #load(sessionId: string): Promise<LoadedSession> {
    const resumed = await this.#deps.snapshots.resume(sessionId);
    if (resumed) return resumed;
    const { events, head } = await this.#deps.store.load(sessionId);
    return { state: fold(events), head };
  }

  async #append(sessionId: string, session: LoadedSession, decided: Decided, traceparent: string | undefined, followUp: FollowUp | undefined): Promise<Recorded> {
    const { decision } = decided;
    if (decision.events.length === 0) {
      // A decision that records nothing may still dispatch again what the log left unfinished (after a crash):
      // in the trace the log names, when this actor has not traced the session yet.
      if (this.#deps.traces) await this.#recallUnlessKnown(this.#deps.traces, session).catch((error: unknown) => this.#deps.logger.warn({ err: error, sessionId }, 'could not read the trace back from the log'));
      this.#cache.set(sessionId, session);
      return { session, effects: decision.effects, appended: 0 };
    }
    const first = this.#decided(sessionId, session, decided);
    const second = this.#followed(sessionId, first, followUp);
    const { state } = (second ?? first).session;
    const envelopes = second ? [...first.events, ...second.events] : first.events;
    const traced = this.#deps.traces && (await this.#traced(this.#deps.traces, session, state, envelopes, traceparent));
    const events = traced?.events ?? envelopes;
    const head = await this.#deps.store.append(sessionId, events, session.head);
    traced?.commit();
    this.#deps.onAppended?.(events);
    const next = { state, head };
    this.#cache.set(sessionId, next);
    this.#deps.snapshots.appended(sessionId, session.head.n, next);
    const changesStatus = events.some((event) => statusEvents.has(event.type));
    if (changesStatus && next.state.status !== 'new') await this.index(next.state);
    return { session: next, effects: second?.effects ?? first.effects, appended: events.length, ...(second ? { followedBy: second.command } : {}) };
  }

  /** The follow-up's decision after `first`, when there is one and it records something (else `first`'s effects are performed as ever). */
  #followed(sessionId: string, first: Enveloped, followUp: FollowUp | undefined): Enveloped | undefined {
    const command = followUp?.(first.effects);
    if (command === undefined) return undefined;
    const decision = decide(command, first.session.state);
    return decision.events.length === 0 ? undefined : this.#decided(sessionId, first.session, { command, decision, causationId: `${sessionId}/${first.session.head.n}` });
  }

  /** A decision's events with their envelopes, after `session`'s head, and the state they lead to (not yet appended). */
  #decided(sessionId: string, session: LoadedSession, { command, decision, causationId }: Decided): Enveloped {
    const events = this.#envelop(sessionId, session, decision.events, causationId, command);
    const state = fold(events, session.state);
    return { command, events, effects: decision.effects, session: { state, head: { ...session.head, n: session.head.n + events.length } } };
  }

  /**
   * The events with their spans' `traceparent`, the session's trace read back from its last event
   * when this actor has not traced it yet. A failure here costs the append its trace, never the append.
   */
  async #traced(traces: SessionTraces, session: LoadedSession, after: SessionState, events: SessionEvent[], parent: string | undefined): Promise<TracedAppend | undefined> {
    try {
      await this.#recallUnlessKnown(traces, session);
      return traces.stamp(session.state, after, events, parent);
    } catch (error) {
      this.#deps.logger.warn({ err: error, sessionId: session.state.status === 'new' ? undefined : session.state.sessionId }, 'could not trace an append; appending it untraced');
      return undefined;
    }
  }

  /** Picks up the session's trace from its last event, when this actor has not traced it yet. */
  async #recallUnlessKnown(traces: SessionTraces, { state, head }: LoadedSession): Promise<void> {
    if (state.status === 'new' || traces.knows(state.sessionId, state)) return;
    const last = await this.#deps.store.load(state.sessionId, { fromN: head.n, fromSeq: head.seq });
    traces.recall(state.sessionId, state, last.events.at(-1)?.traceparent);
  }

  #envelop(sessionId: string, session: LoadedSession, proposed: NewEvent[], causationId: string, command: SessionCommand): SessionEvent[] {
    const creates = command.type === 'StartSession' || command.type === 'ForkSession';
    const correlationId = session.state.status === 'new' && creates ? command.correlationId : correlationOf(session);
    return proposed.map(
      (event, index): SessionEvent =>
        ({
          ...event,
          id: this.#deps.newId(),
          v: eventVersion(event.type),
          sessionId,
          n: session.head.n + index + 1,
          at: this.#deps.clock(),
          causationId: index === 0 ? causationId : null,
          correlationId,
          by: { service: 'session-actor', instance: this.#deps.instance },
        }),
    );
  }

  async #earlierMessages(sessionId: string, count: number): Promise<Message[]> {
    try {
      return await this.#deps.transcripts.load(sessionId, count);
    } catch (error) {
      // The log holds every message too: a lost chunk costs a full replay, not the session.
      this.#deps.logger.warn({ err: error, sessionId }, 'transcript unreadable; rebuilding the conversation from the log');
      const state = fold((await this.#deps.store.load(sessionId)).events);
      if (state.status === 'new') throw error;
      return heldMessages(state.conversation, 0, count);
    }
  }
}

function correlationOf({ state }: LoadedSession): string {
  if (state.status === 'new') throw new Error('a session must be created before anything else is appended');
  return state.correlationId;
}

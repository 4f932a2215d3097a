import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { encode, eventVersion, type Message, type ModelRequest, type Naming, type NewEvent, type SessionEvent, type ToolJob } from '@signalbox/events';
import type { Logger } from '@signalbox/runtime';
import { decide, fold, recordedModelReply, recordedToolResult, type ActiveState, type SessionCommand, type SessionEffect, type SessionState } from '@signalbox/session';
import { ConcurrencyError, type EventStore, type SnapshotStore, type TranscriptStore } from '@signalbox/store';
import { callModel, type ModelResolver } from './model-caller.ts';
import { ForkRecordings } from './fork-recordings.ts';
import { SessionCache, type LoadedSession } from './session-cache.ts';
import { recordInIndex } from './session-index.ts';
import { KeyedLock } from './session-lock.ts';
import { SessionSnapshots } from './session-snapshots.ts';

export interface SessionRunnerDeps {
  nc: NatsConnection;
  names: Naming;
  store: EventStore;
  snapshots: SnapshotStore<SessionState>;
  transcripts: TranscriptStore;
  /** Events between snapshots; 0 turns them off. */
  snapshotEvery: number;
  sessionIndex: KV;
  logger: Logger;
  resolveModel: ModelResolver;
  instance: string;
  /** This actor's own inbox token: tool results of the calls it dispatches come back to it. */
  actor: string;
  clock: () => number;
  newId: () => string;
}

export interface CommandOptions {
  /** Id of the message that carried the command, recorded as the first event's causation. */
  causationId: string;
  /** Told how many events the command appended, before any model call it leads to. */
  onDecided?: (appended: number) => void;
}

export interface CommandResult {
  state: SessionState;
  /** Events the command itself appended (0 for a duplicate). */
  appended: number;
}

const maxConflictRetries = 8;

/**
 * The session actor's shell: loads a session (from cache or log), decides, appends with optimistic
 * concurrency, and performs the effects — model calls inline, feeding their results back as commands.
 */
export class SessionRunner {
  readonly #deps: SessionRunnerDeps;
  readonly #js: JetStreamClient;
  readonly #cache = new SessionCache();
  readonly #lock = new KeyedLock();
  readonly #snapshots: SessionSnapshots;
  readonly #recordings: ForkRecordings;

  constructor(deps: SessionRunnerDeps) {
    this.#deps = deps;
    this.#js = jetstream(deps.nc);
    this.#recordings = new ForkRecordings(deps.store);
    const { store, snapshots, transcripts, logger, snapshotEvery: every } = deps;
    this.#snapshots = new SessionSnapshots({ store, snapshots, transcripts, logger, every });
  }

  execute(sessionId: string, command: SessionCommand, options: CommandOptions): Promise<CommandResult> {
    return this.#lock.run(sessionId, () => this.#execute(sessionId, command, options));
  }

  async #execute(sessionId: string, command: SessionCommand, options: CommandOptions): Promise<CommandResult> {
    const first = await this.#decideAndAppend(sessionId, command, options.causationId);
    options.onDecided?.(first.appended);
    let { session, effects } = first;
    // A command the log already holds may come back because a worker died mid-step (a server restart
    // can even reset its delivery count), and 'deciding' waits on nothing outside: either way, pick up
    // what the log left unfinished. At worst this repeats a model call, which is at-least-once anyway.
    const alreadyApplied = first.appended === 0 && session.state.status !== 'new';
    if (alreadyApplied || session.state.status === 'deciding') {
      ({ session, effects } = await this.#decideAndAppend(sessionId, { type: 'Resume' }, options.causationId));
      if (session.state.status !== 'new') await this.#index(session.state);
    }
    // Tool results a hermetic fork answers from its original's log, waiting to be recorded.
    const recorded: SessionCommand[] = [];
    for (;;) {
      recorded.push(...(await this.#dispatchTools(sessionId, effects)));
      const call = effects.find((effect) => effect.type === 'CallModel');
      let followUp = recorded.shift();
      if (!followUp) {
        if (!call || session.state.status === 'new') return { state: session.state, appended: first.appended };
        followUp = await this.#callModel(session, call);
      }
      ({ session, effects } = await this.#decideAndAppend(sessionId, followUp, `${sessionId}/${session.head.n}`));
    }
  }

  async #decideAndAppend(sessionId: string, command: SessionCommand, causationId: string) {
    for (let attempt = 1; ; attempt++) {
      const cached = this.#cache.get(sessionId);
      const session = cached ?? (await this.#load(sessionId));
      const decision = decide(command, session.state);
      // A cached state that decides nothing may just be stale (another actor moved the session on):
      // without an append there is no concurrency check to catch it, so compare heads before dropping the command.
      if (decision.events.length === 0 && cached && (await this.#deps.store.head(sessionId)).seq !== cached.head.seq) {
        await this.#catchUp(sessionId, cached);
        continue;
      }
      try {
        const next = await this.#append(sessionId, session, decision.events, causationId, command);
        return { session: next, effects: decision.effects, appended: decision.events.length };
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= maxConflictRetries) throw error;
        this.#deps.logger.debug({ sessionId, attempt }, 'append conflict; catching up');
        await this.#catchUp(sessionId, session);
      }
    }
  }

  /** Waits for background work (snapshot writes) to finish, before the connection closes. */
  settled(): Promise<void> {
    return this.#snapshots.settled();
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
    const resumed = await this.#snapshots.resume(sessionId);
    if (resumed) return resumed;
    const { events, head } = await this.#deps.store.load(sessionId);
    return { state: fold(events), head };
  }

  async #append(sessionId: string, session: LoadedSession, proposed: NewEvent[], causationId: string, command: SessionCommand) {
    if (proposed.length === 0) {
      this.#cache.set(sessionId, session);
      return session;
    }
    const creates = command.type === 'StartSession' || command.type === 'ForkSession';
    const correlationId = session.state.status === 'new' && creates ? command.correlationId : correlationOf(session.state);
    const events = proposed.map(
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
    const head = await this.#deps.store.append(sessionId, events, session.head);
    const next = { state: fold(events, session.state), head };
    this.#cache.set(sessionId, next);
    this.#snapshots.appended(sessionId, session.head.n, next);
    const changesStatus = events.some((event) => event.type === 'session.created' || event.type === 'session.completed');
    if (changesStatus && next.state.status !== 'new') await this.#index(next.state);
    return next;
  }

  /** Publishes the tool jobs, except those a hermetic fork answers from its original: their results come back as commands. */
  async #dispatchTools(sessionId: string, effects: SessionEffect[]): Promise<SessionCommand[]> {
    const jobs = effects.flatMap((effect) => (effect.type === 'DispatchTool' ? [effect.job] : []));
    if (jobs.length === 0) return [];
    const original = await this.#recordings.of(sessionId);
    const answered: SessionCommand[] = [];
    const live: ToolJob[] = [];
    for (const job of jobs) {
      const result = original && recordedToolResult(original, job);
      if (result) answered.push({ type: 'RecordToolResult', result });
      else live.push(job);
    }
    await Promise.all(live.map((job) => this.#publishJob(job)));
    return answered;
  }

  #publishJob(job: ToolJob) {
    // The idempotency key doubles as the message id, so a re-dispatch within the window is dropped by the stream.
    const { names, actor } = this.#deps;
    const replyTo = names.subjects.actorInbox(job.sessionId, actor);
    return this.#js.publish(names.subjects.toolJob(job.tool), encode({ ...job, replyTo }), { msgID: job.idempotencyKey });
  }

  async #callModel(session: LoadedSession, call: Extract<SessionEffect, { type: 'CallModel' }>): Promise<SessionCommand> {
    const { state } = session;
    if (state.status === 'new') throw new Error('model call for a session that does not exist');
    const request = await this.#wholeRequest(session, call);
    const original = await this.#recordings.of(state.sessionId);
    const recorded = original && recordedModelReply(original, { ...call, request });
    if (recorded) return recorded;
    if (call.attempt > 1) await sleep(250 * 2 ** (call.attempt - 2));
    this.#deps.logger.debug({ sessionId: state.sessionId, correlationId: state.correlationId, callId: call.callId }, 'calling model');
    return callModel(this.#deps.resolveModel, state.agent, { callId: call.callId, request }, this.#deps.clock);
  }

  /**
   * The call's request with the messages a resumed session left in the transcript store put back;
   * the cached session holds them from then on, so only its first call after a resume reads them.
   */
  async #wholeRequest(session: LoadedSession, call: Extract<SessionEffect, { type: 'CallModel' }>): Promise<ModelRequest> {
    const { state } = session;
    if (call.earlierMessages === 0 || state.status === 'new') return call.request;
    const earlier = await this.#earlierMessages(state.sessionId, call.earlierMessages);
    const messages = [...earlier, ...call.request.messages];
    if (this.#cache.get(state.sessionId) === session) {
      this.#cache.set(state.sessionId, { ...session, state: { ...state, conversation: { ...state.conversation, earlier: 0, messages } } });
    }
    return { ...call.request, messages };
  }

  async #earlierMessages(sessionId: string, count: number): Promise<Message[]> {
    try {
      return await this.#deps.transcripts.load(sessionId, count);
    } catch (error) {
      // The log holds every message too: a lost chunk costs a full replay, not the session.
      this.#deps.logger.warn({ err: error, sessionId }, 'transcript unreadable; rebuilding the conversation from the log');
      const state = fold((await this.#deps.store.load(sessionId)).events);
      if (state.status === 'new') throw error;
      return state.conversation.messages.slice(0, count);
    }
  }

  #index(state: ActiveState): Promise<void> {
    return recordInIndex(this.#deps.sessionIndex, state, this.#deps.clock());
  }
}

function correlationOf(state: SessionState): string {
  if (state.status === 'new') throw new Error('a session must be created before anything else is appended');
  return state.correlationId;
}

import { setImmediate } from 'node:timers/promises';
import type { Logger } from '@signalbox/runtime';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Naming } from '@signalbox/events';
import { fold, heldFrom, heldMessages, sessionStateVersion, snapshotFrom, snapshotState, storedSnapshotState, unchangingStateFields, type ActiveState, type SessionState } from '@signalbox/session';
import { SnapshotStore, transcriptChunkSize, type EventStore, type TranscriptStore } from '@signalbox/store';
import type { LoadedSession } from './session-cache.ts';

/** The snapshot store as the session actor writes it: its state's version, the agent and tools encoded once, the conversation's number lists packed. */
export function openSessionSnapshotStore(nc: NatsConnection, names: Naming): Promise<SnapshotStore<SessionState>> {
  return SnapshotStore.open<SessionState>(nc, names, {
    stateVersion: sessionStateVersion,
    encodedOnce: unchangingStateFields,
    codec: { stored: storedSnapshotState, restored: snapshotState },
  });
}

/** Sessions whose transcript progress is remembered; as many as the session cache holds. */
const rememberedSessions = 10_000;

export interface SessionSnapshotsDeps {
  store: EventStore;
  snapshots: SnapshotStore<SessionState>;
  transcripts: TranscriptStore;
  logger: Logger;
  /** Events between snapshots; 0 turns snapshots off (every resume replays the whole log). */
  every: number;
}

/**
 * Snapshots of session state every `every` events, so a cold session resumes from its snapshot
 * plus the events after it instead of its whole log. An optimisation only: the log stays the
 * truth, a snapshot the log does not confirm is ignored, and a failed write costs a longer replay.
 *
 * A snapshot holds the conversation's latest messages only (at most a transcript chunk); the
 * earlier ones are saved in the transcript store first, so a snapshot's size, and a resume's
 * cost, do not grow with the session.
 */
export class SessionSnapshots {
  readonly #deps: SessionSnapshotsDeps;
  readonly #writing = new Set<Promise<void>>();
  /**
   * Per session, how many of its first messages are known to be in the transcript store. Forgetting
   * one only means saving its chunks again (they never change), so the oldest entries are dropped.
   */
  readonly #transcribed = new Map<string, number>();
  /** Per session, its latest snapshot work in flight, which the next waits for. */
  readonly #queued = new Map<string, Promise<void>>();

  constructor(deps: SessionSnapshotsDeps) {
    this.#deps = deps;
  }

  /** The session from its snapshot and the events after it, or undefined when there is no snapshot to trust. */
  async resume(sessionId: string): Promise<LoadedSession | undefined> {
    const { store, logger } = this.#deps;
    const snapshot = await this.#read(sessionId);
    if (!snapshot) return undefined;
    if (snapshot.state.n !== snapshot.n || !(await store.holds(sessionId, snapshot))) {
      logger.warn({ sessionId, n: snapshot.n, seq: snapshot.seq }, 'snapshot does not match the log; replaying in full');
      return undefined;
    }
    // Only the tail is read; the head comes from the log, so the next append is checked against the real one.
    const { events, head } = await store.load(sessionId, { fromN: snapshot.n + 1, fromSeq: snapshot.seq + 1 });
    const state = fold(events, snapshot.state);
    if (state.status !== 'new') this.#noteTranscribed(sessionId, state.conversation.earlier);
    return { state, head };
  }

  /**
   * Called after each append that moved the session from event `previousN` to `session`; saves a
   * snapshot, off the step path, when the append crossed a multiple of `every`, and removes the
   * snapshot and transcript of a session that completed (it is never resumed; its log has it all).
   */
  appended(sessionId: string, previousN: number, session: LoadedSession): void {
    const { every } = this.#deps;
    const { state, head } = session;
    if (every <= 0 || state.status === 'new') return;
    // The session's first events: it has no snapshot (a task's session is decided as new without reading one).
    if (previousN === 0) this.#deps.snapshots.knownAbsent(sessionId);
    if (state.status === 'completed') {
      this.#transcribed.delete(sessionId);
      if (head.n > every) this.#inTurn(sessionId, head.n, () => this.#forget(sessionId, state));
      return;
    }
    if (Math.floor(head.n / every) === Math.floor(previousN / every)) return;
    this.#inTurn(sessionId, head.n, async () => {
      await this.#deps.snapshots.write(sessionId, { n: head.n, seq: head.seq, state: await this.#transcribe(sessionId, state) });
    });
  }

  /**
   * Runs `work` off the step path (the state is immutable: the step does not wait), after any earlier
   * work for the session, so that removing a completed session's snapshot follows its last write.
   */
  #inTurn(sessionId: string, n: number, work: () => Promise<void>): void {
    const previous = this.#queued.get(sessionId) ?? setImmediate();
    const next = previous.then(work).catch((error: unknown) => {
      this.#deps.logger.warn({ err: error, sessionId, n }, 'snapshot or transcript write failed; a resume replays more of the log');
    });
    this.#queued.set(sessionId, next);
    this.#writing.add(next);
    void next.finally(() => {
      this.#writing.delete(next);
      if (this.#queued.get(sessionId) === next) this.#queued.delete(sessionId);
    });
  }

  async #forget(sessionId: string, state: Extract<SessionState, { status: 'completed' }>): Promise<void> {
    const stored = snapshotFrom(state.conversation, transcriptChunkSize);
    await Promise.all([this.#deps.snapshots.remove(sessionId), this.#deps.transcripts.remove(sessionId, stored)]);
  }

  /**
   * Saves the messages before the last chunk boundary that the transcript store does not have yet,
   * and returns the state holding only the messages after it (at least the last one).
   */
  async #transcribe(sessionId: string, state: ActiveState): Promise<ActiveState> {
    const { conversation } = state;
    const from = snapshotFrom(conversation, transcriptChunkSize);
    const saved = Math.max(this.#transcribed.get(sessionId) ?? 0, conversation.earlier);
    if (saved < from) {
      const unsaved = heldMessages(conversation, saved, from);
      await this.#deps.transcripts.save(sessionId, saved, unsaved);
      this.#noteTranscribed(sessionId, from);
    }
    return { ...state, conversation: heldFrom(conversation, from) };
  }

  #noteTranscribed(sessionId: string, messages: number): void {
    this.#transcribed.delete(sessionId);
    this.#transcribed.set(sessionId, messages);
    const oldest = this.#transcribed.keys().next().value;
    if (this.#transcribed.size > rememberedSessions && oldest !== undefined) this.#transcribed.delete(oldest);
  }

  /** Waits for snapshot writes in flight, so a stopping process does not cut them off. */
  async settled(): Promise<void> {
    await Promise.all(this.#writing);
  }

  async #read(sessionId: string) {
    if (this.#deps.every <= 0) return undefined;
    try {
      return await this.#deps.snapshots.read(sessionId);
    } catch (error) {
      this.#deps.logger.warn({ err: error, sessionId }, 'unreadable snapshot; replaying in full');
      return undefined;
    }
  }
}

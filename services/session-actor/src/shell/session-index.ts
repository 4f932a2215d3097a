import type { KV } from '@nats-io/kv';
import { SessionIndexEntry, type WaitingApproval } from '@signalbox/events';
import { isHeld, type ActiveState } from '@signalbox/session';

const maxRaces = 5;

/** Sessions whose row this actor remembers writing; the oldest are forgotten first. */
const rememberedRows = 10_000;

/** A row as this actor last wrote it: the revision it is at, and what a later write keeps or compares. */
interface WrittenRow {
  revision: number;
  lastN: number;
  createdAt: number;
}

/**
 * The sessions' rows in `sbx-sessions`, each brought up to a state. Rows only move forward (by event
 * number), with compare-and-set, so an actor holding an older view can never overwrite a newer one.
 * A row this actor wrote last is written again at the revision it left, and a new session's row is
 * created outright: only when another actor wrote between is the row read first.
 */
export class SessionIndexRows {
  readonly #index: KV;
  readonly #written = new Map<string, WrittenRow>();

  constructor(index: KV) {
    this.#index = index;
  }

  async record(state: ActiveState, now: number): Promise<void> {
    const next = entryOf(state, now);
    const known = this.#written.get(state.sessionId);
    if (known && known.lastN >= next.lastN) return;
    // Straight to compare-and-set: at the revision this actor left, or creating a new session's row.
    const straight = known ? { ...next, createdAt: known.createdAt } : next;
    if (await this.#write(state.sessionId, straight, known?.revision ?? 0).then(() => true, () => false)) return;
    for (let race = 1; race <= maxRaces; race++) {
      const existing = await this.#index.get(state.sessionId);
      const current = existing?.operation === 'PUT' ? SessionIndexEntry.safeParse(existing.json()) : undefined;
      if (current?.success && current.data.lastN >= next.lastN) return;
      try {
        await this.#write(state.sessionId, current?.success ? { ...next, createdAt: current.data.createdAt } : next, existing?.revision ?? 0);
        return;
      } catch (error) {
        // Another actor wrote the row between our read and write: read it again.
        if (race === maxRaces) throw error;
      }
    }
  }

  /** Writes `row` if the key is still at `revision` (0: absent, so the row is created), and remembers it. */
  async #write(sessionId: string, row: SessionIndexEntry, revision: number): Promise<void> {
    this.#written.delete(sessionId);
    const written = revision === 0 ? await this.#index.create(sessionId, JSON.stringify(row)) : await this.#index.update(sessionId, JSON.stringify(row), revision);
    this.#written.set(sessionId, { revision: written, lastN: row.lastN, createdAt: row.createdAt });
    if (this.#written.size > rememberedRows) this.#written.delete(this.#written.keys().next().value as string);
  }
}

/**
 * Marks the session failed in the index without an event: its log cannot be read (see
 * CorruptLogError), so no state can be folded to decide one. The row keeps what it said of the session.
 */
export async function recordUnreadableInIndex(index: KV, sessionId: string, reason: string, now: number): Promise<void> {
  for (let race = 1; race <= maxRaces; race++) {
    const existing = await index.get(sessionId);
    const current = existing?.operation === 'PUT' ? SessionIndexEntry.safeParse(existing.json()) : undefined;
    if (!existing || !current?.success) return;
    if (current.data.status === 'failed' && current.data.reason === reason) return;
    try {
      await index.update(sessionId, JSON.stringify({ ...current.data, status: 'failed', reason, updatedAt: now }), existing.revision);
      return;
    } catch (error) {
      if (race === maxRaces) throw error;
    }
  }
}

function entryOf(state: ActiveState, now: number): SessionIndexEntry {
  const outcome = state.status === 'completed' ? state.outcome : undefined;
  const approvals = waitingApprovals(state);
  return {
    sessionId: state.sessionId,
    correlationId: state.correlationId,
    agent: state.agent.name,
    status: outcome?.status ?? (state.paused ? 'paused' : state.status === 'idle' ? 'idle' : state.status === 'awaiting_grade' ? 'grading' : 'running'),
    createdAt: now,
    updatedAt: now,
    lastN: state.n,
    costUsd: state.totals.costUsd,
    steps: state.totals.steps,
    ...(outcome?.output !== undefined ? { output: outcome.output } : {}),
    ...(outcome?.reason !== undefined ? { reason: outcome.reason } : {}),
    ...(approvals.length > 0 ? { approvals } : {}),
  };
}

/** The calls the session holds for a person, as `signalbox approvals` lists them. */
function waitingApprovals(state: ActiveState): WaitingApproval[] {
  if (state.status !== 'awaiting_tools') return [];
  return state.pending.filter(isHeld).map(({ callId, tool, approval: { approvalId, input, reason, deadline } }) => ({ approvalId, callId, tool, input, reason, deadline }));
}

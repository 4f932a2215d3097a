import type { KV } from '@nats-io/kv';
import { SessionIndexEntry, type WaitingApproval } from '@signalbox/events';
import { isHeld, type ActiveState } from '@signalbox/session';

const maxRaces = 5;

/**
 * Brings the session's row in `sbx-sessions` up to `state`. Rows only move forward (by event
 * number), with compare-and-set, so an actor holding an older view can never overwrite a newer one.
 */
export async function recordInIndex(index: KV, state: ActiveState, now: number): Promise<void> {
  const next = entryOf(state, now);
  for (let race = 1; race <= maxRaces; race++) {
    const existing = await index.get(state.sessionId);
    const current = existing?.operation === 'PUT' ? SessionIndexEntry.safeParse(existing.json()) : undefined;
    try {
      if (!existing || !current?.success) {
        await (existing ? index.update(state.sessionId, JSON.stringify(next), existing.revision) : index.create(state.sessionId, JSON.stringify(next)));
        return;
      }
      if (current.data.lastN >= next.lastN) return;
      await index.update(state.sessionId, JSON.stringify({ ...next, createdAt: current.data.createdAt }), existing.revision);
      return;
    } catch (error) {
      // Another actor wrote the row between our read and write: read it again.
      if (race === maxRaces) throw error;
    }
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

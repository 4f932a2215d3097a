import { isPastRetention, type RetentionRules } from '@signalbox/events';
import { planDeletion, type SessionDeletion, type SessionFacts } from '@signalbox/store';

/** What one sweep deletes, and the expired sessions it keeps because something not expired depends on them. */
export interface Sweep {
  deletions: SessionDeletion[];
  held: { sessionId: string; by: string[] }[];
}

/**
 * The sessions a sweep at `now` deletes: the expired ones, except those a session that is not being
 * deleted (a fork or subagent still kept) depends on; those wait until it expires too, as a user's
 * delete without --cascade would. Never a running session.
 */
export function sweep(known: readonly SessionFacts[], rules: RetentionRules, now: number): Sweep {
  const chosen = new Set(known.filter((facts) => isPastRetention(facts, rules, now)).map(({ sessionId }) => sessionId));
  const dependents = dependentsOf(known);
  const held = new Map<string, string[]>();
  // Keeping one session can keep what it depends on: repeat until nothing more is kept.
  for (let changed = true; changed; ) {
    changed = false;
    for (const sessionId of chosen) {
      const kept = (dependents.get(sessionId) ?? []).filter((id) => !chosen.has(id));
      if (kept.length === 0) continue;
      chosen.delete(sessionId);
      held.set(sessionId, kept);
      changed = true;
    }
  }
  const plan = planDeletion([...chosen], known, false);
  if (plan.kind === 'refused') throw new Error(`a sweep planned a deletion its own planner refuses: ${JSON.stringify(plan.refusals)}`);
  return { deletions: plan.sessions, held: [...held].map(([sessionId, by]) => ({ sessionId, by })) };
}

function dependentsOf(known: readonly SessionFacts[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const { sessionId, parent, forkedFrom } of known) {
    for (const origin of [parent, forkedFrom]) if (origin !== undefined) map.set(origin, [...(map.get(origin) ?? []), sessionId]);
  }
  return map;
}

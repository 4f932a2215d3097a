import type { ForkOrigin, TextBlock } from '@signalbox/events';

/** The decider version from which a session takes a supervisor's rewind, and a fork reads its hint; before it, a rewind is refused. */
export const rewindFrom = 7;

interface Forked {
  forkedFrom: ForkOrigin | null;
  deciderVersion: number;
}

/**
 * A fork's hint (a rewind's, `forkedFrom.hint`) is a note from its fork point on: it joins the user
 * message the fork point's event forms (a turn's tool results, after any nudges), or the next one, as
 * a nudge does. So it is added to the notes as event `forkedFrom.n` is folded.
 */
export function withForkHint<S extends Forked & { notes: string[] }>(state: S, n: number): S {
  const hint = hintOf(state);
  return hint !== undefined && n === state.forkedFrom?.n ? { ...state, notes: [...state.notes, hint] } : state;
}

/** The blocks after the task's input in a session's first message: the hint of a fork at its first event. */
export function hintAtStart(created: Forked): TextBlock[] {
  const hint = hintOf(created);
  return hint !== undefined && created.forkedFrom?.n === 1 ? [{ type: 'text', text: hint }] : [];
}

function hintOf({ forkedFrom, deciderVersion }: Forked): string | undefined {
  return deciderVersion >= rewindFrom ? forkedFrom?.hint : undefined;
}

import { defineDetector, intervenedFor } from './detector.ts';
import { digest, normalisedText } from './text.ts';
import { asksForTools, closesTurn } from './turns.ts';

export interface NoProgressThresholds {
  /** Model turns in a row that learned nothing and changed nothing. */
  steps: number;
}

interface Turn {
  /** Its `model.responded`. */
  n: number;
  outcomes: number;
  /** Some call brought an output never seen before, or changed state. */
  learned: boolean;
}

export interface NoProgressState {
  /** Digests of every tool output (and error) the session has seen. */
  seen: ReadonlySet<string>;
  turn: Turn | undefined;
  /** The turns of the current stretch without progress. */
  stale: number[];
}

const name = 'no_progress';

/**
 * `steps` model turns (default 10) in a row whose tool calls brought back only outputs the session had
 * already seen (compared by digest, whitespace normalised) and changed no state. A turn without tool
 * calls, or whose calls have no outcome yet, neither counts nor breaks the stretch.
 */
export const noProgress = defineDetector<NoProgressState, NoProgressThresholds>({
  name,
  action: 'nudge',
  settings: { steps: 10 },
  initial: () => ({ seen: new Set(), turn: undefined, stale: [] }),
  evolve(state, event, { observation }) {
    if (intervenedFor(event, name)) return { ...state, turn: undefined, stale: [] };
    if (closesTurn(event)) return closed(state);
    if (event.type === 'model.responded') return asksForTools(event) ? { ...closed(state), turn: { n: event.n, outcomes: 0, learned: false } } : state;
    if (state.turn === undefined) return state;
    let output: string;
    if (event.type === 'tool.completed') output = event.data.wholeOutput?.sha256 ?? event.data.output;
    else if (event.type === 'tool.failed') output = event.data.error;
    else if (event.type === 'tool.outcome_unknown') output = event.data.reason;
    else return state;
    const key = digest(normalisedText(output));
    const learned = state.turn.learned || observation.changesState || !state.seen.has(key);
    const seen = state.seen.has(key) ? state.seen : new Set(state.seen).add(key);
    return { ...state, seen, turn: { ...state.turn, outcomes: state.turn.outcomes + 1, learned } };
  },
  check(state, { settings }) {
    if (state.stale.length < settings.steps) return undefined;
    return {
      reason: `The last ${state.stale.length} steps brought no new information: every tool output was one the agent had already seen, and nothing changed.`,
      evidence: state.stale,
    };
  },
});

function closed(state: NoProgressState): NoProgressState {
  const { turn } = state;
  if (turn === undefined || turn.outcomes === 0) return { ...state, turn: undefined };
  return { ...state, turn: undefined, stale: turn.learned ? [] : [...state.stale, turn.n] };
}

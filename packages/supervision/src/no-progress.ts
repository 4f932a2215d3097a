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
  /**
   * Digests of the tool outputs (and errors) the session has seen, in the order first seen: this state
   * knows the first `known`. Successive states share the map, so a new output costs no copy of them all.
   */
  seen: ReadonlyMap<string, number>;
  known: number;
  turn: Turn | undefined;
  /** The current stretch without progress: how many turns, and the first `steps` of them. */
  staleTurns: number;
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
  initial: () => ({ seen: new Map(), known: 0, turn: undefined, staleTurns: 0, stale: [] }),
  evolve(state, event, { observation, settings }) {
    if (intervenedFor(event, name)) return { ...state, turn: undefined, staleTurns: 0, stale: [] };
    if (closesTurn(event)) return closed(state, settings);
    if (event.type === 'model.responded') return asksForTools(event) ? { ...closed(state, settings), turn: { n: event.n, outcomes: 0, learned: false } } : state;
    if (state.turn === undefined) return state;
    let output: string;
    if (event.type === 'tool.completed') output = event.data.wholeOutput?.sha256 ?? event.data.output;
    else if (event.type === 'tool.failed') output = event.data.error;
    else if (event.type === 'tool.outcome_unknown') output = event.data.reason;
    else return state;
    const key = digest(normalisedText(output));
    const known = hasSeen(state, key);
    const learned = state.turn.learned || observation.changesState || !known;
    return { ...(known ? state : withSeen(state, key)), turn: { ...state.turn, outcomes: state.turn.outcomes + 1, learned } };
  },
  check(state, { settings }) {
    if (state.staleTurns < settings.steps) return undefined;
    return {
      reason: `The last ${state.staleTurns} steps brought no new information: every tool output was one the agent had already seen, and nothing changed.`,
      evidence: state.stale,
    };
  },
});

function closed(state: NoProgressState, settings: NoProgressThresholds): NoProgressState {
  const { turn } = state;
  if (turn === undefined || turn.outcomes === 0) return { ...state, turn: undefined };
  if (turn.learned) return { ...state, turn: undefined, staleTurns: 0, stale: [] };
  const stale = state.stale.length < settings.steps ? [...state.stale, turn.n] : state.stale;
  return { ...state, turn: undefined, staleTurns: state.staleTurns + 1, stale };
}

function hasSeen(state: NoProgressState, key: string): boolean {
  const order = state.seen.get(key);
  return order !== undefined && order < state.known;
}

function withSeen(state: NoProgressState, key: string): NoProgressState {
  // Appending is safe while no later state has added to the shared map; an older state evolved again gets a copy of its own.
  const shared = state.seen.size === state.known && !state.seen.has(key);
  const seen = shared ? (state.seen as Map<string, number>) : new Map([...state.seen].filter(([, order]) => order < state.known));
  seen.set(key, state.known);
  return { ...state, seen, known: state.known + 1 };
}

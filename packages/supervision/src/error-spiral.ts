import { defineDetector, intervenedFor, type Suspicion } from './detector.ts';
import { normalisedText } from './text.ts';
import { closesTurn } from './turns.ts';

export interface ErrorSpiralThresholds {
  /** Failed attempts in a row: a turn whose every call failed, or a model call that failed (its retries are one attempt). */
  failuresInARow: number;
  /** The same error (tool and message kind) this many times within `sameErrorWindow` model turns, fixes tried between or not. */
  sameError: number;
  sameErrorWindow: number;
}

interface Failure {
  n: number;
  /** The tool and the error's kind. */
  kind: string;
  /** The model turn it came in. */
  turn: number;
}

export interface ErrorSpiralState {
  turns: number;
  /** This turn's failed calls, and whether any call succeeded. */
  failed: Failure[];
  succeeded: boolean;
  /** Model calls that failed, so a retry's failure is not a new attempt. */
  failedModelCalls: string[];
  /** The current run of failed attempts, each its failures. */
  run: number[][];
  /** Failed calls of the last `sameErrorWindow` turns. */
  recent: Failure[];
  /** Error kinds reported and still in the window: until they leave it, no other kind is reported. */
  reported: string[];
  found: Suspicion | undefined;
}

const name = 'error_spiral';

/** `failuresInARow` failed attempts in a row (default 3), or the same error `sameError` times (4) within `sameErrorWindow` turns (20). */
export const errorSpiral = defineDetector<ErrorSpiralState, ErrorSpiralThresholds>({
  name,
  action: 'nudge',
  settings: { failuresInARow: 3, sameError: 4, sameErrorWindow: 20 },
  initial: () => ({ turns: 0, failed: [], succeeded: false, failedModelCalls: [], run: [], recent: [], reported: [], found: undefined }),
  evolve(state, event, { settings }) {
    const next = { ...state, found: undefined };
    if (intervenedFor(event, name)) return { ...next, run: [], recent: [], reported: [] };
    if (event.type === 'model.failed') {
      if (state.failedModelCalls.includes(event.data.callId)) return next;
      return failedAttempt({ ...next, failedModelCalls: [...state.failedModelCalls, event.data.callId] }, [event.n], settings);
    }
    if (event.type === 'tool.failed') return { ...next, failed: [...state.failed, { n: event.n, kind: `${event.data.tool} ${errorKind(event.data.error)}`, turn: state.turns }] };
    if (event.type === 'tool.completed') return { ...next, succeeded: true };
    if (closesTurn(event)) return closeTurn(next, settings);
    return next;
  },
  check: (state) => state.found,
});

function closeTurn(state: ErrorSpiralState, settings: ErrorSpiralThresholds): ErrorSpiralState {
  const turns = state.turns + 1;
  const recent = [...state.recent, ...state.failed].filter((failure) => failure.turn > turns - 1 - settings.sameErrorWindow);
  const reported = state.reported.filter((kind) => recent.some((failure) => failure.kind === kind));
  const next = { ...state, turns, failed: [], succeeded: false, recent, reported };
  if (state.succeeded) return { ...next, run: [] };
  if (state.failed.length === 0) return next;
  const repeated = sameErrorIn(next, settings);
  const afterRun = failedAttempt(next, state.failed.map((failure) => failure.n), settings);
  return afterRun.found === undefined && repeated !== undefined ? { ...afterRun, ...repeated } : afterRun;
}

function failedAttempt(state: ErrorSpiralState, failures: number[], settings: ErrorSpiralThresholds): ErrorSpiralState {
  if (state.run.length >= settings.failuresInARow) return state;
  const run = [...state.run, failures];
  const next = { ...state, run };
  // A run that goes on past the threshold is the same spiral: it is no longer extended.
  if (run.length < settings.failuresInARow) return next;
  return { ...next, found: { reason: `The last ${run.length} attempts failed one after another.`, evidence: run.flat() } };
}

function sameErrorIn(state: ErrorSpiralState, settings: ErrorSpiralThresholds): Pick<ErrorSpiralState, 'found' | 'reported'> | undefined {
  const byKind = new Map<string, number[]>();
  for (const failure of state.recent) byKind.set(failure.kind, [...(byKind.get(failure.kind) ?? []), failure.n]);
  // While a reported error still comes back within the window, it is the same spiral: other errors in it are not news.
  if (state.reported.length > 0) return undefined;
  for (const [kind, evidence] of byKind) {
    if (evidence.length < settings.sameError) continue;
    const reason = `The same error came back ${evidence.length} times in the last ${settings.sameErrorWindow} steps: ${kind.slice(kind.indexOf(' ') + 1)}`;
    return { found: { reason, evidence, pattern: `error:${evidence[0]}` }, reported: [...state.reported, kind] };
  }
  return undefined;
}

/**
 * An error's kind: its last line that names an error (else its last line), quoted text and long numbers
 * (ids, times, addresses) blanked. Short numbers stay: `3 failed` is not `1 failed`.
 */
export function errorKind(error: string): string {
  const lines = error.split('\n').map(normalisedText).filter((line) => line !== '');
  const named = lines.filter((line) => /error|exception|failed|not found|no such/i.test(line));
  const line = named[named.length - 1] ?? lines[lines.length - 1] ?? '';
  return line
    .replace(/(["'`]).*?\1/g, '$1…$1')
    .replace(/\d{4,}/g, '#')
    .slice(0, 160);
}

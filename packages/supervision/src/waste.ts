import { defineDetector, intervenedFor, type DetectorContext, type Suspicion } from './detector.ts';
import { digest } from './text.ts';

export interface WasteThresholds {
  /** The rate is measured over the last `rateWindow` model turns (k)... */
  rateWindow: number;
  /** ...and flagged when it would spend the rest of the cost or wall-clock budget within `horizon` turns (m). */
  horizon: number;
  /** An output at least this long... */
  largeOutputChars: number;
  /** ...seen this many times. */
  largeOutputReads: number;
}

interface TurnMark {
  n: number;
  at: number;
  costUsd: number;
}

export interface WasteState {
  /** The last `rateWindow + 1` model turns. */
  marks: TurnMark[];
  /** Budget projections reported, per budget limit, until a resume changes the budget. */
  projected: string[];
  budgets: number;
  /** Events of each large output, by digest. */
  outputs: Record<string, number[]>;
  reported: string[];
  found: Suspicion | undefined;
}

type Context = DetectorContext<WasteThresholds>;

const name = 'waste';

/**
 * Spend or time per step over the last `rateWindow` turns (default 5) that would exhaust the cost or
 * wall-clock budget within `horizon` turns (3) while the step budget has more left: the model should
 * wrap up. And the same large output (2,000 characters or more) read `largeOutputReads` times (3).
 */
export const waste = defineDetector<WasteState, WasteThresholds>({
  name,
  action: 'nudge',
  settings: { rateWindow: 5, horizon: 3, largeOutputChars: 2_000, largeOutputReads: 3 },
  initial: () => ({ marks: [], projected: [], budgets: 0, outputs: {}, reported: [], found: undefined }),
  evolve(state, event, context) {
    const next = { ...state, found: undefined };
    if (intervenedFor(event, name)) return { ...next, outputs: {}, reported: [] };
    if (event.type === 'session.resumed' && event.data.budget !== undefined) return { ...next, projected: [], budgets: state.budgets + 1 };
    if (event.type === 'model.responded') {
      const marks = [...state.marks, { n: event.n, at: event.at, costUsd: context.view.costUsd }].slice(-(context.settings.rateWindow + 1));
      return projected({ ...next, marks }, context);
    }
    if (event.type === 'tool.completed') {
      const { output, wholeOutput } = event.data;
      if ((wholeOutput?.chars ?? output.length) < context.settings.largeOutputChars) return next;
      return largeOutputRead(next, wholeOutput?.sha256 ?? digest(output), event.n, context);
    }
    return next;
  },
  check: (state) => state.found,
});

function projected(state: WasteState, { view, settings }: Context): WasteState {
  const first = state.marks[0];
  const last = state.marks[state.marks.length - 1];
  if (first === undefined || last === undefined || state.marks.length <= settings.rateWindow) return state;
  const stepsLeft = view.budget.maxSteps - view.steps;
  if (stepsLeft <= settings.horizon) return state;
  const limits: { limit: string; left: number; perStep: number; say: (value: number) => string }[] = [];
  if (view.budget.maxCostUsd !== undefined) {
    limits.push({ limit: 'maxCostUsd', left: view.budget.maxCostUsd - view.costUsd, perStep: (last.costUsd - first.costUsd) / settings.rateWindow, say: (usd) => `$${usd.toFixed(4)}` });
  }
  if (view.budget.maxWallClockMs !== undefined) {
    const used = last.at - view.startedAt;
    limits.push({ limit: 'maxWallClockMs', left: view.budget.maxWallClockMs - used, perStep: (last.at - first.at) / settings.rateWindow, say: (ms) => `${Math.round(ms / 1000)} s` });
  }
  for (const { limit, left, perStep, say } of limits) {
    const key = `${limit}:${state.budgets}`;
    if (perStep <= 0 || left / perStep >= settings.horizon || state.projected.includes(key)) continue;
    const reason = `At ${say(perStep)} a step over the last ${settings.rateWindow} steps, the ${say(Math.max(left, 0))} left of the budget lasts about ${Math.floor(Math.max(left, 0) / perStep)} more steps, with ${stepsLeft} steps still allowed: wrap up.`;
    const evidence = state.marks.slice(1).map((mark) => mark.n);
    return { ...state, projected: [...state.projected, key], found: { reason, evidence, pattern: key } };
  }
  return state;
}

function largeOutputRead(state: WasteState, key: string, n: number, { settings }: Context): WasteState {
  const evidence = [...(state.outputs[key] ?? []), n];
  const next = { ...state, outputs: { ...state.outputs, [key]: evidence } };
  if (evidence.length < settings.largeOutputReads || state.reported.includes(key)) return next;
  const reason = `The same large output came back ${evidence.length} times; the agent already has it.`;
  return { ...next, reported: [...state.reported, key], found: { reason, evidence, pattern: `output:${evidence[0]}` } };
}

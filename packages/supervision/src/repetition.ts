import type { SessionEvent } from '@signalbox/events';
import { defineDetector, intervenedFor, type DetectorContext, type Suspicion } from './detector.ts';
import type { Call } from './session-view.ts';
import { digest, normalisedText } from './text.ts';
import { asksForTools } from './turns.ts';

export interface RepetitionThresholds {
  /** The same call this many times, with no state change between, within `window` calls. */
  repeats: number;
  window: number;
  /** The longest block of calls whose `repeats` back-to-back repeats make a loop. */
  maxPeriod: number;
  /** The same reply text (a reply without tool calls) this many times with no state change between (0: off). */
  replyRepeats: number;
  minReplyChars: number;
}

interface Occurrence {
  key: string;
  /** Its `tool.requested`. */
  n: number;
  /** Its position among the session's calls. */
  index: number;
}

interface Loop {
  period: number;
  /** The requests of its first `repeats` blocks. */
  evidence: number[];
}

export interface RepetitionState {
  requests: number;
  /** Each call's occurrences since the state last changed, or its result did. */
  since: Record<string, Occurrence[]>;
  /** Each call's last result, by digest. */
  results: Record<string, string>;
  /** The last `maxPeriod × repeats` calls that ended, keyed by call and result, for blocks repeated back to back. */
  recent: Occurrence[];
  loop: Loop | undefined;
  /** Each reply text's `model.responded` events since the last state change. */
  replies: Record<string, number[]>;
  /**
   * Calls and replies reported since the state last changed. While there are any, the detector is
   * quiet: a cycle through seven greps is one loop, not seven, until the state changes or the
   * supervisor intervenes (the service acts on the first finding, and its intervention starts afresh).
   */
  reported: string[];
  found: Suspicion | undefined;
}

type Context = DetectorContext<RepetitionThresholds>;

const name = 'repetition';

/**
 * Three rules. The same tool with the same input `repeats` times (default 3) within `window` calls
 * (20), with no state change between and the same result each time, found at the request, before it
 * runs. A block of up to `maxPeriod` calls (20) with the same results, repeated `repeats` times back to
 * back, state changes or not (the same edit made again, the same test failing the same way). The same
 * reply text again, for replies without tool calls (those are judged by their calls).
 */
export const repetition = defineDetector<RepetitionState, RepetitionThresholds>({
  name,
  action: 'nudge',
  settings: { repeats: 3, window: 20, maxPeriod: 20, replyRepeats: 3, minReplyChars: 20 },
  initial: () => initialRepetition(),
  evolve(state, event, context) {
    const next = { ...state, found: undefined };
    const { call } = context.observation;
    if (intervenedFor(event, name)) return initialRepetition();
    if (event.type === 'tool.requested' && call !== undefined) return requested(next, call, context);
    if (event.type === 'model.responded') return replied(next, event, context);
    if (call === undefined || (event.type !== 'tool.completed' && event.type !== 'tool.failed' && event.type !== 'tool.outcome_unknown')) return next;
    const result = digest(normalisedText(event.type === 'tool.completed' ? event.data.output : event.type === 'tool.failed' ? event.data.error : event.data.reason));
    const afterLoop = ended(next, call, result, context);
    if (context.observation.changesState) return { ...afterLoop, since: {}, replies: {}, reported: [] };
    return resultChanged(afterLoop, call, result);
  },
  check: (state) => state.found,
});

function initialRepetition(): RepetitionState {
  return { requests: 0, since: {}, results: {}, recent: [], loop: undefined, replies: {}, reported: [], found: undefined };
}

/** Rule one, at the request: the same call again with nothing changed since. */
function requested(state: RepetitionState, call: Call, { settings }: Context): RepetitionState {
  const occurrence = { key: call.key, n: call.n, index: state.requests };
  const inWindow = (earlier: Occurrence) => earlier.index > occurrence.index - settings.window;
  const occurrences = [...(state.since[call.key] ?? []).filter(inWindow), occurrence];
  // Only calls made within the window can repeat: the rest are let go, so the state stays small.
  const since: Record<string, Occurrence[]> = { [call.key]: occurrences };
  const results: Record<string, string> = {};
  const own = state.results[call.key];
  if (own !== undefined) results[call.key] = own;
  for (const [key, earlier] of Object.entries(state.since)) {
    if (key === call.key || !earlier.some(inWindow)) continue;
    since[key] = earlier;
    const result = state.results[key];
    if (result !== undefined) results[key] = result;
  }
  const next = { ...state, requests: state.requests + 1, since, results };
  if (occurrences.length < settings.repeats || state.reported.length > 0) return next;
  const evidence = occurrences.map((earlier) => earlier.n);
  const reason = `The agent called ${call.tool} with the same input ${occurrences.length} times with nothing changed in between; the result will not differ.`;
  return { ...next, reported: [...state.reported, call.key], found: { reason, evidence, pattern: `same:${evidence[0]}` } };
}

/** A call whose result differs from its last one: the world changed, so the call may be asked again. */
function resultChanged(state: RepetitionState, call: Call, result: string): RepetitionState {
  const last = state.results[call.key];
  const results = { ...state.results, [call.key]: result };
  if (last === undefined || last === result) return { ...state, results };
  const since = { ...state.since, [call.key]: (state.since[call.key] ?? []).filter((occurrence) => occurrence.n === call.n) };
  return { ...state, results, since, reported: state.reported.filter((key) => key !== call.key) };
}

/** Rule two, at each call's end: a block of calls and results repeated back to back. */
function ended(state: RepetitionState, call: Call, result: string, { settings }: Context): RepetitionState {
  const recent = [...state.recent, { key: `${call.key} -> ${result}`, n: call.n, index: state.requests }].slice(-settings.maxPeriod * settings.repeats);
  const loop = continuing(state.loop, recent) ?? loopIn(recent, settings);
  const next = { ...state, recent, loop };
  if (loop === undefined || loop === state.loop) return next;
  const callKeys = recent.slice(-loop.period).map((occurrence) => occurrence.key.slice(0, occurrence.key.lastIndexOf(' -> ')));
  const reported = [...new Set([...state.reported, ...callKeys])];
  if (state.reported.length > 0) return { ...next, reported };
  const what = loop.period === 1 ? 'the same call' : `the same ${loop.period} calls`;
  const reason = `The agent is in a loop: it made ${what} ${settings.repeats} times back to back, with the same results.`;
  return { ...next, reported, found: { reason, evidence: loop.evidence, pattern: `loop:${loop.evidence[0]}` } };
}

/** The loop still going on: the new call repeats the one a period before it. */
function continuing(loop: Loop | undefined, recent: Occurrence[]): Loop | undefined {
  if (loop === undefined) return undefined;
  const last = recent[recent.length - 1];
  const before = recent[recent.length - 1 - loop.period];
  return last !== undefined && before !== undefined && last.key === before.key ? loop : undefined;
}

/** The shortest block at the end of `recent` repeated `repeats` times back to back. */
function loopIn(recent: Occurrence[], { repeats, maxPeriod }: RepetitionThresholds): Loop | undefined {
  for (let period = 1; period <= maxPeriod && period * repeats <= recent.length; period += 1) {
    const span = recent.slice(-period * repeats);
    if (span.every((occurrence, index) => index < period || occurrence.key === span[index - period]?.key)) {
      return { period, evidence: span.map((occurrence) => occurrence.n) };
    }
  }
  return undefined;
}

/** Rule three: the same text-only reply again. */
function replied(state: RepetitionState, event: Extract<SessionEvent, { type: 'model.responded' }>, { settings }: Context): RepetitionState {
  if (asksForTools(event)) return state;
  const text = normalisedText(event.data.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join(' '));
  if (settings.replyRepeats === 0 || text.length < settings.minReplyChars) return state;
  const key = `reply ${digest(text)}`;
  const evidence = [...(state.replies[key] ?? []), event.n];
  const next = { ...state, replies: { ...state.replies, [key]: evidence } };
  if (evidence.length < settings.replyRepeats || state.reported.length > 0) return next;
  const reason = `The model gave the same reply ${evidence.length} times with nothing changed in between.`;
  return { ...next, reported: [...state.reported, key], found: { reason, evidence, pattern: `reply:${evidence[0]}` } };
}

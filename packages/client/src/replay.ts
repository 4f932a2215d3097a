import { styleText } from 'node:util';
import type { SessionEvent, Totals } from '@signalbox/events';
import { styleOf, summarise, type SessionSummary } from './timeline.ts';

type Style = Parameters<typeof styleText>[0];

export interface ReplayOptions {
  /** Print whole texts instead of an excerpt of each. */
  full?: boolean;
  /** Stop after the event numbered `to`. */
  to?: number;
  colour?: boolean;
}

/** Characters of a text shown before it is cut, unless `full`. */
export const excerptLength = 160;

/** What a replay came to: the session's summary, plus what the run did up to where the replay stopped. */
export interface ReplaySummary extends SessionSummary {
  /** The last event replayed. */
  to: number;
  /** Totals counted from the replayed events; the recorded ones when the session completed within them. */
  totals: Totals;
  modelCalls: number;
  modelFailures: number;
  toolFailures: number;
}

/** The run as a person reads it: steps, model calls, tool calls with inputs and results, failures, budget and the end. */
export function replayTimeline(events: readonly SessionEvent[], options: ReplayOptions = {}): string[] {
  const shown = upTo(events, options.to);
  const paint = (style: Style, text: string) => (options.colour ? styleText(style, text, { validateStream: false }) : text);
  // Whole texts under --full; otherwise a trailing newline is not worth a blank line.
  const excerpt = (text: string) => (options.full ? text : excerptOf(text.trimEnd(), false));
  const start = shown[0]?.at ?? 0;
  const lines: string[] = [];
  let step = 0;
  for (const event of shown) {
    if (event.type === 'model.requested' && event.data.attempt === 1) lines.push(paint('bold', `step ${(step += 1)}`));
    const offset = `+${((event.at - start) / 1000).toFixed(3)}s`.padStart(9);
    lines.push(`${paint('dim', `#${String(event.n).padStart(3)} ${offset}`)}  ${paint(styleOf(event), event.type.padEnd(20))} ${headlineOf(event)}`);
    for (const body of bodiesOf(event)) lines.push(...indent(excerpt(body)));
  }
  const summary = replaySummary(events, options.to);
  lines.push('', paint(summary.status === 'succeeded' ? 'green' : summary.status === 'running' ? 'yellow' : 'red', totalsLine(summary)));
  if (summary.reason) lines.push(`reason: ${summary.reason}`);
  if (shown.length < events.length) lines.push(paint('dim', `stopped at #${summary.to} of ${events.at(-1)?.n ?? 0} (--to)`));
  return lines;
}

/** The summary `--json` prints next to the events. */
export function replaySummary(events: readonly SessionEvent[], to?: number): ReplaySummary {
  const shown = upTo(events, to);
  const summary = summarise(events[0]?.sessionId ?? '', shown);
  return {
    ...summary,
    to: shown.at(-1)?.n ?? 0,
    totals: summary.totals ?? totalsOf(shown),
    modelCalls: shown.filter((event) => event.type === 'model.requested').length,
    modelFailures: shown.filter((event) => event.type === 'model.failed').length,
    toolFailures: shown.filter((event) => event.type === 'tool.failed' || event.type === 'tool.outcome_unknown').length,
  };
}

function upTo(events: readonly SessionEvent[], to: number | undefined): readonly SessionEvent[] {
  return to === undefined ? events : events.filter((event) => event.n <= to);
}

/** Whole, or cut with a note saying how much is left out and how to see it. */
export function excerptOf(text: string, full: boolean): string {
  if (full || text.length <= excerptLength) return text;
  return `${text.slice(0, excerptLength).replace(/\n/g, '↵')}… (+${text.length - excerptLength} chars, --full)`;
}

function headlineOf(event: SessionEvent): string {
  switch (event.type) {
    case 'session.created':
      return `agent ${event.data.agent.name} · ${event.data.agent.model} · budget ${JSON.stringify(event.data.budget)}`;
    case 'model.requested':
      return `${event.data.callId} ${event.data.model} attempt ${event.data.attempt} · digest ${event.data.digest.slice(0, 12)}`;
    case 'model.responded': {
      const { model, usage, costUsd, latencyMs, stopReason } = event.data;
      return `${model} · ${usage.inputTokens} in / ${usage.outputTokens} out tokens · $${costUsd.toFixed(4)} · ${latencyMs} ms · ${stopReason}`;
    }
    case 'model.failed':
      return `${event.data.callId} ${event.data.code} · ${event.data.retryable ? 'retryable' : 'not retryable'} · attempt ${event.data.attempt}`;
    case 'tool.requested':
      return `${event.data.tool} (${event.data.callId})`;
    case 'tool.completed':
    case 'tool.failed':
      return `${event.data.tool} (${event.data.callId}) · ${event.data.durationMs} ms`;
    case 'tool.outcome_unknown':
      return `${event.data.tool} (${event.data.callId}) · may or may not have run`;
    case 'budget.exceeded':
      return `${event.data.limit}: used ${event.data.used} of ${event.data.allowed}`;
    case 'session.completed':
      return event.data.status;
    default:
      return excerptOf(JSON.stringify(event.data), false);
  }
}

/** The texts worth reading under an event's headline. */
function bodiesOf(event: SessionEvent): string[] {
  switch (event.type) {
    case 'session.created':
      return [`input: ${event.data.input}`];
    case 'model.responded':
      return event.data.content.map((block) => (block.type === 'text' ? block.text : `→ ${block.name} ${JSON.stringify(block.input)}`));
    case 'model.failed':
      return [event.data.message];
    case 'tool.requested':
      return [`input: ${JSON.stringify(event.data.input)}`];
    case 'tool.completed':
      return [`→ ${event.data.output}`];
    case 'tool.failed':
      return [`✗ ${event.data.error}`];
    case 'tool.outcome_unknown':
      return [`? ${event.data.reason}`];
    case 'session.completed':
      return event.data.output ? [`output: ${event.data.output}`] : [];
    default:
      return [];
  }
}

function indent(text: string): string[] {
  return text.split('\n').map((line) => `                ${line}`);
}

function totalsLine(summary: ReplaySummary): string {
  const { steps, toolCalls, inputTokens, outputTokens, costUsd } = summary.totals;
  return (
    `${summary.status} · ${summary.events} events · ${(summary.durationMs / 1000).toFixed(3)} s · ${steps} steps · ${summary.modelCalls} model calls` +
    ` · ${toolCalls} tool calls · ${inputTokens} in / ${outputTokens} out tokens · $${costUsd.toFixed(4)}` +
    (summary.modelFailures + summary.toolFailures > 0 ? ` · ${summary.modelFailures} model failures · ${summary.toolFailures} tool failures` : '')
  );
}

/** Totals of a run that has not completed (or was replayed only part way), counted as the session actor counts them. */
function totalsOf(events: readonly SessionEvent[]): Totals {
  const totals: Totals = { steps: 0, toolCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
  for (const event of events) {
    if (event.type === 'model.requested' && event.data.attempt === 1) totals.steps += 1;
    if (event.type === 'model.responded') {
      totals.inputTokens += event.data.usage.inputTokens;
      totals.outputTokens += event.data.usage.outputTokens;
      totals.costUsd += event.data.costUsd;
    }
    if (event.type === 'tool.completed' || event.type === 'tool.failed' || event.type === 'tool.outcome_unknown') totals.toolCalls += 1;
  }
  return totals;
}

import { replaySummary, type ReplaySummary } from '@signalbox/client';
import type { SessionEvent } from '@signalbox/events';
import { startsStep } from '@signalbox/session';
import { textsOf } from './event-texts.ts';
import { dollars, excerptOf } from './excerpts.ts';
import { formatEvent, paint } from './timeline.ts';

export interface ReplayOptions {
  /** Print whole texts instead of an excerpt of each. */
  full?: boolean;
  /** Stop after the event numbered `to`. */
  to?: number;
  colour?: boolean;
}

/** The run as a person reads it: steps, model calls, tool calls with inputs and results, failures, budget and the end. */
export function replayTimeline(events: readonly SessionEvent[], options: ReplayOptions = {}): string[] {
  const colour = options.colour ?? false;
  const shown = eventsUpTo(events, options.to);
  const view = { kind: 'replay', start: shown[0]?.at ?? 0 } as const;
  // Whole texts under --full; otherwise a trailing newline is not worth a blank line.
  const excerpt = (text: string) => (options.full ? text : excerptOf(text.trimEnd(), false));
  const lines: string[] = [];
  let step = 0;
  for (const event of shown) {
    if (startsStep(event)) lines.push(paint(colour, 'bold', `step ${(step += 1)}`));
    lines.push(formatEvent(event, colour, view));
    for (const body of textsOf(event).bodies) lines.push(...indent(excerpt(body)));
  }
  const summary = replaySummary(events, options.to);
  lines.push('', paint(colour, summary.status === 'succeeded' ? 'green' : summary.status === 'running' || summary.status === 'paused' ? 'yellow' : 'red', totalsLine(summary)));
  if (summary.reason) lines.push(`reason: ${summary.reason}`);
  if (shown.length < events.length) lines.push(paint(colour, 'dim', `stopped at #${summary.to} of ${events.at(-1)?.n ?? 0} (--to)`));
  return lines;
}

/** The events a replay that stops after event `to` shows: all of them when `to` is undefined. */
export function eventsUpTo(events: readonly SessionEvent[], to: number | undefined): readonly SessionEvent[] {
  return to === undefined ? events : events.filter((event) => event.n <= to);
}

function indent(text: string): string[] {
  return text.split('\n').map((line) => `                ${line}`);
}

function totalsLine(summary: ReplaySummary): string {
  const { steps, toolCalls, inputTokens, outputTokens, costUsd } = summary.totals;
  return (
    `${summary.status} · ${summary.events} events · ${(summary.durationMs / 1000).toFixed(3)} s · ${steps} steps · ${summary.modelCalls} model calls` +
    ` · ${toolCalls} tool calls · ${inputTokens} in / ${outputTokens} out tokens · ${dollars(costUsd)}` +
    (summary.modelFailures + summary.toolFailures > 0 ? ` · ${summary.modelFailures} model failures · ${summary.toolFailures} tool failures` : '')
  );
}

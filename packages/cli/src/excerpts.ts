import type { Totals } from '@signalbox/events';

/** Characters of a replay's text shown before it is cut, unless `--full`. */
export const excerptLength = 160;

/** Whole, or cut with a note saying how much is left out and how to see it. */
export function excerptOf(text: string, full: boolean): string {
  if (full || text.length <= excerptLength) return text;
  return `${text.slice(0, excerptLength).replace(/\n/g, '↵')}… (+${text.length - excerptLength} chars, --full)`;
}

/** At most `max` characters, the last an ellipsis when cut: for one-line views. */
export function clip(text: string, max = 100): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A cost as every view prints it. */
export function dollars(costUsd: number): string {
  return `$${costUsd.toFixed(4)}`;
}

/** What a session (or a tree of them) spent, as `inspect` prints it. */
export function spendOf(totals: Totals): string {
  return `${totals.steps} steps · ${totals.toolCalls} tool calls · ${totals.inputTokens}→${totals.outputTokens} tokens · ${dollars(totals.costUsd)}`;
}

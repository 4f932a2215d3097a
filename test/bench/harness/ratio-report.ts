import { rounded } from './stats.ts';

/** A benchmark's headline: a ratio to a baseline of the same run, and the target it is held to. */
export interface RatioVerdict {
  ratio: number;
  target: number;
  /** The ratio should reach the target (a speed-up) rather than stay under it (a cost). */
  atLeast: boolean;
}

export function isMet({ ratio, target, atLeast }: RatioVerdict): boolean {
  return atLeast ? ratio >= target : ratio <= target;
}

/** The report's verdict line. */
export function verdictLine(what: string, verdict: RatioVerdict): string {
  const bound = verdict.atLeast ? '≥' : '≤';
  return `ratio  ${what} = ${verdict.ratio.toFixed(2)}x   target ${bound} ${verdict.target}x: ${isMet(verdict) ? 'met' : 'NOT met'}`;
}

/** A ratio besides a benchmark's headline, with what it measures (run.ts prints one line each under the headline). */
export interface NamedVerdict extends RatioVerdict {
  what: string;
}

/** A verdict as the JSON line holds it. */
export function verdictJson(verdict: RatioVerdict & { what?: string }): Record<string, unknown> {
  return { ...(verdict.what === undefined ? {} : { what: verdict.what }), ratio: rounded(verdict.ratio, 2), target: verdict.target, atLeast: verdict.atLeast, met: isMet(verdict) };
}

/** The JSON line run.ts reads: always printed last. `more` are further ratios with their targets. */
export function printSummary(bench: string, verdict: RatioVerdict, figures: Record<string, number | string>, more: readonly NamedVerdict[] = []): void {
  const rest = Object.fromEntries(Object.entries(figures).map(([key, value]) => [key, typeof value === 'number' ? rounded(value) : value]));
  console.log(JSON.stringify({ bench, ...verdictJson(verdict), ...rest, ...(more.length === 0 ? {} : { ratios: more.map(verdictJson) }) }));
}

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

/** The JSON line run.ts reads: always printed last. */
export function printSummary(bench: string, verdict: RatioVerdict, figures: Record<string, number | string>): void {
  const rest = Object.fromEntries(Object.entries(figures).map(([key, value]) => [key, typeof value === 'number' ? rounded(value) : value]));
  console.log(
    JSON.stringify({ bench, ratio: rounded(verdict.ratio, 2), target: verdict.target, atLeast: verdict.atLeast, met: isMet(verdict), ...rest }),
  );
}

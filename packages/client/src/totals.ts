import type { Totals } from '@signalbox/events';

type Counted = Exclude<keyof Totals, 'grading'>;
const counted: readonly Counted[] = ['steps', 'toolCalls', 'inputTokens', 'outputTokens', 'costUsd'];
type Grading = NonNullable<Totals['grading']>;
const graded: readonly (keyof Grading)[] = ['inputTokens', 'outputTokens', 'costUsd'];

/** Costs added and taken away in binary floating point drift (0.1 + 0.2); kept to a billionth of a cent, so JSON shows what was spent. */
const settled = (costUsd: number) => Math.round(costUsd * 1e11) / 1e11;

/** What several sessions spent together (nothing for none); grading only when one of them graded. */
export function sumTotals(all: readonly Totals[]): Totals {
  const sum = Object.fromEntries(counted.map((key) => [key, all.reduce((total, totals) => total + totals[key], 0)])) as Record<Counted, number>;
  sum.costUsd = settled(sum.costUsd);
  const gradings = all.flatMap((totals) => (totals.grading ? [totals.grading] : []));
  if (gradings.length === 0) return sum;
  return { ...sum, grading: Object.fromEntries(graded.map((key) => [key, gradings.reduce((total, grading) => total + grading[key], 0)])) as Grading };
}

/**
 * `totals` less `part`, never below zero: a parent's own spend, its children's taken out. A log that
 * records a child's spend without counting it must not make a negative cost.
 */
export function subtractTotals(totals: Totals, part: Totals): Totals {
  const rest = Object.fromEntries(counted.map((key) => [key, Math.max(0, totals[key] - part[key])])) as Record<Counted, number>;
  rest.costUsd = settled(rest.costUsd);
  if (!totals.grading) return rest;
  const partGrading = part.grading;
  return { ...rest, grading: Object.fromEntries(graded.map((key) => [key, Math.max(0, totals.grading![key] - (partGrading?.[key] ?? 0))])) as Grading };
}

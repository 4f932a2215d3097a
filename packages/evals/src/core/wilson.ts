/** A proportion's 95% confidence interval. */
export interface Interval {
  low: number;
  high: number;
}

/** z for a two-sided 95% interval. */
const z95 = 1.959963984540054;

/**
 * The Wilson score interval of `successes` out of `trials` (95% unless `z` says otherwise): unlike
 * p ± z·sqrt(p(1-p)/n) it stays inside [0, 1] and is not zero-width at 0 of n or n of n, which is
 * where small evals live. No trials: the whole of [0, 1].
 */
export function wilsonInterval(successes: number, trials: number, z = z95): Interval {
  if (trials === 0) return { low: 0, high: 1 };
  const p = successes / trials;
  const z2 = z * z;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z / (1 + z2 / trials)) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

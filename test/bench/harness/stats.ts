/** Percentiles of a sample, in the unit the samples were taken in. */
export interface Summary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

/** The q-th quantile (0..1) of already sorted values, interpolating between the two nearest ranks. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (sorted.length - 1) * q;
  const below = Math.floor(rank);
  const low = sorted[below] ?? Number.NaN;
  const high = sorted[Math.min(below + 1, sorted.length - 1)] ?? low;
  return low + (high - low) * (rank - below);
}

export function summarise(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    count: sorted.length,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    mean: sorted.length > 0 ? total / sorted.length : Number.NaN,
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
  };
}

export function median(samples: readonly number[]): number {
  return summarise(samples).p50;
}

/** Milliseconds with three decimals, so sub-millisecond figures stay readable. */
export function ms(value: number): string {
  return Number.isFinite(value) ? value.toFixed(3) : 'n/a';
}

/** A figure rounded for the machine-readable line. */
export function rounded(value: number, digits = 4): number {
  return Number(value.toFixed(digits));
}

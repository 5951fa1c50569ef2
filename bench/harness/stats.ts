/** The statistics the harness reports: percentiles of latencies, medians across rounds. */

/** The p-quantile (0 < p <= 1) of ascending `sorted` by nearest rank; null when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1] ?? null;
}

/** The median of the values that are numbers; null when there are none. */
export function median(values: readonly (number | null)[]): number | null {
  const sorted = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = sorted.length >> 1;
  const upper = sorted[middle] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] as number) + upper) / 2;
}

/** (max - min) / median of the values that are numbers: how much rounds disagree. */
export function relativeSpread(values: readonly (number | null)[]): number | null {
  const numbers = values.filter((v): v is number => v !== null);
  const middle = median(numbers);
  if (numbers.length < 2 || middle === null || middle === 0) return null;
  return (Math.max(...numbers) - Math.min(...numbers)) / middle;
}

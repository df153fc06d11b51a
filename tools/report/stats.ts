/**
 * The little statistics a batch report needs, computed in Node: percentiles (nearest rank) of a
 * sorted list, equal-width histograms, and counts per time bucket. No library: these are a few
 * lines each, and package.json's dependencies stay as they are.
 */

/** The `p`-th percentile (0 < p ≤ 100) of ascending `sorted` by nearest rank; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** One bar of a histogram: the values `v` with `from ≤ v < to` (the last bar also holds `to`). */
export interface Bin {
  from: number;
  to: number;
  count: number;
}

/**
 * `bins` bars from the smallest to the largest value of ascending `sorted`: equal widths, or with
 * `log` equal ratios (for latencies spread over orders of magnitude; needs a smallest value above
 * 0, else the bars are equal widths). All values equal: one bar. Empty: no bar.
 */
export function histogram(sorted: readonly number[], bins: number, log = false): Bin[] {
  if (sorted.length === 0) return [];
  const min = sorted[0]!;
  const max = sorted[sorted.length - 1]!;
  if (max === min || bins < 2) return [{ from: min, to: max, count: sorted.length }];
  const useLog = log && min > 0;
  const lo = useLog ? Math.log(min) : min;
  const width = ((useLog ? Math.log(max) : max) - lo) / bins;
  const edge = (i: number): number => (i === 0 ? min : i === bins ? max : useLog ? Math.exp(lo + i * width) : lo + i * width);
  const out: Bin[] = Array.from({ length: bins }, (_, i) => ({ from: edge(i), to: edge(i + 1), count: 0 }));
  for (const v of sorted) out[Math.min(bins - 1, Math.max(0, Math.floor(((useLog ? Math.log(v) : v) - lo) / width)))]!.count++;
  return out;
}

/** Whether `histogram(sorted, n, true)` would use ratios: values above 0 spanning more than `ratio`×. */
export function wantsLogScale(sorted: readonly number[], ratio = 20): boolean {
  const min = sorted[0];
  const max = sorted[sorted.length - 1];
  return min !== undefined && max !== undefined && min > 0 && max / min > ratio;
}

/** How many of `times` fall in each of `buckets` equal spans of [start, end) (`end` goes in the last). */
export function countPerBucket(times: readonly number[], start: number, end: number, buckets: number): number[] {
  const counts = new Array<number>(buckets).fill(0);
  const span = end - start;
  for (const t of times) {
    const i = span > 0 ? Math.floor(((t - start) / span) * buckets) : 0;
    counts[Math.min(buckets - 1, Math.max(0, i))]!++;
  }
  return counts;
}

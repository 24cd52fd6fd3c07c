/** A tiny shared harness: repeat a measurement, take the median, summarise samples. Never prints. */

export function median(values: number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile of unsorted samples. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Runs `measure` `times` times in sequence; returns every figure and their median. */
export async function repeat(times: number, measure: (round: number) => Promise<number>): Promise<{ runs: number[]; median: number }> {
  const runs: number[] = [];
  for (let i = 0; i < times; i++) runs.push(await measure(i));
  return { runs, median: median(runs) };
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

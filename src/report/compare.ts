/** Compares two reports percentile by percentile, as plain rows for a renderer or `--json`. */
import type { HistogramSummary } from '../measure/histograms.js';
import type { LatencyReport } from './model.js';

export const COMPARED_STATISTICS = ['p50', 'p90', 'p99', 'p999', 'max', 'mean'] as const;
export type ComparedStatistic = (typeof COMPARED_STATISTICS)[number];

export interface ComparisonRow {
  histogram: string;
  percentile: ComparedStatistic;
  /** microseconds */
  base: number;
  new: number;
  /** new − base, microseconds */
  delta: number;
  /** new / base; null when base is 0 */
  ratio: number | null;
}

/** Rows for every histogram present in both reports, in `base`'s order. */
export function compareReports(base: LatencyReport, next: LatencyReport): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  for (const [name, baseHistogram] of Object.entries(base.histograms)) {
    const nextHistogram = next.histograms[name];
    if (!nextHistogram) continue;
    for (const stat of COMPARED_STATISTICS) {
      rows.push(row(name, stat, baseHistogram.summary, nextHistogram.summary));
    }
  }
  return rows;
}

function row(histogram: string, stat: ComparedStatistic, base: HistogramSummary, next: HistogramSummary): ComparisonRow {
  const b = base[stat];
  const n = next[stat];
  return { histogram, percentile: stat, base: b, new: n, delta: n - b, ratio: b === 0 ? null : n / b };
}

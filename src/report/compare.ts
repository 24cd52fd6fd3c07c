/**
 * Compares two reports figure by figure and judges each: better, worse or within noise. The rule is a
 * relative margin (run-to-run variance) AND non-overlapping 95% intervals computed from each run's own
 * HdrHistogram counts (sampling noise within a run), so a figure moves only when both say it did.
 * Plain rows for a renderer or `--json`; never measures.
 */
import { decodeHistogram, type HistogramSummary } from '../measure/histograms.js';
import { formatStep } from '../render/format-latency.js';
import type { LatencyReport, ReportHistogram } from './model.js';

export const COMPARED_STATISTICS = ['p50', 'p90', 'p99', 'p999', 'max', 'mean'] as const;
export type ComparedStatistic = (typeof COMPARED_STATISTICS)[number];

export type Verdict = 'better' | 'worse' | 'within noise';

/** Default relative margin: a figure must move by more than this share to count. */
export const DEFAULT_MARGIN = 0.1;
/** 95% two-sided */
const Z = 1.96;
/** Histograms whose values are coarser than the HdrHistogram's: a move within the resolution is no move (µs). */
const RESOLUTION_US: Record<string, number> = { serverSide: 1_000_000 };
/** a bucket's highest equivalent value lies up to 0.1% above the value (3 significant digits): one tick is no more than this */
const HDR_PRECISION = 1.01;

export interface ComparisonRow {
  /** a histogram name, or `rate`, `staggers`, `audit` */
  histogram: string;
  /** a statistic (p50 … max, mean) or the figure of a non-histogram (`achieved`, `count`, `lost`) */
  percentile: ComparedStatistic | 'achieved' | 'count' | 'lost' | 'duplicated';
  /** microseconds for latencies; percent of the requested rate for `rate.achieved`; counts otherwise */
  unit: 'us' | 'percent' | 'count';
  base: number;
  new: number;
  /** new − base */
  delta: number;
  /** new / base; null when base is 0 */
  ratio: number | null;
  /** each run's 95% interval of the figure, when its counts give one */
  baseInterval?: [number, number];
  newInterval?: [number, number];
  verdict: Verdict;
  /** why, in a few words: `+35% and the intervals are apart`, `+4% is within the 10% margin` */
  why: string;
  /** the step of a stepped run this row is of (both runs stepped over the same variable) */
  step?: { variable: 'rate' | 'listeners'; value: number };
}

export interface CompareOptions {
  /** relative margin, e.g. 0.1 for 10% */
  margin?: number;
}

/** The rule the verdicts follow, in words: printed with every comparison. */
export function verdictRule(margin = DEFAULT_MARGIN): string {
  const m = `${+(margin * 100).toFixed(2)}%`;
  return (
    `A figure is worse (or better) when it moved by more than ${m} (--margin) in the bad (or good) direction AND the two runs' ` +
    '95% intervals of it do not overlap; otherwise it is within noise. Intervals come from each run\'s HdrHistogram counts: ' +
    'a percentile p of n values spans the values at p ± 1.96·√(p(1−p)/n) (binomial order statistics, distribution-free, ' +
    'widened by one value); max spans the top 3/n of the values (rule of three); mean is ± 1.96·stddev/√n; staggers.count ' +
    'must differ by more than 1.96·√(base+new) (Poisson); serverSide counts whole seconds, so a move of up to 1 s is none. rate.achieved (as a share of the requested rate) is judged on the margin ' +
    'alone, and lost/duplicated on any change (an audit has no noise). The intervals cover the sampling noise within a run, not ' +
    'the variance between runs: the margin is there for that.'
  );
}

/** Rows for every figure present in both reports, in `base`'s order; per step too when both are stepped alike. */
export function compareReports(base: LatencyReport, next: LatencyReport, options: CompareOptions = {}): ComparisonRow[] {
  const margin = options.margin ?? DEFAULT_MARGIN;
  const rows: ComparisonRow[] = [...histogramRows(base.histograms, next.histograms, margin)];
  rows.push(
    judgeMargin('rate', 'achieved', 'percent', share(base.rate), share(next.rate), margin, 'higher'),
    judgePoisson('staggers', 'count', base.staggers.count, next.staggers.count, margin),
    judgeAudit('lost', base.audit.lost, next.audit.lost),
    judgeAudit('duplicated', base.audit.duplicated, next.audit.duplicated),
  );
  const [bs, ns] = [base.steps, next.steps];
  if (bs && ns && bs.variable === ns.variable) {
    for (const row of bs.rows) {
      const other = ns.rows.find((r) => r.value === row.value);
      if (!row.histograms?.endToEnd || !other?.histograms?.endToEnd) continue;
      const step = { variable: bs.variable, value: row.value };
      const only = (h: Record<string, ReportHistogram>) => ({ endToEnd: h.endToEnd! });
      rows.push(...histogramRows(only(row.histograms), only(other.histograms), margin).map((r) => ({ ...r, step })));
      rows.push({ ...judgeMargin('rate', 'achieved', 'percent', pct(row.achievedRate, row.requestedRate), pct(other.achievedRate, other.requestedRate), margin, 'higher'), step });
    }
  }
  return rows;
}

/** `endToEnd.p99`, `rate.achieved`, `1,000 writes/s: endToEnd.p99`: a row's figure as people name it. */
export function figureName(row: Pick<ComparisonRow, 'histogram' | 'percentile' | 'step'>): string {
  const name = row.histogram === 'audit' ? row.percentile : `${row.histogram}.${row.percentile === 'p999' ? 'p99.9' : row.percentile}`;
  return row.step ? `${formatStep(row.step.variable, row.step.value)}: ${name}` : name;
}

export function regressions(rows: readonly ComparisonRow[]): ComparisonRow[] {
  return rows.filter((r) => r.verdict === 'worse');
}

function histogramRows(base: Record<string, ReportHistogram>, next: Record<string, ReportHistogram>, margin: number): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  for (const [name, b] of Object.entries(base)) {
    const n = next[name];
    if (!n || b.summary.count === 0 || n.summary.count === 0) continue;
    const [bh, nh] = [decodeHistogram(b.encoded), decodeHistogram(n.encoded)];
    try {
      for (const stat of COMPARED_STATISTICS) {
        rows.push(judgeLatency(name, stat, b.summary, n.summary, interval(bh, b.summary, stat), interval(nh, n.summary, stat), margin, RESOLUTION_US[name] ?? 0));
      }
    } finally {
      bh.destroy();
      nh.destroy();
    }
  }
  return rows;
}

type Hist = ReturnType<typeof decodeHistogram>;

/** A statistic's 95% interval from the histogram's counts (see verdictRule). */
function interval(h: Hist, s: HistogramSummary, stat: ComparedStatistic): [number, number] {
  const n = h.totalCount;
  if (stat === 'mean') {
    const half = (Z * s.stddev) / Math.sqrt(n);
    return [Math.max(0, s.mean - half), s.mean + half];
  }
  if (stat === 'max') return [h.getValueAtPercentile(Math.max(0, 100 * (1 - 3 / n))), s.max];
  const q = { p50: 0.5, p90: 0.9, p99: 0.99, p999: 0.999 }[stat];
  const half = Z * Math.sqrt((q * (1 - q)) / n) + 1 / n;
  return [h.getValueAtPercentile(100 * Math.max(0, q - half)), h.getValueAtPercentile(100 * Math.min(1, q + half))];
}

function judgeLatency(
  histogram: string, stat: ComparedStatistic, base: HistogramSummary, next: HistogramSummary,
  baseInterval: [number, number], newInterval: [number, number], margin: number, resolution: number,
): ComparisonRow {
  const b = base[stat];
  const n = next[stat];
  if (n === b || (resolution > 0 && Math.abs(n - b) <= resolution * HDR_PRECISION)) {
    return { histogram, percentile: stat, unit: 'us', base: b, new: n, delta: n - b, ratio: b === 0 ? null : n / b, baseInterval, newInterval, verdict: 'within noise', why: n === b ? 'the same' : `within its ${resolution / 1e6} s resolution` };
  }
  const apart = newInterval[0] > baseInterval[1] || newInterval[1] < baseInterval[0];
  const moved = relative(b, n);
  const beyond = Math.abs(moved) > margin;
  const verdict: Verdict = beyond && apart ? (n > b ? 'worse' : 'better') : 'within noise';
  const why = !beyond ? `${signed(moved)} is within the ${+(margin * 100).toFixed(2)}% margin` : !apart ? `${signed(moved)} but the intervals overlap` : `${signed(moved)} and the intervals are apart`;
  return { histogram, percentile: stat, unit: 'us', base: b, new: n, delta: n - b, ratio: b === 0 ? null : n / b, baseInterval, newInterval, verdict, why };
}

function judgeMargin(histogram: string, figure: 'achieved', unit: 'percent', b: number, n: number, margin: number, good: 'higher'): ComparisonRow {
  const moved = relative(b, n);
  const beyond = Math.abs(moved) > margin;
  const improved = good === 'higher' ? n > b : n < b;
  const verdict: Verdict = beyond ? (improved ? 'better' : 'worse') : 'within noise';
  return { histogram, percentile: figure, unit, base: b, new: n, delta: n - b, ratio: b === 0 ? null : n / b, verdict, why: beyond ? `${signed(moved)} of the requested rate's share` : `${signed(moved)} is within the ${+(margin * 100).toFixed(2)}% margin` };
}

function judgePoisson(histogram: string, figure: 'count', b: number, n: number, margin: number): ComparisonRow {
  const apart = Math.abs(n - b) > Z * Math.sqrt(b + n);
  const moved = relative(b, n);
  const beyond = Math.abs(moved) > margin;
  const verdict: Verdict = apart && beyond ? (n > b ? 'worse' : 'better') : 'within noise';
  const why = b === n ? 'the same' : apart && beyond ? `${n - b > 0 ? '+' : ''}${n - b}, beyond 1.96·√(base+new)` : `${n - b > 0 ? '+' : ''}${n - b} is within 1.96·√(base+new) or the margin`;
  return { histogram, percentile: figure, unit: 'count', base: b, new: n, delta: n - b, ratio: b === 0 ? null : n / b, verdict, why };
}

function judgeAudit(figure: 'lost' | 'duplicated', b: number, n: number): ComparisonRow {
  const verdict: Verdict = n > b ? 'worse' : n < b ? 'better' : 'within noise';
  return { histogram: 'audit', percentile: figure, unit: 'count', base: b, new: n, delta: n - b, ratio: b === 0 ? null : n / b, verdict, why: n === b ? 'the same' : 'an audit has no noise' };
}

function share(rate: LatencyReport['rate']): number {
  return pct(rate.achieved, rate.requested);
}

function pct(achieved: number, requested: number): number {
  return requested > 0 ? (achieved / requested) * 100 : 0;
}

/** (n − b) / b; a move from 0 is infinite, none is 0. */
function relative(b: number, n: number): number {
  if (b === 0) return n === 0 ? 0 : Infinity;
  return (n - b) / b;
}

function signed(share: number): string {
  if (!Number.isFinite(share)) return 'from 0';
  const pctText = `${(share * 100).toFixed(Math.abs(share) < 0.1 ? 1 : 0)}%`;
  return share >= 0 ? `+${pctText}` : `−${pctText.replace('-', '')}`;
}

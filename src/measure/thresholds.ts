/**
 * Pass/fail thresholds on a finished report, k6 style: `endToEnd.p99<50ms`, `staggers.count==0`,
 * `rate.achieved>=99%`, `lost==0`. Parsed (and refused with one line) before a run; evaluated on the
 * report object after it. Pure: no printing, no I/O.
 */
import { decodeHistogram } from './histograms.js';

/** What a threshold names, and in which unit its measured value is. */
export type ThresholdUnit = 'us' | 'count' | 'per-second' | 'percent';

export type ThresholdOperator = '<' | '<=' | '>' | '>=' | '==' | '!=';
const OPERATORS: readonly ThresholdOperator[] = ['<=', '>=', '==', '!=', '<', '>'];

export interface Threshold {
  /** as typed, trimmed */
  expression: string;
  /** the metric as written, e.g. `endToEnd.p99.9` */
  metric: string;
  operator: ThresholdOperator;
  /** the limit, in `unit` */
  limit: number;
  unit: ThresholdUnit;
  /** how the metric is read from a report */
  source: MetricSource;
}

export type MetricSource =
  | { kind: 'histogram'; histogram: string; statistic: Statistic }
  | { kind: 'staggers'; statistic: Statistic | 'count' }
  | { kind: 'rate'; field: 'achieved' | 'maxBehind' | 'writes' | 'writeErrors' }
  | { kind: 'audit'; field: 'lost' | 'duplicated' | 'expected' | 'received' };

/** A percentile (0..100), or one of the summary statistics; all in microseconds except `count`. */
export type Statistic = { percentile: number } | 'max' | 'min' | 'mean' | 'stddev' | 'count';

export interface ThresholdResult {
  expression: string;
  metric: string;
  operator: ThresholdOperator;
  limit: number;
  unit: ThresholdUnit;
  /** null when the report has nothing to measure it on (an empty histogram, a missing figure): a failure */
  measured: number | null;
  pass: boolean;
  /** a stepped run judges each threshold on each step: which one this result is of */
  step?: { index: number; variable: 'rate' | 'listeners'; value: number };
}

/** The slice of a report thresholds read (a LatencyReport fits). */
export interface MeasuredReport {
  histograms: Record<string, { encoded: string; summary: { count: number } }>;
  staggers: { count: number; histogram: { encoded: string; summary: { count: number } } };
  rate: { requested: number; achieved: number; maxBehindMs: number; writes: number; writeErrors: number };
  audit: { expected: number; received: number; lost: number; duplicated: number };
}

/** k6's exit code for a run whose thresholds were breached. */
export const THRESHOLD_EXIT_CODE = 99;

const DURATION_US: Record<string, number> = { ns: 0.001, us: 1, 'µs': 1, ms: 1_000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000 };
const AUDIT_FIELDS = ['lost', 'duplicated', 'expected', 'received'] as const;
const RATE_FIELDS = { achieved: 'per-second', maxBehind: 'us', writes: 'count', writeErrors: 'count' } as const;
const EXAMPLES = "e.g. 'endToEnd.p99<50ms', 'staggers.count==0', 'rate.achieved>=99%', 'lost==0'";

/**
 * Parses one threshold. `histograms` are the names a report will have (`endToEnd`, `writeAck`, ...).
 * Throws an Error with a one-line message naming what does not parse or names nothing.
 */
export function parseThreshold(text: string, histograms: readonly string[]): Threshold {
  const expression = text.trim();
  const at = expression.search(/[<>=!]/);
  if (at <= 0) throw new Error(`"${expression}" has no comparison (<, <=, >, >=, ==, !=): ${EXAMPLES}`);
  const operator = OPERATORS.find((op) => expression.startsWith(op, at));
  if (!operator) throw new Error(`"${expression}": unknown comparison at "${expression.slice(at)}": use <, <=, >, >=, == or !=`);
  const metric = expression.slice(0, at).trim();
  const valueText = expression.slice(at + operator.length).trim();
  if (valueText === '') throw new Error(`"${expression}" has no value after ${operator}`);
  const source = parseMetric(metric, histograms, expression);
  const unit = unitOf(source);
  const limit = parseLimit(valueText, unit, source, expression);
  return { expression, metric, operator, limit: limit.value, unit: limit.unit, source };
}

/** Parses every `--threshold`; the first bad one throws. */
export function parseThresholds(texts: readonly string[] | undefined, histograms: readonly string[]): Threshold[] {
  return (texts ?? []).map((t) => parseThreshold(t, histograms));
}

export function evaluateThresholds(thresholds: readonly Threshold[], report: MeasuredReport): ThresholdResult[] {
  return thresholds.map((t) => {
    const measured = measure(t, report);
    return {
      expression: t.expression,
      metric: t.metric,
      operator: t.operator,
      limit: t.limit,
      unit: t.unit,
      measured,
      pass: measured !== null && compare(measured, t.operator, t.limit),
    };
  });
}

export function breaches(results: readonly ThresholdResult[] | undefined): ThresholdResult[] {
  return (results ?? []).filter((r) => !r.pass);
}

function parseMetric(metric: string, histograms: readonly string[], expression: string): MetricSource {
  const [head, ...rest] = metric.split('.');
  const tail = rest.join('.');
  const names = () => [...histograms, 'staggers', 'rate', ...AUDIT_FIELDS].join(', ');
  if (head === 'audit' && (AUDIT_FIELDS as readonly string[]).includes(tail)) {
    return { kind: 'audit', field: tail as (typeof AUDIT_FIELDS)[number] };
  }
  if ((AUDIT_FIELDS as readonly string[]).includes(head!) && tail === '') {
    return { kind: 'audit', field: head as (typeof AUDIT_FIELDS)[number] };
  }
  if (head === 'writeErrors' && tail === '') return { kind: 'rate', field: 'writeErrors' };
  if (head === 'rate') {
    if (tail in RATE_FIELDS) return { kind: 'rate', field: tail as keyof typeof RATE_FIELDS };
    throw new Error(`"${expression}": rate has no "${tail}" (use rate.achieved, rate.maxBehind, rate.writes or rate.writeErrors)`);
  }
  if (head === 'staggers') {
    if (tail === 'count') return { kind: 'staggers', statistic: 'count' };
    return { kind: 'staggers', statistic: parseStatistic(tail, 'staggers', expression) };
  }
  if (histograms.includes(head!)) {
    return { kind: 'histogram', histogram: head!, statistic: parseStatistic(tail, head!, expression) };
  }
  throw new Error(`"${expression}" names nothing: "${head}" is not one of ${names()}`);
}

function parseStatistic(text: string, owner: string, expression: string): Statistic {
  if (text === 'max' || text === 'min' || text === 'mean' || text === 'stddev' || text === 'count') return text;
  const match = /^p(\d+(?:\.\d+)?)$/.exec(text);
  if (match) {
    const percentile = Number(match[1]);
    if (percentile >= 0 && percentile <= 100) return { percentile };
    throw new Error(`"${expression}": percentile ${match[1]} is not between 0 and 100`);
  }
  throw new Error(
    `"${expression}": ${owner} has no "${text || '(nothing)'}" (use a percentile such as p99 or p99.9, or max, min, mean, stddev, count)`,
  );
}

function unitOf(source: MetricSource): ThresholdUnit {
  switch (source.kind) {
    case 'audit':
      return 'count';
    case 'rate':
      return RATE_FIELDS[source.field];
    case 'staggers':
    case 'histogram':
      return source.statistic === 'count' ? 'count' : 'us';
  }
}

function parseLimit(text: string, unit: ThresholdUnit, source: MetricSource, expression: string): { value: number; unit: ThresholdUnit } {
  const match = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*([a-zµ%/]*)$/i.exec(text.replaceAll('_', ''));
  if (!match) throw new Error(`"${expression}": "${text}" is not a number`);
  const number = Number(match[1]);
  const suffix = match[2]!.toLowerCase();
  if (unit === 'us') {
    const scale = DURATION_US[suffix];
    if (suffix === '') throw new Error(`"${expression}": "${text}" needs a unit (us, ms, s, m or h), e.g. 50ms`);
    if (scale === undefined) throw new Error(`"${expression}": unknown unit "${match[2]}" (use us, ms, s or m)`);
    return { value: number * scale, unit };
  }
  if (unit === 'per-second') {
    if (suffix === '%') return { value: number, unit: 'percent' };
    if (suffix === '' || suffix === '/s') return { value: number, unit };
    throw new Error(`"${expression}": the rate is writes per second or a share of the requested rate (e.g. 99%), not "${text}"`);
  }
  if (suffix !== '') {
    const what = source.kind === 'audit' ? source.field : source.kind === 'staggers' ? 'staggers.count' : 'a count';
    throw new Error(`"${expression}": ${what} is a count; "${text}" has a unit`);
  }
  return { value: number, unit };
}

function measure(t: Threshold, report: MeasuredReport): number | null {
  const { source } = t;
  switch (source.kind) {
    case 'audit':
      return report.audit[source.field];
    case 'rate':
      if (source.field === 'achieved') {
        if (t.unit !== 'percent') return report.rate.achieved;
        return report.rate.requested > 0 ? (report.rate.achieved / report.rate.requested) * 100 : null;
      }
      return source.field === 'maxBehind' ? report.rate.maxBehindMs * 1000 : report.rate[source.field];
    case 'staggers':
      if (source.statistic === 'count') return report.staggers.count;
      // no stagger at all: the longest stagger is zero (it passes `staggers.max<1.5s`)
      return statistic(report.staggers.histogram.encoded, source.statistic) ?? 0;
    case 'histogram': {
      const h = report.histograms[source.histogram];
      if (!h) return null;
      return statistic(h.encoded, source.statistic);
    }
  }
}

/** The statistic of an encoded histogram; null when it holds nothing (no latency was measured). */
function statistic(encoded: string, stat: Statistic): number | null {
  const h = decodeHistogram(encoded);
  try {
    if (stat === 'count') return h.totalCount;
    if (h.totalCount === 0) return null;
    if (stat === 'max') return h.getValueAtPercentile(100); // as the report's summaries: the bucket's top
    if (stat === 'min') return h.getValueAtPercentile(0);
    if (stat === 'mean') return h.mean;
    if (stat === 'stddev') return h.stdDeviation;
    return h.getValueAtPercentile(stat.percentile);
  } finally {
    h.destroy();
  }
}

function compare(measured: number, op: ThresholdOperator, limit: number): boolean {
  switch (op) {
    case '<':
      return measured < limit;
    case '<=':
      return measured <= limit;
    case '>':
      return measured > limit;
    case '>=':
      return measured >= limit;
    case '==':
      return measured === limit;
    case '!=':
      return measured !== limit;
  }
}

/**
 * Steps as report data: a row per step (stepped `bench latency` and `bench capacity`), its table section and
 * its plot; and a stepped `bench latency` (`--rates 100,1000,5000`, `--listeners 1,15,105`) as one report. The steps lie
 * one after the other on one time axis: second 0 is the first step's measured window, and the warm-ups
 * between steps are gaps. Each step keeps its own row (figures, histograms, thresholds); the report's
 * top-level figures add every step's counts (the audit of the whole sweep), and say so in a note.
 * Never measures.
 */
import { addEncoded, summarizeEncoded } from '../measure/histograms.js';
import type { IntervalHistogram, IntervalLog } from '../measure/intervals.js';
import type { StepResult, StepVariable } from '../measure/steps.js';
import type { ThresholdResult } from '../measure/thresholds.js';
import { formatCount, formatMs, formatRate, formatStep } from '../render/format-latency.js';
import { chartHtml, type ChartSeries } from './charts.js';
import { HISTOGRAM_DESCRIPTIONS, isAuditClean, type LatencyReport, type ReportHistogram, type Stagger, type TimelineBucket } from './model.js';
import type { Section } from './sections.js';

export interface StepRow {
  /** the stepped value: a rate (ops/s) or a listener count */
  value: number;
  requestedRate: number;
  achievedRate: number;
  listeners: number;
  events: number;
  p50us: number;
  p99us: number;
  p999us: number;
  maxUs: number;
  staggers: number;
  lost: number;
  duplicated: number;
  errors: number;
  thresholds: ThresholdResult[];
  pass: boolean;
  startedAt: string;
  /** ms from the first step's measured window to this one's (a stepped bench latency) */
  offsetMs?: number;
  /** the step's measured time, ms */
  durationMs: number;
  /** the step's own histograms (exact counts): per-step plots and `report compare` of stepped runs */
  histograms?: Record<string, ReportHistogram>;
}

export function stepRow(step: StepResult): StepRow {
  const r = step.report;
  const e2e = r.histograms.endToEnd?.summary;
  return {
    value: step.value,
    requestedRate: r.rate.requested,
    achievedRate: r.rate.achieved,
    listeners: r.config.listeners,
    events: e2e?.count ?? 0,
    p50us: e2e?.p50 ?? 0,
    p99us: e2e?.p99 ?? 0,
    p999us: e2e?.p999 ?? 0,
    maxUs: e2e?.max ?? 0,
    staggers: r.staggers.count,
    lost: r.audit.lost,
    duplicated: r.audit.duplicated,
    errors: step.errors.length,
    thresholds: step.thresholds,
    pass: step.pass,
    startedAt: r.startedAt,
    durationMs: r.durationMs,
    histograms: r.histograms,
  };
}

export function stepsSection(rows: readonly StepRow[], vary: StepVariable): Section {
  return {
    title: 'Steps',
    head: [vary === 'rate' ? 'rate (/s)' : 'listeners', 'achieved (/s)', 'p50', 'p99', 'p99.9', 'max', 'events', 'staggers', 'lost', 'result'],
    rows: rows.map((s) => [
      vary === 'rate' ? formatRate(s.value) : String(s.value),
      formatRate(s.achievedRate),
      formatMs(s.p50us),
      formatMs(s.p99us),
      formatMs(s.p999us),
      formatMs(s.maxUs),
      formatCount(s.events),
      formatCount(s.staggers),
      formatCount(s.lost + s.duplicated),
      s.pass ? 'pass' : `FAIL${failWhy(s)}`,
    ]),
    notes: ['latencies: endToEnd, ms; lost counts lost and duplicated events'],
  };
}

function failWhy(s: StepRow): string {
  const why = [
    ...s.thresholds.filter((t) => !t.pass).map((t) => t.expression),
    ...(s.lost + s.duplicated > 0 ? ['events lost'] : []),
    ...(s.errors > 0 ? [`${s.errors} errors`] : []),
  ];
  return why.length > 0 ? ` (${why.join(', ')})` : '';
}

type LimitLike = { expression: string; limit: number; unit: string; metric: string };

/** The steps plot: requested vs achieved rate (left) and p50/p99 (right, ms) per step, with the SLO line. */
export function stepsChart(rows: readonly StepRow[], vary: StepVariable, slo: readonly LimitLike[], id = 'steps'): string {
  return stepsOverlayChart([{ name: '', rows }], vary, slo, id);
}

/** Several stepped runs' steps on one plot (`report compare`): the second dashed; p99 only, for legibility. */
export function stepsOverlayChart(runs: readonly { name: string; rows: readonly StepRow[] }[], vary: StepVariable, slo: readonly LimitLike[], id = 'steps'): string {
  const xs = [...new Set(runs.flatMap((r) => r.rows.map((s) => s.value)))].sort((a, b) => a - b);
  const lines = slo
    .filter((t) => t.unit === 'us' && /^endToEnd\.p(50|99)$/.test(t.metric))
    .map((t) => ({ value: t.limit / 1000, label: `SLO ${t.expression}`, colour: '#e03131', scale: 'y2' as const }));
  const overlay = runs.length > 1;
  const data: (number | null)[][] = [xs];
  const series: ChartSeries[] = [];
  runs.forEach((run, r) => {
    const at = new Map(run.rows.map((s) => [s.value, s]));
    const pick = (f: (s: StepRow) => number) => xs.map((x) => (at.has(x) ? f(at.get(x)!) : null));
    const prefix = overlay ? `${run.name} ` : '';
    const dash = r === 0 ? undefined : [8, 4];
    if (r === 0) {
      data.push(xs.map((x) => runs.flatMap((other) => other.rows.filter((s) => s.value === x))[0]?.requestedRate ?? null));
      series.push({ label: 'requested /s', colour: '#868e96', dash: [4, 4] });
    }
    data.push(pick((s) => s.achievedRate));
    series.push({ label: `${prefix}achieved /s`, colour: '#2f9e44', points: true, dash });
    if (!overlay) {
      data.push(pick((s) => s.p50us / 1000));
      series.push({ label: 'p50 ms', colour: '#1971c2', scale: 'y2', points: true });
    }
    data.push(pick((s) => s.p99us / 1000));
    series.push({ label: `${prefix}p99 ms`, colour: '#f08c00', scale: 'y2', points: true, dash });
  });
  return chartHtml({
    id,
    title: vary === 'rate' ? 'Requested vs achieved rate, and latency, per step' : 'Achieved rate and latency per listener count',
    xLabel: vary === 'rate' ? 'requested rate (writes/s)' : 'listeners',
    yLabel: 'writes/s',
    y2Label: 'endToEnd latency (ms)',
    logX: vary === 'rate' && xs.length > 1 && xs.at(-1)! / xs[0]! >= 8,
    data,
    series,
    lines,
  });
}

/** What a stepped report adds to a latency report (`report.steps`). */
export interface SteppedRun {
  variable: StepVariable;
  /** the values asked for, in order (an interrupted run has fewer rows) */
  values: number[];
  stepDurationMs: number;
  warmupMs: number;
  rows: StepRow[];
}

/** `rate=1000`, `listeners=15`: a step's name in .hlog tags and listener names (no spaces or commas: hlog tags). */
export function stepLabel(variable: StepVariable, value: number): string {
  return `${variable}=${value}`;
}

const WORST_STAGGERS_KEPT = 20;

export function steppedReport(
  steps: readonly StepResult[],
  run: { values: readonly number[]; stepDurationMs: number; warmupMs: number },
): { report: LatencyReport; intervals: IntervalLog } {
  if (steps.length === 0) throw new Error('a stepped report needs at least one step');
  const first = steps[0]!;
  const variable = first.variable;
  const origin = first.intervals.startTime;
  const offsets = steps.map((s) => s.intervals.startTime - origin);
  // Whole seconds for the timeline; rounded up so a step never lands on its predecessor's last second.
  const offsetSeconds = offsets.map((ms) => Math.ceil(ms / 1000));
  const reports = steps.map((s) => s.report);
  const label = (i: number) => stepLabel(variable, steps[i]!.value);

  const histograms: Record<string, ReportHistogram> = {};
  for (const name of [...new Set(reports.flatMap((r) => Object.keys(r.histograms)))]) {
    const encoded = addEncoded(reports.flatMap((r) => (r.histograms[name] ? [r.histograms[name]!.encoded] : [])));
    const description = HISTOGRAM_DESCRIPTIONS[name as keyof typeof HISTOGRAM_DESCRIPTIONS] ?? reports.find((r) => r.histograms[name])!.histograms[name]!.description;
    histograms[name] = { unit: 'us', description, encoded, summary: summarizeEncoded(encoded) };
  }

  const timeline: TimelineBucket[] = reports.flatMap((r, i) => r.timeline.map((b) => ({ ...b, second: b.second + offsetSeconds[i]! })));
  const gaps = addEncoded(reports.map((r) => r.staggers.histogram.encoded));
  const worst: Stagger[] = reports
    // on the timeline's axis (whole-second shifts), so a stagger is shaded over the seconds it happened in
    .flatMap((r, i) => r.staggers.worst.map((s) => ({ ...s, startMs: s.startMs + offsetSeconds[i]! * 1000, ...(s.listener ? { listener: `${label(i)}/${s.listener}` } : {}) })))
    .sort((a, b) => b.gapMs - a.gapMs)
    .slice(0, WORST_STAGGERS_KEPT);

  const sum = (pick: (r: LatencyReport) => number) => reports.reduce((a, r) => a + pick(r), 0);
  const measuredMs = sum((r) => r.durationMs);
  const audit = {
    expected: sum((r) => r.audit.expected),
    received: sum((r) => r.audit.received),
    lost: sum((r) => r.audit.lost),
    duplicated: sum((r) => r.audit.duplicated),
    perListener: reports.flatMap((r, i) => (r.audit.perListener ?? []).map((l) => ({ ...l, listener: `${label(i)}/${l.listener}` }))),
  };
  // The sweep's requested rate is its time-weighted mean: what the achieved (all writes / all measured time) is to be read against.
  const requested = measuredMs > 0 ? sum((r) => r.rate.requested * r.durationMs) / measuredMs : first.report.rate.requested;
  const thresholds: ThresholdResult[] = steps.flatMap((s, i) => s.thresholds.map((t) => ({ ...t, step: { index: i + 1, variable, value: s.value } })));
  const notes = [...new Set(reports.flatMap((r) => r.target.notes ?? []))];
  notes.push(
    `a stepped run: ${steps.length} step${steps.length === 1 ? '' : 's'} of ${variable === 'rate' ? 'write rate' : 'listener count'} ` +
      `(${steps.map((s) => formatStep(variable, s.value)).join(', ')}), each with its own warm-up; the top-level figures add every step, ` +
      'the Steps table has each step on its own, and thresholds are judged per step',
  );

  const report: LatencyReport = {
    format: first.report.format,
    version: first.report.version,
    config: {
      ...first.report.config,
      rate: round3(requested),
      durationMs: measuredMs,
      listeners: Math.max(...reports.map((r) => r.config.listeners)),
    },
    target: { ...first.report.target, notes },
    startedAt: first.report.startedAt,
    endedAt: reports.at(-1)!.endedAt,
    durationMs: measuredMs,
    rate: {
      requested: round3(requested),
      achieved: measuredMs > 0 ? round3(sum((r) => r.rate.writes) / (measuredMs / 1000)) : 0,
      maxBehindMs: Math.max(...reports.map((r) => r.rate.maxBehindMs)),
      writes: sum((r) => r.rate.writes),
      writeErrors: sum((r) => r.rate.writeErrors),
    },
    histograms,
    staggers: { thresholdMs: first.report.staggers.thresholdMs, count: sum((r) => r.staggers.count), histogram: { unit: 'us', encoded: gaps, summary: summarizeEncoded(gaps) }, worst },
    timeline,
    audit,
    ok: isAuditClean(audit) && reports.every((r) => r.ok),
    perListener: reports.flatMap((r, i) => (r.perListener ?? []).map((l) => ({ ...l, listener: `${label(i)}/${l.listener}` }))),
    ...(thresholds.length > 0 ? { thresholds } : {}),
    steps: {
      variable,
      values: [...run.values],
      stepDurationMs: run.stepDurationMs,
      warmupMs: run.warmupMs,
      rows: steps.map((s, i) => ({ ...stepRow(s), offsetMs: round3(offsets[i]!) })),
    },
  };

  // One log: each step's histograms under its own tags (`rate=1000/endToEnd`), at their real time from the first window.
  const intervals: IntervalHistogram[] = steps.flatMap((s, i) =>
    s.intervals.intervals.map((iv) => ({ ...iv, tag: `${label(i)}/${iv.tag}`, second: iv.second + offsets[i]! / 1000 })),
  );
  const tags = steps.flatMap((s, i) => s.intervals.tags.map((t) => `${label(i)}/${t}`));
  return { report, intervals: { startTime: origin, tags, intervals } };
}

/** A stepped .hlog tag back to the run's own tag: `rate=1000/endToEnd` → `endToEnd`. */
export function baseTag(tag: string): string {
  const slash = tag.lastIndexOf('/');
  return slash < 0 ? tag : tag.slice(slash + 1);
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

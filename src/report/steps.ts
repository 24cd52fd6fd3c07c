/**
 * A stepped `bench latency` (`--rates 100,1000,5000`, `--listeners 1,15,105`) as one report. The steps lie
 * one after the other on one time axis: second 0 is the first step's measured window, and the warm-ups
 * between steps are gaps. Each step keeps its own row (figures, histograms, thresholds); the report's
 * top-level figures add every step's counts (the audit of the whole sweep), and say so in a note.
 * Never measures.
 */
import { addEncoded, summarizeEncoded } from '../measure/histograms.js';
import type { IntervalHistogram, IntervalLog } from '../measure/intervals.js';
import type { StepResult, StepVariable } from '../measure/steps.js';
import type { ThresholdResult } from '../measure/thresholds.js';
import { formatStep } from '../render/format-latency.js';
import { stepRow, type StepRow } from './capacity.js';
import { HISTOGRAM_DESCRIPTIONS, isAuditClean, type LatencyReport, type ReportHistogram, type Stagger, type TimelineBucket } from './model.js';

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
    .flatMap((r, i) => r.staggers.worst.map((s) => ({ ...s, startMs: s.startMs + offsets[i]!, ...(s.listener ? { listener: `${label(i)}/${s.listener}` } : {}) })))
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

/**
 * The charts of a latency report page, for one run or several overlaid (`report compare`): percentile
 * distribution, latency over the measured window with the staggers shaded and threshold lines, intended vs
 * achieved rate over time, and the writers' send lag over time. Plain ChartSpecs; never measures.
 */
import { DISTRIBUTION_PERCENTILES } from '../measure/histograms.js';
import type { ChartSeries, ChartSpec } from './charts.js';
import { formatStep } from '../render/format-latency.js';
import type { StepRow } from './steps.js';
import type { LatencyReport } from './model.js';

export interface NamedRun {
  name: string;
  report: LatencyReport;
}

export const SERIES_COLOURS: Record<string, string> = {
  endToEnd: '#1971c2',
  uncorrected: '#f08c00',
  writeAck: '#2f9e44',
  commitToReceipt: '#7048e8',
  serverSide: '#a61e4d',
};
const FALLBACK = ['#0c8599', '#5c940d', '#862e9c', '#495057'];
/** a second run is dashed, a third dotted */
const DASHES: (number[] | undefined)[] = [undefined, [8, 4], [2, 3]];

const colourOf = (name: string, i: number): string => SERIES_COLOURS[name] ?? FALLBACK[i % FALLBACK.length]!;
const nines = (p: number): number => (p >= 100 ? -Math.log10(1 - 99.9999 / 100) : -Math.log10(1 - p / 100));

/** `only`: the histograms to draw (default: all for one run, endToEnd and writeAck for overlays). */
export function distributionChart(runs: readonly NamedRun[], { id = 'distribution', only, title = 'Percentile distribution (ms)' }: { id?: string; only?: readonly string[]; title?: string } = {}): ChartSpec {
  const x = DISTRIBUTION_PERCENTILES.map(nines);
  const series: ChartSeries[] = [];
  const data: (number | null)[][] = [x];
  runs.forEach((run, r) => {
    Object.entries(run.report.histograms).forEach(([name, h], i) => {
      if (only ? !only.includes(name) : runs.length > 1 && name !== 'endToEnd' && name !== 'writeAck') return; // overlays: the two that matter
      const byPercentile = new Map(h.summary.distribution.map((d) => [d.percentile, d.value / 1000]));
      data.push(DISTRIBUTION_PERCENTILES.map((p) => byPercentile.get(p) ?? null));
      series.push({ label: runs.length > 1 ? `${run.name} ${name}` : name, colour: colourOf(name, i), dash: DASHES[r % DASHES.length] });
    });
  });
  return { id, title, xLabel: 'percentile', yLabel: 'ms', ninesX: true, data, series, lines: thresholdLines(runs, /^\w+\.p[\d.]+$|\.max$/) };
}

export function latencyOverTimeChart(runs: readonly NamedRun[], id = 'timeline'): ChartSpec {
  const x = seconds(runs);
  const series: ChartSeries[] = [];
  const data: (number | null)[][] = [midpoints(x)];
  runs.forEach((run, r) => {
    const at = bySecond(run.report);
    const add = (label: string, colour: string, value: (b: LatencyReport['timeline'][number]) => number) => {
      data.push(x.map((s) => (at.get(s)?.events ? value(at.get(s)!) / 1000 : null)));
      series.push({ label: runs.length > 1 ? `${run.name} ${label}` : label, colour, dash: DASHES[r % DASHES.length] });
    };
    if (runs.length === 1) add('p50', '#1971c2', (b) => b.p50us);
    add('p99', '#f08c00', (b) => b.p99us);
    if (runs.length === 1) add('max', '#e03131', (b) => b.maxUs);
  });
  // staggers shaded where they are, and only there
  const bands = runs.flatMap((run) =>
    run.report.staggers.worst.map((s) => ({ from: s.startMs / 1000, to: (s.startMs + s.gapMs) / 1000, colour: 'rgba(240, 140, 0, 0.18)' })),
  );
  const kept = runs.reduce((a, r) => a + r.report.staggers.worst.length, 0);
  const all = runs.reduce((a, r) => a + r.report.staggers.count, 0);
  const shaded = all === 0 ? 'no staggers' : kept < all ? `the ${kept} longest of ${all} staggers shaded` : 'staggers shaded';
  return {
    id, title: `endToEnd latency over the measured window (ms); ${shaded}`, xLabel: xLabelOf(runs), yLabel: 'ms',
    data, series, bands, lines: thresholdLines(runs, /^endToEnd\.(p[\d.]+|max)$/), marks: stepMarks(runs), xRange: windowRange(runs),
  };
}

export function rateOverTimeChart(runs: readonly NamedRun[], id = 'rate'): ChartSpec {
  const x = seconds(runs);
  const series: ChartSeries[] = [];
  const data: (number | null)[][] = [midpoints(x)];
  runs.forEach((run, r) => {
    const at = bySecond(run.report);
    const prefix = runs.length > 1 ? `${run.name} ` : '';
    const dash = DASHES[r % DASHES.length];
    const step = stepAt(run.report);
    data.push(x.map((s) => (!at.has(s) ? null : step(s)?.requestedRate ?? run.report.rate.requested)));
    series.push({ label: `${prefix}requested /s`, colour: '#868e96', dash: [4, 4] });
    data.push(x.map((s) => at.get(s)?.writes ?? null));
    series.push({ label: `${prefix}writes intended in the second`, colour: '#2f9e44', dash });
    if (run.report.timeline.some((b) => b.acked !== undefined)) {
      data.push(x.map((s) => at.get(s)?.acked ?? null));
      series.push({ label: `${prefix}writes acknowledged in the second`, colour: '#e8590c', dash });
    }
    const listenersAt = (s: number) => Math.max(1, step(s)?.listeners ?? run.report.config.listeners);
    data.push(x.map((s) => (at.has(s) ? at.get(s)!.events / listenersAt(s) : null)));
    series.push({ label: `${prefix}events received per listener /s`, colour: '#1971c2', dash });
  });
  return { id, title: 'Intended vs achieved rate over time', xLabel: xLabelOf(runs), yLabel: 'per second', data, series, marks: stepMarks(runs), xRange: windowRange(runs) };
}

export function sendLagChart(runs: readonly NamedRun[], id = 'lag'): ChartSpec {
  const x = seconds(runs);
  const series: ChartSeries[] = [];
  const data: (number | null)[][] = [midpoints(x)];
  runs.forEach((run, r) => {
    const at = bySecond(run.report);
    const prefix = runs.length > 1 ? `${run.name} ` : '';
    const dash = DASHES[r % DASHES.length];
    data.push(x.map((s) => (at.get(s)?.sendLagP99Us !== undefined ? at.get(s)!.sendLagP99Us! / 1000 : null)));
    series.push({ label: `${prefix}send lag p99`, colour: '#7048e8', dash });
    data.push(x.map((s) => (at.get(s)?.sendLagMaxUs !== undefined ? at.get(s)!.sendLagMaxUs! / 1000 : null)));
    series.push({ label: `${prefix}send lag max`, colour: '#a61e4d', dash });
  });
  return { id, title: 'Writer send lag over time (actual − intended send time, ms)', xLabel: xLabelOf(runs), yLabel: 'ms', data, series, marks: stepMarks(runs), xRange: windowRange(runs) };
}

/** A stepped run's steps as runs of their own (their histograms), for the per-step distribution overlay. */
export function stepRuns(report: LatencyReport): NamedRun[] {
  const steps = report.steps;
  if (!steps) return [];
  return steps.rows.filter((r) => r.histograms).map((row) => ({
    name: formatStep(steps.variable, row.value),
    report: { ...report, histograms: row.histograms!, thresholds: row.thresholds },
  }));
}

function xLabelOf(runs: readonly NamedRun[]): string {
  return runs.some((r) => r.report.steps) ? 'seconds from the first step (warm-ups between steps are gaps)' : 'seconds into the measured window';
}

/** Where each step of a stepped run begins, as vertical marks (one run only: overlays would clutter). */
function stepMarks(runs: readonly NamedRun[]): ChartSpec['marks'] {
  const steps = runs.length === 1 ? runs[0]!.report.steps : undefined;
  if (!steps) return undefined;
  return steps.rows.map((r) => ({ x: Math.ceil((r.offsetMs ?? 0) / 1000), label: formatStep(steps.variable, r.value) }));
}

/** The step a second of a stepped run's timeline belongs to. */
function stepAt(report: LatencyReport): (second: number) => StepRow | undefined {
  const rows = report.steps?.rows ?? [];
  return (second) =>
    rows.find((r) => {
      const from = Math.ceil((r.offsetMs ?? 0) / 1000);
      return second >= from && second - from + 0.5 <= (r.durationMs ?? 0) / 1000;
    });
}

/** Whether the reports carry per-second writer figures (older reports do not). */
export function hasWriterTimeline(runs: readonly NamedRun[]): boolean {
  return runs.some((r) => r.report.timeline.some((b) => b.writes !== undefined));
}

function seconds(runs: readonly NamedRun[]): number[] {
  const last = Math.max(0, ...runs.flatMap((r) => [...bySecond(r.report).keys()]));
  return Array.from({ length: last + 1 }, (_, s) => s);
}

/** A second's values are drawn at its middle, so the x axis is the measured window itself (0 to its end). */
function midpoints(seconds: readonly number[]): number[] {
  return seconds.map((s) => s + 0.5);
}

/** 0 to the end of the longest measured window (a stepped run: of its last step). */
function windowRange(runs: readonly NamedRun[]): [number, number] {
  const end = (report: LatencyReport) => {
    const last = report.steps?.rows.at(-1);
    return last ? Math.ceil((last.offsetMs ?? 0) / 1000) + (last.durationMs ?? 0) / 1000 : report.durationMs / 1000;
  };
  return [0, Math.max(1, ...runs.map((r) => end(r.report)))];
}

/**
 * The seconds of the measured window (of each step, for a stepped run): a bucket is drawn when at least half
 * of it lies in the window, so the empty or partial second after the end does not show as a fall to zero.
 */
function bySecond(report: LatencyReport): Map<number, LatencyReport['timeline'][number]> {
  const step = stepAt(report);
  const inWindow = (second: number) => (report.steps ? step(second) !== undefined : second + 0.5 <= report.durationMs / 1000);
  return new Map(report.timeline.filter((b) => inWindow(b.second)).map((b) => [b.second, b]));
}

/** Lines for the duration thresholds of the runs whose metric matches (in ms). */
function thresholdLines(runs: readonly NamedRun[], metric: RegExp): ChartSpec['lines'] {
  const seen = new Set<string>();
  return runs.flatMap((run) => (run.report.thresholds ?? []))
    .filter((t) => t.unit === 'us' && metric.test(t.metric) && !seen.has(t.expression) && seen.add(t.expression))
    .map((t) => ({ value: t.limit / 1000, label: t.expression, colour: '#e03131' }));
}

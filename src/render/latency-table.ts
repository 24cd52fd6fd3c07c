/**
 * Latency results as terminal text. Pure functions from plain report data to strings: no measuring, no
 * TTY detection; the caller decides `colour`.
 */
import Table from 'cli-table3';
import pc from 'picocolors';
import type { HistogramSummary } from '../measure/histograms.js';
import type { ThresholdResult } from '../measure/thresholds.js';
import type { StepRow } from '../report/steps.js';
import { figureName, type ComparisonRow } from '../report/compare.js';
import type { Audit, LatencyReport, RateSummary, ReportTarget, StaggerSummary } from '../report/model.js';
import { formatCount, formatDeltaMs, formatMs, formatRate, formatRatio, formatThresholdValue, thresholdName } from './format-latency.js';

export interface RenderOptions {
  colour: boolean;
}

/** How many of the longest staggers the terminal shows. */
const STAGGERS_SHOWN = 5;
/** Achieved rate below this share of the requested one is flagged. */
const RATE_SHORTFALL = 0.95;

/** One row per histogram: p50, p90, p99, p99.9, max, mean (ms) and count. */
export function renderPercentileTable(
  histograms: Record<string, { summary: HistogramSummary }>,
  { colour }: RenderOptions,
): string {
  const c = pc.createColors(colour);
  const table = newTable(['latency (ms)', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean', 'count'], c);
  for (const [name, { summary: s }] of Object.entries(histograms)) {
    table.push([
      c.bold(name),
      formatMs(s.p50),
      formatMs(s.p90),
      c.bold(formatMs(s.p99)),
      formatMs(s.p999),
      formatMs(s.max),
      formatMs(s.mean),
      formatCount(s.count),
    ]);
  }
  return table.toString();
}

export function renderRateLine(rate: RateSummary, { colour }: RenderOptions): string {
  const c = pc.createColors(colour);
  const share = rate.requested > 0 ? rate.achieved / rate.requested : 1;
  const achieved = `${formatRate(rate.achieved)}/s achieved (${(share * 100).toFixed(1)}%)`;
  const errors = `${formatCount(rate.writeErrors)} write errors`;
  return [
    `rate: ${formatRate(rate.requested)}/s requested, ${share < RATE_SHORTFALL ? c.yellow(achieved) : achieved}`,
    `${formatCount(rate.writes)} writes`,
    rate.writeErrors > 0 ? c.red(errors) : errors,
    `fell behind at most ${formatMs(rate.maxBehindMs * 1000)} ms`,
  ].join(', ');
}

/** A summary line, then the longest gaps as a table when there are any. */
export function renderStaggers(staggers: StaggerSummary, { colour }: RenderOptions): string {
  const c = pc.createColors(colour);
  if (staggers.count === 0) return `staggers: none over ${staggers.thresholdMs} ms`;
  const line = c.yellow(
    `staggers: ${formatCount(staggers.count)} gaps over ${staggers.thresholdMs} ms, ` +
      `longest ${formatMs(staggers.histogram.summary.max)} ms, p99 ${formatMs(staggers.histogram.summary.p99)} ms`,
  );
  if (staggers.worst.length === 0) return line;
  const table = newTable(['at (s)', 'gap (ms)', 'burst', 'listener', 'shard'], c, ['right', 'right', 'right', 'left', 'left']);
  for (const s of staggers.worst.slice(0, STAGGERS_SHOWN)) {
    table.push([(s.startMs / 1000).toFixed(2), formatMs(s.gapMs * 1000), formatCount(s.burst), s.listener ?? '', s.shard ?? '']);
  }
  return `${line}\n${table.toString()}`;
}

export function renderAuditLine(audit: Audit, { colour }: RenderOptions): string {
  const c = pc.createColors(colour);
  const clean = audit.lost === 0 && audit.duplicated === 0;
  const counts =
    `audit: ${formatCount(audit.expected)} expected, ${formatCount(audit.received)} received, ` +
    `${formatCount(audit.lost)} lost, ${formatCount(audit.duplicated)} duplicated`;
  return clean ? `${counts} — ${c.green('OK')}` : `${counts} — ${c.red(c.bold('EVENTS LOST OR DUPLICATED'))}`;
}

export function renderTargetLine(target: ReportTarget): string {
  const where = target.embedded ? 'embedded server' : target.uri;
  const shards = target.shards === undefined ? '' : `, ${target.shards} shards`;
  return `target: ${where} (${target.topology}${shards}, server ${target.serverVersion})`;
}

/** Everything a terminal shows after a run, or for a merged report. */
export function renderReportSummary(report: LatencyReport, options: RenderOptions): string {
  return [
    renderTargetLine(report.target),
    renderPercentileTable(report.histograms, options),
    renderRateLine(report.rate, options),
    renderStaggers(report.staggers, options),
    renderAuditLine(report.audit, options),
    ...(report.thresholds?.length ? [renderThresholds(report.thresholds, options)] : []),
  ].join('\n');
}

/** One row per step (stepped bench latency, bench capacity): the stepped value, rate, latency, pass/FAIL. */
export function renderStepsTable(rows: readonly StepRow[], vary: 'rate' | 'listeners', { colour }: RenderOptions): string {
  const c = pc.createColors(colour);
  const table = newTable([vary === 'rate' ? 'rate (/s)' : 'listeners', 'achieved (/s)', 'p50 (ms)', 'p99 (ms)', 'max (ms)', 'staggers', 'lost', 'result'], c,
    ['right', 'right', 'right', 'right', 'right', 'right', 'right', 'left']);
  for (const s of rows) {
    const failed = s.thresholds.filter((t) => !t.pass).map((t) => t.expression);
    if (s.lost + s.duplicated > 0) failed.push('events lost');
    table.push([
      vary === 'rate' ? formatRate(s.value) : String(s.value),
      formatRate(s.achievedRate),
      formatMs(s.p50us),
      formatMs(s.p99us),
      formatMs(s.maxUs),
      formatCount(s.staggers),
      formatCount(s.lost + s.duplicated),
      s.pass ? c.green('pass') : c.red(`FAIL${failed.length ? ` ${failed.join(', ')}` : ''}`),
    ]);
  }
  return table.toString();
}

/** One line per breached threshold, for stderr: `threshold breached: endToEnd.p99<50ms (measured 61.2ms)`. */
export function breachLines(breached: readonly ThresholdResult[]): string[] {
  return breached.map((r) => `threshold breached: ${thresholdName(r)} (measured ${formatThresholdValue(r.measured, r.unit)})`);
}

/** Each threshold with its measured value and pass/FAIL. */
export function renderThresholds(results: readonly ThresholdResult[], { colour }: RenderOptions): string {
  const c = pc.createColors(colour);
  const table = newTable(['threshold', 'measured', 'result'], c, ['left', 'right', 'left']);
  for (const r of results) {
    table.push([thresholdName(r), formatThresholdValue(r.measured, r.unit), r.pass ? c.green('pass') : c.red(c.bold('FAIL'))]);
  }
  return table.toString();
}

/** Base vs new per figure, with its verdict (worse red, better green) and why. */
export function renderComparison(rows: readonly ComparisonRow[], { colour }: RenderOptions): string {
  const c = pc.createColors(colour);
  if (rows.length === 0) return 'nothing to compare: the reports share no histogram';
  const table = newTable(['figure', 'base', 'new', 'delta', 'ratio', 'verdict'], c, ['left', 'right', 'right', 'right', 'right', 'left']);
  for (const r of rows) {
    const paint = r.verdict === 'worse' ? c.red : r.verdict === 'better' ? c.green : String;
    table.push([
      figureName(r),
      formatFigure(r.base, r.unit),
      formatFigure(r.new, r.unit),
      r.unit === 'us' ? `${formatDeltaMs(r.delta)}ms` : formatSigned(r.delta, r.unit),
      formatRatio(r.ratio),
      paint(`${r.verdict} (${r.why})`),
    ]);
  }
  return table.toString();
}

/** `3 worse, 1 better, 29 within noise`: the comparison in one line. */
export function verdictSummary(rows: readonly ComparisonRow[]): string {
  const count = (v: ComparisonRow['verdict']) => rows.filter((r) => r.verdict === v).length;
  return `${count('worse')} worse, ${count('better')} better, ${count('within noise')} within noise`;
}

export function formatFigure(value: number, unit: ComparisonRow['unit']): string {
  return unit === 'us' ? `${formatMs(value)}ms` : unit === 'percent' ? `${value.toFixed(1)}%` : formatCount(value);
}

function formatSigned(value: number, unit: ComparisonRow['unit']): string {
  return `${value > 0 ? '+' : ''}${unit === 'percent' ? `${value.toFixed(1)} pts` : formatCount(value)}`;
}

type Align = 'left' | 'right';

/** A table whose first column is left-aligned and the others right-aligned (numbers), unless `aligns` says. */
function newTable(head: string[], c: ReturnType<typeof pc.createColors>, aligns?: Align[]) {
  // cli-table3's own styling is switched off (it has its own colour detection); headings go through `c`.
  const table = new Table({
    head: head.map((h) => c.cyan(h)),
    style: { head: [], border: [] },
    colAligns: aligns ?? head.map((_, i) => (i === 0 ? 'left' : 'right')),
  });
  return {
    push: (row: string[]) => table.push(row),
    /** Compact: keeps the rule under the heading, drops the rules between rows. */
    toString: () =>
      table
        .toString()
        .split('\n')
        .filter((line, i) => i === 2 || !line.startsWith('├'))
        .join('\n'),
  };
}

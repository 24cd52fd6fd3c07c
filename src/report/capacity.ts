/**
 * The capacity report (`ticker bench capacity`) as plain data, and its files: JSON, Markdown and an HTML
 * page with the requested vs achieved rate and p50/p99 per step and the SLO line. Also the steps table a
 * stepped `bench latency` shows. Never measures.
 */
import { join } from 'node:path';
import type { CapacitySearch, Knee } from '../measure/capacity.js';
import type { StepResult, StepVariable } from '../measure/steps.js';
import type { ThresholdResult } from '../measure/thresholds.js';
import { formatCount, formatMs, formatRate } from '../render/format-latency.js';
import { ensureDir, writeFileAtomic, WHY_NOT_WRITABLE } from '../util/atomic-write.js';
import { UserError } from '../util/errors.js';
import { chartHead, chartHtml } from './charts.js';
import type { ReportHistogram, ReportTarget } from './model.js';
import type { Section } from './sections.js';

export const CAPACITY_FORMAT = 'ticker-capacity-report';

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

export interface CapacityReport {
  format: typeof CAPACITY_FORMAT;
  version: 1;
  vary: StepVariable;
  slo: string[];
  search: CapacitySearch;
  knee: Knee;
  stepDurationMs: number;
  warmupMs: number;
  target: ReportTarget;
  startedAt: string;
  endedAt: string;
  steps: StepRow[];
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

export function kneeText(report: CapacityReport): string {
  const unit = report.vary === 'rate' ? ' writes/s' : ' listeners';
  const { knee } = report;
  const show = (v: number) => (report.vary === 'rate' ? formatRate(v) : String(v)) + unit;
  switch (knee.stoppedBy) {
    case 'failed-at-start':
      return `No knee found: the first step (${show(report.search.start)}) already missed the SLO; start lower (--start).`;
    case 'max':
      return `The SLO held up to the bound: ${show(knee.value ?? report.search.max)} (raise --max to look further).`;
    case 'interrupted':
      return `Interrupted: ${knee.value === null ? 'no step met the SLO yet' : `the highest value meeting the SLO so far is ${show(knee.value)}`}.`;
    default:
      return `Knee: ${show(knee.value!)} meets the SLO with nothing lost; ${show(knee.firstFailing!)} does not` +
        (knee.stoppedBy === 'max-steps' ? ' (stopped at --max-steps before the precision was reached).' : '.');
  }
}

export function renderCapacityMarkdown(report: CapacityReport): string {
  const section = stepsSection(report.steps, report.vary);
  const lines = [
    '# ticker capacity report',
    '',
    `**${kneeText(report)}**`,
    '',
    `SLO: ${report.slo.map((s) => `\`${s}\``).join(', ')}, and nothing lost. Varied: ${report.vary}; each step ` +
      `${(report.warmupMs / 1000).toFixed(1)} s warm-up + ${(report.stepDurationMs / 1000).toFixed(1)} s measured; ` +
      `${report.target.embedded ? 'the embedded server' : report.target.uri}.`,
    '',
    `| ${section.head.join(' | ')} |`,
    `| ${section.head.map((_, i) => (i === section.head.length - 1 ? ':--' : '--:')).join(' | ')} |`,
    ...section.rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    ...(section.notes ?? []),
  ];
  return lines.join('\n') + '\n';
}

/** The steps plot: requested vs achieved rate (left) and p50/p99 (right, ms) per step, with the SLO line. */
export function stepsChart(rows: readonly StepRow[], vary: StepVariable, slo: readonly ThresholdResult[] | readonly { expression: string; limit: number; unit: string; metric: string }[], id = 'steps'): string {
  const sorted = [...rows].sort((a, b) => a.value - b.value);
  const lines = slo
    .filter((t) => t.unit === 'us' && /^endToEnd\.p(50|99)$/.test(t.metric))
    .map((t) => ({ value: t.limit / 1000, label: `SLO ${t.expression}`, colour: '#e03131', scale: 'y2' as const }));
  return chartHtml({
    id,
    title: vary === 'rate' ? 'Requested vs achieved rate, and latency, per step' : 'Achieved rate and latency per listener count',
    xLabel: vary === 'rate' ? 'requested rate (writes/s)' : 'listeners',
    yLabel: 'writes/s',
    y2Label: 'endToEnd latency (ms)',
    logX: vary === 'rate' && sorted.length > 1 && sorted.at(-1)!.value / sorted[0]!.value >= 8,
    data: [
      sorted.map((s) => s.value),
      sorted.map((s) => s.requestedRate),
      sorted.map((s) => s.achievedRate),
      sorted.map((s) => s.p50us / 1000),
      sorted.map((s) => s.p99us / 1000),
    ],
    series: [
      { label: 'requested /s', colour: '#868e96', dash: [4, 4] },
      { label: 'achieved /s', colour: '#2f9e44', points: true },
      { label: 'p50 ms', colour: '#1971c2', scale: 'y2', points: true },
      { label: 'p99 ms', colour: '#f08c00', scale: 'y2', points: true },
    ],
    lines,
  });
}

export function renderCapacityHtml(report: CapacityReport): string {
  const section = stepsSection(report.steps, report.vary);
  const passed = report.knee.value !== null;
  const esc = (t: string) => t.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  const slo = report.steps[0]?.thresholds ?? [];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ticker capacity report ${esc(report.startedAt)}</title>
<style>body { font: 14px/1.45 system-ui, sans-serif; color: #222; margin: 24px auto; max-width: 1140px; padding: 0 16px; }
h1 { font-size: 22px; } table { border-collapse: collapse; } th, td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: right; }
th { background: #f4f5f7; } td:last-child, th:last-child { text-align: left; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 4px; color: #fff; font-weight: 600; background: ${passed ? '#2f9e44' : '#e03131'}; }</style>
${chartHead()}
</head><body>
<h1>ticker capacity report</h1>
<p><span class="verdict">${esc(kneeText(report))}</span></p>
<p>SLO: ${report.slo.map((s) => `<code>${esc(s)}</code>`).join(', ')}, and nothing lost. Each step ${(report.warmupMs / 1000).toFixed(1)} s warm-up +
${(report.stepDurationMs / 1000).toFixed(1)} s measured, on ${report.target.embedded ? 'the embedded server' : esc(report.target.uri)}; from ${esc(report.startedAt)}.</p>
${stepsChart(report.steps, report.vary, slo)}
<h2>Steps (in the order run)</h2>
<table><tr>${section.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>
${section.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n')}</table>
<p>${esc(section.notes?.[0] ?? '')}</p>
</body></html>
`;
}

export interface WrittenCapacity {
  json: string;
  md: string;
  html: string;
}

export async function writeCapacityReport(report: CapacityReport, dir: string, baseName: string): Promise<WrittenCapacity> {
  const paths = { json: join(dir, `${baseName}.json`), md: join(dir, `${baseName}.md`), html: join(dir, `${baseName}.html`) };
  try {
    await ensureDir(dir);
    await writeFileAtomic(paths.json, JSON.stringify(report, null, 2) + '\n');
    await writeFileAtomic(paths.md, renderCapacityMarkdown(report));
    await writeFileAtomic(paths.html, renderCapacityHtml(report));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    throw new UserError(`cannot write the report to ${dir}: ${WHY_NOT_WRITABLE[code] ?? code}`);
  }
  return paths;
}

/**
 * The capacity report (`ticker bench capacity`) as plain data, and its files: JSON, Markdown and an HTML
 * page with the requested vs achieved rate and p50/p99 per step and the SLO line. Never measures.
 */
import { join } from 'node:path';
import type { CapacitySearch, Knee } from '../measure/capacity.js';
import type { StepVariable } from '../measure/steps.js';
import { formatRate } from '../render/format-latency.js';
import { ensureDir, writeFileAtomic, WHY_NOT_WRITABLE } from '../util/atomic-write.js';
import { UserError } from '../util/errors.js';
import { chartHead } from './charts.js';
import type { ReportTarget } from './model.js';
import { stepsChart, stepsSection, type StepRow } from './steps.js';

import { CAPACITY_REPORT_FORMAT } from './schema.js';

export const CAPACITY_FORMAT = CAPACITY_REPORT_FORMAT;

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

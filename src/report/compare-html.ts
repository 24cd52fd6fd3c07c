/**
 * `report compare`'s page: both runs' plots overlaid (uPlot inlined: hover values, drag to zoom), the
 * settings they differ in, and a verdict per figure with the rule it followed. Rendering only.
 */
import { formatFigure, verdictSummary } from '../render/latency-table.js';
import { formatMs } from '../render/format-latency.js';
import { chartHead } from './charts.js';
import { figureName, type ComparisonRow } from './compare.js';
import { escapeXml, PAGE_STYLE, plots } from './html.js';
import type { LatencyReport } from './model.js';
import { stepsOverlayChart } from './steps.js';

export interface ComparePage {
  base: { name: string; report: LatencyReport };
  next: { name: string; report: LatencyReport };
  differences: string[];
  rows: ComparisonRow[];
  rule: string;
}

const VERDICT_STYLE = `
td.worse { color: #c92a2a; font-weight: 600; } td.better { color: #2b8a3e; font-weight: 600; } td.noise { color: #555; }
table.verdicts td:nth-last-child(-n+2), table.verdicts th:nth-last-child(-n+2) { text-align: left; }
.legend-runs span { display: inline-block; margin-right: 16px; }
`;

export function renderCompareHtml(page: ComparePage): string {
  const { base, next, rows } = page;
  const worse = rows.filter((r) => r.verdict === 'worse').length;
  const badge = worse > 0 ? 'failed' : 'neutral';
  const interval = (i?: [number, number], unit?: ComparisonRow['unit']) => (i && unit ? `${formatFigure(i[0], unit)} … ${formatFigure(i[1], unit)}` : '—');
  const table = rows
    .map((r) => {
      const cls = r.verdict === 'worse' ? 'worse' : r.verdict === 'better' ? 'better' : 'noise';
      return `<tr><td>${escapeXml(figureName(r))}</td><td>${formatFigure(r.base, r.unit)}</td><td>${formatFigure(r.new, r.unit)}</td>` +
        `<td>${r.unit === 'us' ? `${formatMs(r.delta)}ms` : escapeXml(String(+r.delta.toFixed(2)))}</td><td>${interval(r.baseInterval, r.unit)}</td><td>${interval(r.newInterval, r.unit)}</td>` +
        `<td class="${cls}">${escapeXml(r.verdict)}</td><td class="note">${escapeXml(r.why)}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ticker compare: ${escapeXml(base.name)} vs ${escapeXml(next.name)}</title><style>${PAGE_STYLE}${VERDICT_STYLE}</style>
${chartHead()}</head>
<body>
<h1>ticker compare</h1>
<p><span class="verdict ${badge}">${escapeXml(verdictSummary(rows))}</span></p>
<p class="legend-runs"><span><b>base</b> (solid): ${escapeXml(base.name)}, ${escapeXml(base.report.startedAt)}</span>
<span><b>new</b> (dashed): ${escapeXml(next.name)}, ${escapeXml(next.report.startedAt)}</span></p>
${page.differences.length > 0 ? `<p class="note"><b>The runs differ in:</b> ${escapeXml(page.differences.join('; '))}: their figures differ for that reason too.</p>` : ''}
<h2>Plots (both runs)</h2>
<p class="note">Hover for values; drag across a plot to zoom in, double-click to zoom out.</p>
${bothStepped(page)}${plots([{ name: 'base', report: base.report }, { name: 'new', report: next.report }])}
<h2>Verdict per figure</h2>
<table class="verdicts"><tr><th>figure</th><th>base</th><th>new</th><th>delta</th><th>base 95% interval</th><th>new 95% interval</th><th>verdict</th><th>why</th></tr>
${table}</table>
<p class="note"><b>Rule.</b> ${escapeXml(page.rule)}</p>
</body></html>
`;
}

/** Both runs stepped over the same variable: their steps on one plot. */
function bothStepped({ base, next }: ComparePage): string {
  const [b, n] = [base.report.steps, next.report.steps];
  if (!b || !n || b.variable !== n.variable) return '';
  return stepsOverlayChart([{ name: 'base', rows: b.rows }, { name: 'new', rows: n.rows }], b.variable, b.rows[0]?.thresholds ?? []) + '\n';
}

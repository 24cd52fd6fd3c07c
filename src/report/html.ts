/**
 * The report as one self-contained HTML page (`<name>.html`): inline CSS, uPlot inlined (works offline;
 * hover values, drag to zoom, double-click to reset), no network.
 */
import { chartHead, chartHtml } from './charts.js';
import { reportPassed, type LatencyReport } from './model.js';
import { stepsChart as stepsChartHtml } from './steps.js';
import { distributionChart, hasWriterTimeline, stepRuns, latencyOverTimeChart, rateOverTimeChart, sendLagChart, type NamedRun } from './report-charts.js';
import { allSections, verdictText, type Section } from './sections.js';

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; margin: 24px auto; max-width: 1140px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 4px; color: #fff; font-weight: 600; }
.ok { background: #2f9e44; } .failed { background: #e03131; } .neutral { background: #868e96; }
table { border-collapse: collapse; margin: 4px 0; } th, td { padding: 3px 10px; border-bottom: 1px solid #eee; }
th { background: #f4f5f7; text-align: right; } td { text-align: right; font-variant-numeric: tabular-nums; }
th:first-child, td:first-child { text-align: left; }
.kv td:last-child { text-align: left; } .note { color: #555; margin: 4px 0; } .plot { margin: 8px 0 0; }
`;

export function renderHtml(report: LatencyReport): string {
  // Green only when the audit and every threshold passed; a run without thresholds is not called a pass.
  const verdictClass = !reportPassed(report) ? 'failed' : report.thresholds?.length ? 'ok' : 'neutral';
  const verdict = `<span class="verdict ${verdictClass}">${escapeXml(verdictText(report))}</span>`;
  const [latency, ...rest] = allSections(report);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ticker latency report ${escapeXml(report.startedAt)}</title><style>${STYLE}</style>
${chartHead()}</head>
<body>
<h1>ticker latency report</h1>
<p>${verdict} measured ${(report.durationMs / 1000).toFixed(1)} s from ${escapeXml(report.startedAt)} on
${report.target.embedded ? 'the embedded server' : escapeXml(report.target.uri)}; latencies in milliseconds.</p>
${sectionHtml(latency!)}
<h2>Plots</h2>
<p class="note">Hover for values; drag across a plot to zoom in, double-click to zoom out.</p>
${plots([{ name: 'run', report }])}
${rest.map(sectionHtml).join('\n')}
</body></html>
`;
}

function sectionHtml(section: Section): string {
  const keyValue = section.head.every((h) => h === '');
  const head = keyValue ? '' : `<tr>${section.head.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>`;
  const rows = section.rows.map((row) => `<tr>${row.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`).join('');
  const table = section.rows.length > 0 ? `<table${keyValue ? ' class="kv"' : ''}>${head}${rows}</table>` : '';
  const notes = (section.notes ?? []).map((n) => `<p class="note">${escapeXml(n)}</p>`).join('');
  const bullets = section.bullets?.length
    ? `<ul class="note">${section.bullets.map((b) => `<li>${escapeXml(b)}</li>`).join('')}</ul>`
    : '';
  return `<h2>${escapeXml(section.title)}</h2>${table}${notes}${bullets}`;
}

/** The page's plots for one run, or several overlaid (report compare); a stepped run adds its per-step plots. */
export function plots(runs: readonly NamedRun[]): string {
  const stepped = runs.length === 1 ? runs[0]!.report.steps : undefined;
  const perStep = stepped
    ? [stepsChartHtml(stepped.rows, stepped.variable, stepped.rows[0]?.thresholds ?? []), chartHtml(distributionChart(stepRuns(runs[0]!.report), { id: 'step-distribution', only: ['endToEnd'], title: 'endToEnd percentile distribution per step (ms)' }))]
    : [];
  const charts = [distributionChart(runs), latencyOverTimeChart(runs)];
  if (hasWriterTimeline(runs)) charts.push(rateOverTimeChart(runs), sendLagChart(runs));
  return [...perStep, ...charts.map(chartHtml)].join('\n');
}

export function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

export { STYLE as PAGE_STYLE };

/**
 * Interactive plots for the HTML pages with uPlot, inlined (script and CSS) so a page works offline:
 * values on hover (the legend follows the cursor), drag to zoom, double-click to reset. A chart is plain
 * data (ChartSpec) turned into a <div> and a call of the page's small runtime, which also draws horizontal
 * limit lines (SLOs, thresholds) and shaded x ranges (staggers). Rendering only: never measures.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface ChartSeries {
  label: string;
  colour: string;
  /** which y axis: 'y' (left) or 'y2' (right) */
  scale?: 'y' | 'y2';
  dash?: number[];
  /** draw points only (steps) */
  pointsOnly?: boolean;
}

export interface ChartSpec {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  y2Label?: string;
  /** x values first, then one array per series; null is a gap */
  data: (number | null)[][];
  series: ChartSeries[];
  /** horizontal lines: a limit on one axis */
  lines?: { value: number; label: string; colour: string; scale?: 'y' | 'y2' }[];
  /** shaded x ranges (e.g. staggers), with a label in the tooltip-free margin */
  bands?: { from: number; to: number; colour: string }[];
  /** vertical lines at x values (e.g. where each step of a stepped run begins), labelled at the top */
  marks?: { x: number; label: string }[];
  /** x axis on a log scale (rates that grow by a factor) */
  logX?: boolean;
  /** x values are -log10(1 - p/100): label them as percentiles (90, 99, 99.9, …) */
  ninesX?: boolean;
  height?: number;
}

let assets: { script: string; css: string } | undefined;

/** uPlot's own files, read once from the installed package. */
function uplotAssets(): { script: string; css: string } {
  if (!assets) {
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
    assets = {
      script: readFileSync(join(dist, 'uPlot.iife.min.js'), 'utf8'),
      css: readFileSync(join(dist, 'uPlot.min.css'), 'utf8'),
    };
  }
  return assets;
}

/** Goes in <head>: uPlot, its CSS and the runtime that draws ChartSpecs. */
export function chartHead(): string {
  const { script, css } = uplotAssets();
  return `<style>${css}\n.chart { margin: 8px 0 16px; } .chart h3 { font-size: 14px; margin: 0 0 4px; }</style>
<script>${script.replaceAll('</script', '<\\/script')}</script>
<script>${RUNTIME}</script>`;
}

/** A chart's place in the page and the call that draws it. */
export function chartHtml(spec: ChartSpec): string {
  const json = JSON.stringify(spec).replaceAll('<', '\\u003c');
  return `<div class="chart" id="${spec.id}"><h3>${escapeHtml(spec.title)}</h3></div>\n<script>tickerChart(${json});</script>`;
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

// Runs in the page. Kept small: it maps a spec onto uPlot's options and adds two draw hooks.
const RUNTIME = `
function tickerChart(spec) {
  var el = document.getElementById(spec.id);
  var width = Math.min(1100, Math.max(480, (el.clientWidth || 1000)));
  var series = [spec.ninesX ? { label: spec.xLabel, value: function (u, v) { return v == null ? '' : String(+(100 - 100 / Math.pow(10, v)).toPrecision(6)); } } : { label: spec.xLabel }].concat(spec.series.map(function (s) {
    return { label: s.label, stroke: s.colour, scale: s.scale || 'y', dash: s.dash, width: 1.5,
      points: s.pointsOnly ? { show: true, size: 7, fill: s.colour } : { show: false },
      paths: s.pointsOnly ? function () { return null; } : undefined, spanGaps: false };
  }));
  var nines = function (u, vals) { return vals.map(function (v) { return v == null ? '' : String(+(100 - 100 / Math.pow(10, v)).toPrecision(6)); }); };
  var axes = [spec.ninesX ? { label: spec.xLabel, values: nines, incrs: [1] } : { label: spec.xLabel }, { label: spec.yLabel, scale: 'y' }];
  if (spec.y2Label) axes.push({ label: spec.y2Label, scale: 'y2', side: 1, grid: { show: false } });
  var scales = { x: { time: false, distr: spec.logX ? 3 : 1 }, y: { auto: true }, y2: { auto: true } };
  var drawExtras = function (u) {
    var ctx = u.ctx;
    (spec.bands || []).forEach(function (b) {
      var x0 = u.valToPos(b.from, 'x', true), x1 = u.valToPos(b.to, 'x', true);
      ctx.save(); ctx.fillStyle = b.colour;
      ctx.fillRect(Math.min(x0, x1), u.bbox.top, Math.max(1, Math.abs(x1 - x0)), u.bbox.height); ctx.restore();
    });
    (spec.marks || []).forEach(function (m) {
      var x = u.valToPos(m.x, 'x', true);
      if (!(x >= u.bbox.left && x <= u.bbox.left + u.bbox.width)) return;
      ctx.save(); ctx.strokeStyle = '#495057'; ctx.setLineDash([2, 3]); ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
      ctx.fillStyle = '#495057'; ctx.font = (12 * (uPlot.pxRatio || 1)) + 'px system-ui, sans-serif';
      ctx.fillText(m.label, x + 4, u.bbox.top + 14); ctx.restore();
    });
    (spec.lines || []).forEach(function (l) {
      var y = u.valToPos(l.value, l.scale || 'y', true);
      if (!(y >= u.bbox.top && y <= u.bbox.top + u.bbox.height)) return;
      ctx.save(); ctx.strokeStyle = l.colour; ctx.setLineDash([6, 4]); ctx.lineWidth = 1.5;
      ctx.beginPath(); ctx.moveTo(u.bbox.left, y); ctx.lineTo(u.bbox.left + u.bbox.width, y); ctx.stroke();
      ctx.fillStyle = l.colour; ctx.font = (12 * (uPlot.pxRatio || 1)) + 'px system-ui, sans-serif';
      ctx.fillText(l.label, u.bbox.left + 6, y - 4); ctx.restore();
    });
  };
  // a limit line stays in view: the axis range includes it
  (spec.lines || []).forEach(function (l) {
    var key = l.scale || 'y';
    scales[key] = { auto: true, range: function (u, min, max) {
      var lo = Math.min(min, l.value), hi = Math.max(max, l.value);
      return [lo > 0 ? 0 : lo, hi * 1.08 || 1];
    } };
  });
  new uPlot({ width: width, height: spec.height || 300, series: series, axes: axes, scales: scales,
    cursor: { drag: { x: true, y: false } }, hooks: { draw: [drawExtras] } }, spec.data, el);
}
`;

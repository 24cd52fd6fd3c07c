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
  /** draw points only */
  pointsOnly?: boolean;
  /** draw a point at each value as well as the line (each value a measurement, e.g. a step) */
  points?: boolean;
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
  /** the x axis's fixed range (e.g. the measured window), else the data's */
  xRange?: [number, number];
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
      points: s.pointsOnly || s.points ? { show: true, size: 7, fill: s.colour } : { show: false },
      paths: s.pointsOnly ? function () { return null; } : undefined, spanGaps: false };
  }));
  var nines = function (u, vals) { return vals.map(function (v) { return v == null ? '' : String(+(100 - 100 / Math.pow(10, v)).toPrecision(6)); }); };
  var axes = [spec.ninesX ? { label: spec.xLabel, values: nines, incrs: [1] } : { label: spec.xLabel }, { label: spec.yLabel, scale: 'y' }];
  if (spec.y2Label) axes.push({ label: spec.y2Label, scale: 'y2', side: 1, grid: { show: false } });
  var scales = { x: { time: false, distr: spec.logX ? 3 : 1 }, y: { auto: true }, y2: { auto: true } };
  // the x axis spans xRange: its ends are added as x values without data (zoom and its reset keep working)
  var data = spec.data;
  if (spec.xRange && data[0].length > 0) {
    var xs = data[0], head = spec.xRange[0] < xs[0], tail = spec.xRange[1] > xs[xs.length - 1];
    data = data.map(function (col, i) {
      return (head ? [i === 0 ? spec.xRange[0] : null] : []).concat(col, tail ? [i === 0 ? spec.xRange[1] : null] : []);
    });
  }
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
      ctx.textAlign = 'left'; ctx.textBaseline = 'top';
      ctx.fillText(m.label, x + 4, u.bbox.top + 16 * (uPlot.pxRatio || 1)); ctx.restore();
    });
    (spec.lines || []).forEach(function (l) {
      var right = (l.scale || 'y') === 'y2';
      var y = u.valToPos(l.value, l.scale || 'y', true);
      var px = uPlot.pxRatio || 1;
      ctx.save(); ctx.fillStyle = l.colour; ctx.font = (12 * px) + 'px system-ui, sans-serif';
      ctx.textAlign = right ? 'right' : 'left'; ctx.textBaseline = 'bottom';
      var tx = right ? u.bbox.left + u.bbox.width - 6 * px : u.bbox.left + 6 * px;
      if (y < u.bbox.top) {
        // far above the data: said at the top right, not drawn (stretching the axis to it would flatten the data)
        ctx.textAlign = 'right'; ctx.textBaseline = 'top';
        ctx.fillText('\u2191 ' + l.label + ' (above the plot)', u.bbox.left + u.bbox.width - 6 * px, u.bbox.top + 2 * px); ctx.restore(); return;
      }
      if (y > u.bbox.top + u.bbox.height) { ctx.restore(); return; }
      ctx.strokeStyle = l.colour; ctx.setLineDash([6, 4]); ctx.lineWidth = 1.5 * px;
      ctx.beginPath(); ctx.moveTo(u.bbox.left, y); ctx.lineTo(u.bbox.left + u.bbox.width, y); ctx.stroke();
      ctx.fillText(l.label, tx, y - 3 * px); ctx.restore();
    });
  };
  // a limit line stays in view when it is near the data (within 4x its top); one far above is named at the top instead
  // latencies, rates and counts: the y axes start at 0
  ['y', 'y2'].forEach(function (key) {
    var limits = (spec.lines || []).filter(function (l) { return (l.scale || 'y') === key; });
    scales[key] = { auto: true, range: function (u, min, max) {
      var top = max == null ? 0 : max, lo = min == null ? 0 : Math.min(0, min), hi = top;
      limits.forEach(function (l) { if (!(top > 0) || l.value <= top * 4) hi = Math.max(hi, l.value); });
      return [lo, hi * 1.08 || 1];
    } };
  });
  var plot = new uPlot({ width: width, height: spec.height || 300, series: series, axes: axes, scales: scales,
    cursor: { drag: { x: true, y: false } }, hooks: { draw: [drawExtras] } }, data, el);
  // for scripts/check-pages.ts (headless Chromium): every chart drawn, and its data
  (window.tickerCharts = window.tickerCharts || []).push({ id: spec.id, plot: plot });
}
`;

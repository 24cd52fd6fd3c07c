/**
 * Self-contained SVG plots for the HTML report (no script, no network): the percentile distribution on
 * a log "nines" axis, and latency over time with staggers shaded. Pure functions from data to markup.
 */
import type { PercentilePoint } from '../measure/histograms.js';
import type { Stagger, TimelineBucket } from './model.js';

export interface PlotSeries {
  name: string;
  colour: string;
  points: PercentilePoint[];
}

interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12"';
const AXIS_COLOUR = '#444';
const GRID_COLOUR = '#e3e3e3';
const STAGGER_FILL = '#e03131';

/** Nines of the x axis: 99.999% sits at 5; the maximum gets its own tick just beyond. */
const MAX_NINES = 5;
const MAX_TICK_AT = 5.5;
const NINES_TICKS: ReadonlyArray<[number, string]> = [
  [0, '0%'],
  [Math.log10(2), '50%'],
  [1, '90%'],
  [2, '99%'],
  [3, '99.9%'],
  [4, '99.99%'],
  [5, '99.999%'],
  [MAX_TICK_AT, 'max'],
];

function nines(percentile: number): number {
  return percentile >= 100 ? MAX_TICK_AT : Math.min(-Math.log10(1 - percentile / 100), MAX_NINES);
}

/** Latency (µs in, plotted as ms) against percentile, one line per histogram. */
export function percentileDistributionSvg(series: readonly PlotSeries[], width = 1100, height = 460): string {
  const box: Box = { left: 70, top: 34, width: width - 70 - 24, height: height - 34 - 56 };
  const drawn = series.filter((s) => s.points.length > 0);
  const y = logScale(drawn.flatMap((s) => s.points.map((p) => p.value / 1000)), box);
  const x = (n: number) => box.left + (n / MAX_TICK_AT) * box.width;
  const parts: string[] = [];
  parts.push(...y.ticks.map((t) => horizontalGridLine(box, t.at, t.label, t.major)));
  for (const [n, label] of NINES_TICKS) {
    parts.push(
      `<line x1="${r(x(n))}" x2="${r(x(n))}" y1="${box.top}" y2="${box.top + box.height}" stroke="${GRID_COLOUR}"/>`,
      `<text x="${r(x(n))}" y="${box.top + box.height + 18}" text-anchor="middle" fill="${AXIS_COLOUR}">${label}</text>`,
    );
  }
  // the first series (endToEnd, the headline) is drawn last so it stays visible where lines overlap
  for (const s of [...drawn].reverse()) {
    const main = s === drawn[0];
    const coords = s.points.map((p) => [x(nines(p.percentile)), y.at(p.value / 1000)] as const);
    parts.push(
      `<polyline fill="none" stroke="${s.colour}" stroke-width="${main ? 3 : 1.75}" stroke-linejoin="round" points="${coords
        .map(([px, py]) => `${r(px)},${r(py)}`)
        .join(' ')}"/>`,
    );
    parts.push(
      ...s.points.map((p, i) => {
        const [px, py] = coords[i]!;
        return `<circle cx="${r(px)}" cy="${r(py)}" r="${main ? 3.5 : 2.5}" fill="${s.colour}"><title>${escapeXml(s.name)} ${percentileLabel(p.percentile)}: ${msLabel(p.value)} ms</title></circle>`;
      }),
    );
  }
  parts.push(axisFrame(box), axisTitles(box, 'percentile', 'latency (ms, log scale)'));
  parts.push(legend(drawn.map((s) => ({ name: s.name, colour: s.colour })), box.left, 18));
  if (drawn.length === 0) parts.push(noData(box));
  return svg(width, height, parts);
}

/**
 * Per-second p50, p99 and max latency, with stagger gaps shaded; below it, events received per second,
 * where a stagger shows as a hole followed by a burst.
 */
export function timelineSvg(
  timeline: readonly TimelineBucket[],
  staggers: readonly Stagger[],
  width = 1100,
  height = 560,
): string {
  const latencyBox: Box = { left: 70, top: 34, width: width - 70 - 24, height: height - 34 - 200 };
  const eventsBox: Box = { left: 70, top: latencyBox.top + latencyBox.height + 40, width: latencyBox.width, height: 110 };
  const seconds = Math.max(1, ...timeline.map((b) => b.second + 1), ...staggers.map((s) => (s.startMs + s.gapMs) / 1000));
  const x = (second: number) => latencyBox.left + (second / seconds) * latencyBox.width;
  const withEvents = timeline.filter((b) => b.events > 0);
  const y = logScale(withEvents.flatMap((b) => [b.p50us / 1000, b.p99us / 1000, b.maxUs / 1000]), latencyBox);
  const lines = [
    { name: 'max', colour: '#e8590c', width: 1.5, value: (b: TimelineBucket) => b.maxUs },
    { name: 'p99', colour: '#7048e8', width: 2, value: (b: TimelineBucket) => b.p99us },
    { name: 'p50', colour: '#1971c2', width: 2, value: (b: TimelineBucket) => b.p50us },
  ];

  const parts: string[] = [];
  for (const s of staggers) {
    const x0 = x(s.startMs / 1000);
    const w = Math.max(2, x(s.startMs / 1000 + s.gapMs / 1000) - x0);
    const tip = `stagger at ${(s.startMs / 1000).toFixed(2)} s: ${s.gapMs} ms without events, then ${s.burst} at once${s.listener ? ` (listener ${s.listener})` : ''}${s.shard ? ` (shard ${s.shard})` : ''}`;
    for (const b of [latencyBox, eventsBox]) {
      parts.push(
        `<rect x="${r(x0)}" y="${b.top}" width="${r(w)}" height="${b.height}" fill="${STAGGER_FILL}" fill-opacity="0.16"><title>${escapeXml(tip)}</title></rect>`,
      );
    }
  }
  parts.push(...y.ticks.map((t) => horizontalGridLine(latencyBox, t.at, t.label, t.major)));
  for (const t of timeTicks(seconds)) {
    for (const b of [latencyBox, eventsBox]) {
      parts.push(`<line x1="${r(x(t))}" x2="${r(x(t))}" y1="${b.top}" y2="${b.top + b.height}" stroke="${GRID_COLOUR}"/>`);
    }
    parts.push(
      `<text x="${r(x(t))}" y="${eventsBox.top + eventsBox.height + 18}" text-anchor="middle" fill="${AXIS_COLOUR}">${t}</text>`,
    );
  }
  for (const line of lines) {
    // one segment per run of seconds with events: an empty second is a hole, not a zero
    for (const run of runsOfConsecutiveSeconds(withEvents)) {
      const points = run.map((b) => `${r(x(b.second + 0.5))},${r(y.at(line.value(b) / 1000))}`).join(' ');
      parts.push(
        run.length === 1
          ? `<circle cx="${points.split(',')[0]}" cy="${points.split(',')[1]}" r="2.5" fill="${line.colour}"/>`
          : `<polyline fill="none" stroke="${line.colour}" stroke-width="${line.width}" stroke-linejoin="round" points="${points}"/>`,
      );
    }
  }
  parts.push(axisFrame(latencyBox), axisTitles(latencyBox, '', 'latency (ms, log scale)'));
  parts.push(
    legend(
      [...lines.map((l) => ({ name: l.name, colour: l.colour })), ...(staggers.length > 0 ? [{ name: 'stagger', colour: STAGGER_FILL }] : [])],
      latencyBox.left,
      18,
    ),
  );

  const maxEvents = Math.max(1, ...timeline.map((b) => b.events));
  const barWidth = Math.max(1, latencyBox.width / seconds - 1);
  for (const b of timeline) {
    const h = (b.events / maxEvents) * eventsBox.height;
    parts.push(
      `<rect x="${r(x(b.second) + 0.5)}" y="${r(eventsBox.top + eventsBox.height - h)}" width="${r(barWidth)}" height="${r(h)}" fill="#868e96"><title>${b.second} s: ${b.events} events</title></rect>`,
    );
  }
  parts.push(horizontalGridLine(eventsBox, eventsBox.top, String(maxEvents), false, '#bbb'));
  parts.push(axisFrame(eventsBox), axisTitles(eventsBox, 'seconds since the measured window began', 'events / s'));
  if (withEvents.length === 0) parts.push(noData(latencyBox));
  return svg(width, height, parts);
}

interface LogScale {
  at(ms: number): number;
  ticks: Array<{ at: number; label: string; major: boolean }>;
}

/**
 * A log10 axis from the nice value (1, 2 or 5 × 10^k ms) just below the smallest positive value to the
 * one just above the largest, spanning at least one decade; zeros sit on the floor.
 */
function logScale(valuesMs: readonly number[], box: Box): LogScale {
  const positive = valuesMs.filter((v) => v > 0 && Number.isFinite(v));
  let lo = positive.length > 0 ? niceBelow(Math.min(...positive)) : 0.1;
  const hi = positive.length > 0 ? niceAbove(Math.max(...positive)) : 100;
  if (hi / lo < 10) lo = niceBelow(hi / 10);
  const [logLo, logHi] = [Math.log10(lo), Math.log10(hi)];
  const at = (ms: number) => {
    const e = ms > 0 ? Math.min(Math.max(Math.log10(ms), logLo), logHi) : logLo;
    return box.top + box.height - ((e - logLo) / (logHi - logLo)) * box.height;
  };
  const minors = logHi - logLo <= 4 ? [2, 5] : [];
  const ticks: LogScale['ticks'] = [];
  for (let d = Math.floor(logLo); d <= Math.ceil(logHi); d++) {
    for (const m of [1, ...minors]) {
      const v = m * 10 ** d;
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push({ at: at(v), label: tickLabel(v), major: m === 1 });
    }
  }
  return { at, ticks };
}

const NICE_STEPS = [1, 2, 5, 10];

function niceBelow(v: number): number {
  const decade = 10 ** Math.floor(Math.log10(v));
  return decade * NICE_STEPS.filter((m) => m * decade <= v * 1.000001).at(-1)!;
}

function niceAbove(v: number): number {
  const decade = 10 ** Math.floor(Math.log10(v));
  return decade * NICE_STEPS.find((m) => m * decade >= v * 0.999999)!;
}

function tickLabel(ms: number): string {
  return ms >= 1 ? String(Math.round(ms)) : String(Number(ms.toPrecision(1)));
}

function timeTicks(seconds: number): number[] {
  const step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].find((s) => seconds / s <= 12) ?? 3600;
  const ticks: number[] = [];
  for (let t = 0; t <= seconds + 1e-9; t += step) ticks.push(t);
  return ticks;
}

function runsOfConsecutiveSeconds(buckets: readonly TimelineBucket[]): TimelineBucket[][] {
  const sorted = [...buckets].sort((a, b) => a.second - b.second);
  const runs: TimelineBucket[][] = [];
  for (const b of sorted) {
    const last = runs.at(-1);
    if (last && last.at(-1)!.second === b.second - 1) last.push(b);
    else runs.push([b]);
  }
  return runs;
}

function horizontalGridLine(box: Box, y: number, label: string, major: boolean, colour = GRID_COLOUR): string {
  return (
    `<line x1="${box.left}" x2="${box.left + box.width}" y1="${r(y)}" y2="${r(y)}" stroke="${colour}"${major ? '' : ' stroke-dasharray="3,3"'}/>` +
    `<text x="${box.left - 8}" y="${r(y + 4)}" text-anchor="end" fill="${AXIS_COLOUR}"${major ? '' : ' fill-opacity="0.7"'}>${label}</text>`
  );
}

function axisFrame(box: Box): string {
  return `<rect x="${box.left}" y="${box.top}" width="${box.width}" height="${box.height}" fill="none" stroke="${AXIS_COLOUR}"/>`;
}

function axisTitles(box: Box, xTitle: string, yTitle: string): string {
  const cx = box.left + box.width / 2;
  const cy = box.top + box.height / 2;
  return (
    (xTitle ? `<text x="${r(cx)}" y="${box.top + box.height + 38}" text-anchor="middle" fill="${AXIS_COLOUR}">${escapeXml(xTitle)}</text>` : '') +
    `<text transform="translate(${box.left - 52},${r(cy)}) rotate(-90)" text-anchor="middle" fill="${AXIS_COLOUR}">${escapeXml(yTitle)}</text>`
  );
}

function legend(entries: ReadonlyArray<{ name: string; colour: string }>, left: number, baseline: number): string {
  let x = left;
  return entries
    .map((e) => {
      const item =
        `<rect x="${x}" y="${baseline - 10}" width="14" height="10" fill="${e.colour}"/>` +
        `<text x="${x + 19}" y="${baseline}" fill="#222">${escapeXml(e.name)}</text>`;
      x += 34 + e.name.length * 7;
      return item;
    })
    .join('');
}

function noData(box: Box): string {
  return `<text x="${r(box.left + box.width / 2)}" y="${r(box.top + box.height / 2)}" text-anchor="middle" fill="#888">no data</text>`;
}

function svg(width: number, height: number, parts: readonly string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" ${FONT}>${parts.join('')}</svg>`;
}

function percentileLabel(p: number): string {
  return `${Number(p.toFixed(4))}%`;
}

function msLabel(micros: number): string {
  return String(Number((micros / 1000).toPrecision(4)));
}

function r(n: number): string {
  return String(Math.round(n * 10) / 10);
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

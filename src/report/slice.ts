/**
 * A time range of a run as a report of its own, from the run's interval log: the histograms of the
 * seconds in the range are added (exact counts, percentiles recomputed), the staggers counted from the
 * `staggers` intervals, the timeline cut. What the log does not hold per second (the rate, the audit) is the
 * whole run's, and the report's notes say so.
 */
import { addEncoded, decodeHistogram, summarizeEncoded } from '../measure/histograms.js';
import { addWriterTimeline, type IntervalLog } from '../measure/intervals.js';
import { formatDuration } from '../util/duration.js';
import { UserError } from '../util/errors.js';
import { toTimelineBucket } from './from-histograms.js';
import { baseTag } from './steps.js';
import type { LatencyReport, ReportHistogram } from './model.js';

export interface SliceRange {
  /** ms since the start of the measured window */
  fromMs: number;
  toMs: number;
}

export interface Slice {
  report: LatencyReport;
  intervals: IntervalLog;
}

export function sliceReport(base: LatencyReport, stepLog: IntervalLog, range: SliceRange, sourceName: string): Slice {
  // A stepped run's log tags each step (`rate=1000/endToEnd`) on one time axis: a range of it is a plain run's.
  const log: IntervalLog = base.steps
    ? { ...stepLog, tags: [...new Set(stepLog.tags.map(baseTag))], intervals: stepLog.intervals.map((i) => ({ ...i, tag: baseTag(i.tag) })) }
    : stepLog;
  if (!(range.toMs > range.fromMs)) throw new UserError(`--to (${formatDuration(range.toMs)}) must be after --from (${formatDuration(range.fromMs)})`, 2);
  const lastSecond = Math.max(-1, ...log.intervals.map((i) => i.second));
  // the log's resolution is one second: the range is widened to whole seconds
  const fromSecond = Math.floor(range.fromMs / 1000);
  const toSecond = Math.min(Math.ceil(range.toMs / 1000), lastSecond + 1);
  if (fromSecond > lastSecond) {
    throw new UserError(`--from ${formatDuration(range.fromMs)} is past the end of the log (${lastSecond + 1} s of intervals)`);
  }
  const inRange = log.intervals.filter((i) => i.second >= fromSecond && i.second < toSecond);
  const byTag = (tag: string) => inRange.filter((i) => i.tag === tag).map((i) => i.encoded);

  const histograms: Record<string, ReportHistogram> = {};
  for (const [name, h] of Object.entries(base.histograms)) {
    if (!log.tags.includes(name)) continue;
    const encoded = addEncoded(byTag(name));
    histograms[name] = { unit: 'us', description: h.description, encoded, summary: summarizeEncoded(encoded) };
  }
  if (Object.keys(histograms).length === 0) throw new UserError(`the interval log holds none of the report's histograms (${Object.keys(base.histograms).join(', ')})`);
  const gaps = addEncoded(byTag('staggers'));
  const gapSummary = summarizeEncoded(gaps);
  const fromMs = fromSecond * 1000;
  const toMs = toSecond * 1000;
  const timeline = inRange
    .filter((i) => i.tag === 'endToEnd')
    .map((i) => {
      const h = decodeHistogram(i.encoded);
      const bucket = toTimelineBucket(i.second - fromSecond, h);
      h.destroy();
      return bucket;
    });
  const label = `${formatDuration(fromMs)}–${formatDuration(toMs)}`;
  const { thresholds: _dropped, perListener: _alsoDropped, steps: _steps, ...rest } = base;
  const report: LatencyReport = {
    ...rest,
    config: { ...base.config, durationMs: toMs - fromMs, sources: [sourceName] },
    target: {
      ...base.target,
      notes: [
        ...(base.target.notes ?? []),
        `a slice of ${sourceName}: seconds ${label} of its measured window; the rate and the audit are the whole run's`,
        ...(base.steps ? ['the source is a stepped run: the slice adds whichever steps fall in the range'] : []),
      ],
    },
    startedAt: new Date(Date.parse(base.startedAt) + fromMs).toISOString(),
    endedAt: new Date(Date.parse(base.startedAt) + toMs).toISOString(),
    durationMs: toMs - fromMs,
    histograms,
    staggers: {
      thresholdMs: base.staggers.thresholdMs,
      count: log.tags.includes('staggers') ? gapSummary.count : base.staggers.worst.filter((s) => s.startMs >= fromMs && s.startMs < toMs).length,
      histogram: { unit: 'us', encoded: gaps, summary: gapSummary },
      worst: base.staggers.worst.filter((s) => s.startMs >= fromMs && s.startMs < toMs).map((s) => ({ ...s, startMs: s.startMs - fromMs })),
    },
    timeline,
  };
  const intervals: IntervalLog = {
    startTime: log.startTime + fromMs,
    tags: log.tags,
    intervals: inRange.map((i) => ({ ...i, second: i.second - fromSecond })),
  };
  addWriterTimeline(report.timeline, intervals); // intended and acknowledged writes, send lag: per second in the log too
  return { report, intervals };
}

/**
 * The HdrHistogram interval log (`.hlog`), in the format of HdrHistogram's HistogramLogWriter (log format
 * 1.3), so HistogramLogProcessor and HistogramLogAnalyzer read it: comment lines, `#[StartTime: …]`,
 * `#[BaseTime: …]`, the legend, then one `Tag=<histogram>,<start>,<length>,<max>,<compressed>` line per
 * histogram per second, timestamps relative to the base time (the measured window's start). Values are
 * microseconds; Interval_Max is in milliseconds (HistogramLogProcessor: `-outputValueUnitRatio 1000`).
 */
import hdr from 'hdr-histogram-js';
import { decodeHistogram } from '../measure/histograms.js';
import type { IntervalHistogram, IntervalLog } from '../measure/intervals.js';

const FORMAT_VERSION = '1.3';
/** hdr-histogram-js's tag of an untagged interval line */
const NO_TAG = 'NO TAG';
const LEGEND = '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"';
/** microseconds → milliseconds for Interval_Max */
const MAX_VALUE_UNIT_RATIO = 1000;

export function formatHlog(log: IntervalLog, comment = 'ticker bench latency: change-event latencies in microseconds'): string {
  // Whole milliseconds, truncated as the report's ISO startedAt is, so both name the same instant.
  const start = Math.floor(log.startTime) / 1000;
  const lines = [
    `#[${comment}]`,
    `#[Histogram log format version ${FORMAT_VERSION}]`,
    `#[StartTime: ${start.toFixed(3)} (seconds since epoch), ${javaDate(new Date(log.startTime))}]`,
    `#[BaseTime: ${start.toFixed(3)} (seconds since epoch)]`,
    LEGEND,
  ];
  for (const i of log.intervals) {
    const h = decodeHistogram(i.encoded);
    const max = h.totalCount === 0 ? 0 : h.maxValue / MAX_VALUE_UNIT_RATIO;
    h.destroy();
    // Java writes %.3f with Locale.US: no grouping, a dot
    lines.push(`Tag=${i.tag},${i.second.toFixed(3)},${(1).toFixed(3)},${max.toFixed(3)},${i.encoded}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Reads an interval log back with hdr-histogram-js's HistogramLogReader (an implementation of its own,
 * not this file's writer). Interval seconds are relative to the log's base time.
 */
export function parseHlog(text: string): IntervalLog {
  const startLine = /^#\[StartTime: ([\d.]+)/m.exec(text);
  const baseLine = /^#\[BaseTime: ([\d.]+)/m.exec(text);
  const base = Math.round(Number((baseLine ?? startLine)?.[1] ?? 0) * 1000);
  const reader = new hdr.HistogramLogReader(text, 64);
  const intervals: IntervalHistogram[] = [];
  const tags: string[] = [];
  for (let h = reader.nextIntervalHistogram(); h !== null; h = reader.nextIntervalHistogram()) {
    const tag = h.tag && h.tag !== NO_TAG ? h.tag : 'untagged';
    if (!tags.includes(tag)) tags.push(tag);
    intervals.push({ second: Math.round((h.startTimeStampMsec - base) / 1000), tag, encoded: hdr.encodeIntoCompressedBase64(h) });
    h.destroy();
  }
  return { startTime: base, tags, intervals };
}

/** `Wed Dec 02 07:18:27 UTC 2026`, as java.util.Date#toString prints it (in UTC). */
function javaDate(d: Date): string {
  const [weekday, day, month, year, time] = d.toUTCString().replace(',', '').split(' '); // Wed 02 Dec 2026 07:18:27 GMT
  return `${weekday} ${month} ${day} ${time} UTC ${year}`;
}

/**
 * Per-second interval histograms, one per tag (histogram name), for the HdrHistogram interval log
 * (`.hlog`). Values arrive in time order per thread; a tag's second is encoded and freed when its next
 * second begins, so memory holds one open histogram per tag. Measuring code: never prints.
 */
import { addEncoded, createLatencyMicros, encodeHistogram, recordMicros, summarizeEncoded, type Histogram } from './histograms.js';

export interface IntervalHistogram {
  /** whole seconds since the start of the measured window */
  second: number;
  /** the histogram's name: endToEnd, writeAck, staggers, ... */
  tag: string;
  /** hdr-histogram compressed base64, microseconds */
  encoded: string;
}

/** A whole run's interval histograms: what the `.hlog` holds. */
export interface IntervalLog {
  /** epoch ms of second 0 (the measured window's start) */
  startTime: number;
  /** tags in the order they are written each second */
  tags: string[];
  intervals: IntervalHistogram[];
}

export class IntervalRecorder {
  private readonly open = new Map<string, { second: number; h: Histogram }>();
  private readonly closed: IntervalHistogram[] = [];

  /** `origin`: epoch ms of second 0; values before it count in second 0. `onClose` sees each second as it closes. */
  constructor(
    private readonly origin: number,
    private readonly onClose?: (interval: IntervalHistogram) => void,
  ) {}

  record(tag: string, atMs: number, micros: number): void {
    const second = Math.max(0, Math.floor((atMs - this.origin) / 1000));
    let current = this.open.get(tag);
    // a value late for its second (a receipt matched to its send time later) goes in the open one
    if (current && second > current.second) {
      this.close(tag, current);
      current = undefined;
    }
    if (!current) {
      current = { second, h: createLatencyMicros() };
      this.open.set(tag, current);
    }
    recordMicros(current.h, micros);
  }

  finish(): IntervalHistogram[] {
    for (const [tag, current] of this.open) this.close(tag, current);
    this.open.clear();
    return this.closed;
  }

  private close(tag: string, current: { second: number; h: Histogram }): void {
    const interval = { second: current.second, tag, encoded: encodeHistogram(current.h) };
    this.closed.push(interval);
    current.h.destroy();
    this.onClose?.(interval);
  }
}

/**
 * Adds the threads' interval histograms per (second, tag) into one log with every tag present in every
 * second from 0 to the last (a second without values is an empty histogram, as an interval logger writes).
 */
export function mergeIntervals(startTime: number, tags: readonly string[], sources: readonly (readonly IntervalHistogram[])[], lastSecond = 0): IntervalLog {
  const byKey = new Map<string, string[]>();
  let last = lastSecond;
  for (const source of sources) {
    for (const i of source) {
      const key = `${i.second}\u0000${i.tag}`;
      const list = byKey.get(key);
      if (list) list.push(i.encoded);
      else byKey.set(key, [i.encoded]);
      if (i.second > last) last = i.second;
    }
  }
  const known = new Set(tags);
  const extra = [...new Set(sources.flatMap((s) => s.map((i) => i.tag)))].filter((t) => !known.has(t));
  const allTags = [...tags, ...extra];
  const intervals: IntervalHistogram[] = [];
  for (let second = 0; second <= last; second++) {
    for (const tag of allTags) intervals.push({ second, tag, encoded: addEncoded(byKey.get(`${second}\u0000${tag}`) ?? []) });
  }
  return { startTime, tags: allTags, intervals };
}

/** Writes intended per second and the writers' send lag per second, from the `sendLag` intervals, into the timeline. */
export function addWriterTimeline(
  timeline: { second: number; writes?: number; sendLagP99Us?: number; sendLagMaxUs?: number }[],
  log: IntervalLog,
): void {
  const bySecond = new Map(log.intervals.filter((i) => i.tag === 'sendLag').map((i) => [i.second, i.encoded]));
  for (const bucket of timeline) {
    const encoded = bySecond.get(bucket.second);
    if (encoded === undefined) continue;
    const s = summarizeEncoded(encoded);
    bucket.writes = s.count;
    bucket.sendLagP99Us = s.p99;
    bucket.sendLagMaxUs = s.max;
  }
}

/**
 * Per-second interval histograms, one per tag (histogram name), for the HdrHistogram interval log
 * (`.hlog`). Values arrive in time order per thread; a tag's second is encoded when its next second
 * begins and its histogram reset for it, so memory holds one histogram per tag. Measuring code: never prints.
 */
import { addEncoded, encodeCounts, LatencyCounts, summarizeEncoded } from './histograms.js';

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
  private readonly open = new Map<string, IntervalSeries>();
  private readonly closed: IntervalHistogram[] = [];

  /** `origin`: epoch ms of second 0; values before it count in second 0. `onClose` sees each second as it closes. */
  constructor(
    private readonly origin: number,
    private readonly onClose?: (interval: IntervalHistogram) => void,
  ) {}

  record(tag: string, atMs: number, micros: number): void {
    this.series(tag).record(atMs, micros);
  }

  /** The recorder of one tag: hot paths keep it, instead of looking the tag up per value. */
  series(tag: string): IntervalSeries {
    let series = this.open.get(tag);
    if (!series) this.open.set(tag, (series = new IntervalSeries(tag, this.origin, (i) => this.close(i))));
    return series;
  }

  finish(): IntervalHistogram[] {
    for (const series of this.open.values()) series.finish();
    this.open.clear();
    return this.closed;
  }

  private close(interval: IntervalHistogram): void {
    this.closed.push(interval);
    this.onClose?.(interval);
  }
}

/**
 * One tag's open second. Its counts are reset and reused when the next second begins: a latency
 * histogram is ~190 KB of counts, and a new one per tag per second is garbage the thread would collect.
 */
export class IntervalSeries {
  private second = -1;
  private h: LatencyCounts | undefined;

  constructor(
    readonly tag: string,
    private readonly origin: number,
    private readonly onClose: (interval: IntervalHistogram) => void,
  ) {}

  record(atMs: number, micros: number): void {
    const second = Math.max(0, Math.floor((atMs - this.origin) / 1000));
    // a value late for its second (a receipt matched to its send time later) goes in the open one
    if (second > this.second) {
      if (this.h && this.second >= 0) this.closeSecond();
      this.second = second;
    }
    (this.h ??= new LatencyCounts()).record(micros);
  }

  finish(): void {
    if (this.h && this.second >= 0) this.closeSecond();
    this.h = undefined;
  }

  private closeSecond(): void {
    const h = this.h!;
    this.onClose({ second: this.second, tag: this.tag, encoded: encodeCounts(h) });
    h.reset();
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

/**
 * Per second, from the writers' intervals: writes intended (the `sendLag` values, recorded at their intended
 * time), writes acknowledged (the `writeAck` values, recorded when acknowledged: the achieved rate), and the
 * writers' send lag, into the timeline.
 */
export function addWriterTimeline(
  timeline: { second: number; writes?: number; acked?: number; sendLagP99Us?: number; sendLagMaxUs?: number }[],
  log: IntervalLog,
): void {
  const bySecond = (tag: string) => new Map(log.intervals.filter((i) => i.tag === tag).map((i) => [i.second, i.encoded]));
  const lag = bySecond('sendLag');
  const acks = bySecond('writeAck');
  for (const bucket of timeline) {
    const encoded = lag.get(bucket.second);
    if (encoded !== undefined) {
      const s = summarizeEncoded(encoded);
      bucket.writes = s.count;
      bucket.sendLagP99Us = s.p99;
      bucket.sendLagMaxUs = s.max;
    }
    const acked = acks.get(bucket.second);
    if (acked !== undefined) bucket.acked = summarizeEncoded(acked).count;
  }
}

/** Turns live latency histograms into report fields (for the run that produces a report). */
import { encodeHistogram, summarize, type Histogram } from '../measure/histograms.js';
import type { ReportHistogram, TimelineBucket } from './model.js';

export function toReportHistogram(h: Histogram, description: string): ReportHistogram {
  return { unit: 'us', description, encoded: encodeHistogram(h), summary: summarize(h) };
}

/** One second of the latency-over-time plot; keeps the encoded counts so merged timelines stay exact. */
export function toTimelineBucket(second: number, h: Histogram): TimelineBucket {
  const s = summarize(h);
  return { second, events: s.count, p50us: s.p50, p99us: s.p99, maxUs: s.max, encoded: encodeHistogram(h) };
}

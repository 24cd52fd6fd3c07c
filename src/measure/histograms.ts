/**
 * The one histogram factory for latencies, in microseconds, plus the helpers that move histograms
 * between threads and files (compressed base64), add them, and summarise them into plain data.
 * Measuring code: never prints.
 */
import hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

export type { Histogram };

/** Range and precision of every latency histogram, set in one place: 1 µs .. 1 hour, 3 significant digits. */
export const LATENCY_MICROS = {
  lowestDiscernibleValue: 1,
  highestTrackableValue: 3_600_000_000,
  numberOfSignificantValueDigits: 3,
} as const;

// 64-bit counters: fast to record into and exact far beyond any run's event count.
const BIT_BUCKET_SIZE = 64;

export interface PercentilePoint {
  /** 0..100 */
  percentile: number;
  /** microseconds */
  value: number;
}

/** Plain-data summary of a latency histogram; every value is in microseconds. */
export interface HistogramSummary {
  count: number;
  min: number;
  mean: number;
  stddev: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  /** Value at percentiles on a "nines" scale (0, 50, 75, 87.5, ... 99.999, 100), for plotting. */
  distribution: PercentilePoint[];
}

/** A new, empty latency histogram in microseconds (pure JS, nothing to free, but `destroy()` is harmless). */
export function createLatencyMicros(): Histogram {
  return hdr.build({ ...LATENCY_MICROS, bitBucketSize: BIT_BUCKET_SIZE, autoResize: false, useWebAssembly: false });
}

/**
 * Records one latency, rounded and clamped into the histogram's range: out-of-range values would
 * otherwise be silently dropped from the counts while still moving `max`.
 */
export function recordMicros(h: Histogram, micros: number): void {
  const value = Math.round(micros);
  h.recordValue(Math.min(Math.max(value, 0), LATENCY_MICROS.highestTrackableValue));
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Decodes into a fresh factory histogram so decoded histograms always share range and precision. */
export function decodeHistogram(encoded: string): Histogram {
  const decoded = hdr.decodeFromCompressedBase64(encoded, BIT_BUCKET_SIZE, false);
  const h = createLatencyMicros();
  h.add(decoded);
  decoded.destroy();
  return h;
}

/** Adds `source`'s counts to `target`. Histograms are added; percentiles are never averaged. */
export function mergeInto(target: Histogram, source: Histogram): void {
  target.add(source);
}

/** Percentiles of the plotted series: halving the remaining distance each step, then 99.999 and 100. */
export const DISTRIBUTION_PERCENTILES: readonly number[] = (() => {
  const points = [0];
  for (let remaining = 50; 100 - remaining < 99.999; remaining /= 2) points.push(100 - remaining);
  points.push(99.999, 100);
  return points;
})();

export function summarize(h: Histogram): HistogramSummary {
  if (h.totalCount === 0) {
    return { count: 0, min: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, distribution: [] };
  }
  return {
    count: h.totalCount,
    min: h.getValueAtPercentile(0),
    mean: round3(h.mean),
    stddev: round3(h.stdDeviation),
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    // like every percentile, the max is its bucket's highest equivalent value: the exact maxValue of a
    // live histogram does not survive encoding, and a merged report must summarise like a live one
    max: h.getValueAtPercentile(100),
    distribution: DISTRIBUTION_PERCENTILES.map((percentile) => ({ percentile, value: h.getValueAtPercentile(percentile) })),
  };
}

/** Summary of an encoded histogram, freeing the temporary. */
export function summarizeEncoded(encoded: string): HistogramSummary {
  const h = decodeHistogram(encoded);
  try {
    return summarize(h);
  } finally {
    h.destroy();
  }
}

/** Adds encoded histograms and returns the sum, encoded. */
export function addEncoded(encoded: readonly string[]): string {
  const total = createLatencyMicros();
  try {
    for (const e of encoded) {
      const h = decodeHistogram(e);
      mergeInto(total, h);
      h.destroy();
    }
    return encodeHistogram(total);
  } finally {
    total.destroy();
  }
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

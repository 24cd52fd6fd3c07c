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

/** 2^10: half the sub-buckets of a 3-significant-digit histogram whose lowest value is 1 (hdr's layout) */
const SUB_BUCKET_HALF_MAGNITUDE = 10;
/** counts in the LATENCY_MICROS layout: buckets 0..21 of 1,024 (bucket 0: 2,048) */
const COUNTS_LENGTH = (Math.ceil(Math.log2(LATENCY_MICROS.highestTrackableValue / 2048)) + 2) << SUB_BUCKET_HALF_MAGNITUDE;

/**
 * A latency histogram's counts in the factory layout, recorded with integer arithmetic: a listener thread
 * records several values per event, and hdr-histogram-js finds a bucket with Math.log2 and Math.pow
 * (about 10x the time of a count here). `addTo` moves the counts into an hdr histogram, which then
 * holds what recording every value into it would have (same counts per bucket; values within
 * LATENCY_MICROS always fit in 32 bits, so clz32 and shifts are exact).
 */
export class LatencyCounts {
  private readonly counts = new Float64Array(COUNTS_LENGTH);
  private lowest = COUNTS_LENGTH;
  private highest = -1;
  count = 0;

  /** As recordMicros: rounded and clamped into the range. */
  record(micros: number): void {
    const value = Math.min(Math.max(Math.round(micros), 0), LATENCY_MICROS.highestTrackableValue);
    const bucket = Math.max(0, 31 - SUB_BUCKET_HALF_MAGNITUDE - Math.clz32(value));
    const index = (bucket << SUB_BUCKET_HALF_MAGNITUDE) + (value >>> bucket);
    this.counts[index]!++;
    if (index < this.lowest) this.lowest = index;
    if (index > this.highest) this.highest = index;
    this.count++;
  }

  addTo(h: Histogram): void {
    for (let index = this.lowest; index <= this.highest; index++) {
      const n = this.counts[index]!;
      if (n > 0) h.recordValueWithCount(valueAtIndex(index), n);
    }
  }

  /** A new factory histogram holding these counts (the caller destroys it). */
  toHistogram(): Histogram {
    const h = createLatencyMicros();
    this.addTo(h);
    return h;
  }

  reset(): void {
    if (this.highest >= 0) this.counts.fill(0, this.lowest, this.highest + 1);
    this.lowest = COUNTS_LENGTH;
    this.highest = -1;
    this.count = 0;
  }
}

/** The lowest value counted at `index` of the LATENCY_MICROS layout. */
function valueAtIndex(index: number): number {
  const bucket = Math.max(0, (index >>> SUB_BUCKET_HALF_MAGNITUDE) - 1);
  return (index - (bucket << SUB_BUCKET_HALF_MAGNITUDE)) * 2 ** bucket;
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

/** Encoded, as encodeHistogram of the same values recorded one by one. */
export function encodeCounts(counts: LatencyCounts): string {
  const h = counts.toHistogram();
  try {
    return encodeHistogram(h);
  } finally {
    h.destroy();
  }
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

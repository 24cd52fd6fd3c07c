import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DISTRIBUTION_PERCENTILES,
  LATENCY_MICROS,
  LatencyCounts,
  createLatencyMicros,
  decodeHistogram,
  encodeCounts,
  encodeHistogram,
  mergeInto,
  recordMicros,
  summarize,
} from '../../src/measure/histograms.js';

function filled(values: number[]) {
  const h = createLatencyMicros();
  for (const v of values) recordMicros(h, v);
  return h;
}

test('merging two histograms adds their counts, and the merged p99 is that of one histogram fed all values', () => {
  const a = Array.from({ length: 5000 }, (_, i) => 100 + i * 3);
  const b = Array.from({ length: 3000 }, (_, i) => 20_000 + i * 97);
  const merged = filled(a);
  mergeInto(merged, filled(b));
  const all = filled([...a, ...b]);
  assert.equal(merged.totalCount, 8000);
  assert.deepEqual(summarize(merged), summarize(all));
});

test('encode/decode round trip keeps every count', () => {
  const h = filled([1, 5, 5, 999, 123_456, 60_000_000]);
  const decoded = decodeHistogram(encodeHistogram(h));
  assert.deepEqual(summarize(decoded), summarize(h));
  assert.equal(decoded.totalCount, 6);
});

test('summarize gives microsecond percentiles and a nines-scale series ending at the max', () => {
  const s = summarize(filled(Array.from({ length: 1000 }, (_, i) => (i + 1) * 10)));
  const near = (actual: number, expected: number) =>
    assert.ok(Math.abs(actual - expected) <= expected * 0.001, `${actual} is not within 0.1% of ${expected}`);
  assert.equal(s.count, 1000);
  assert.equal(s.min, 10);
  near(s.p50, 5000);
  near(s.p99, 9900);
  near(s.max, 10_000);
  assert.equal(s.distribution[0]!.percentile, 0);
  assert.deepEqual(s.distribution.at(-1), { percentile: 100, value: s.max });
  assert.deepEqual(
    s.distribution.map((p) => p.percentile),
    [...DISTRIBUTION_PERCENTILES],
  );
  assert.ok(DISTRIBUTION_PERCENTILES.includes(99.999));
});

test('an empty histogram summarises to zeros, not to infinities', () => {
  assert.deepEqual(summarize(createLatencyMicros()), {
    count: 0, min: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, distribution: [],
  });
});

test('recordMicros clamps out-of-range values into the histogram instead of losing them', () => {
  const h = filled([-5, 1.4, LATENCY_MICROS.highestTrackableValue * 2]);
  const s = summarize(h);
  assert.equal(s.count, 3);
  assert.equal(s.min, 0);
  assert.ok(s.max <= LATENCY_MICROS.highestTrackableValue * 1.001);
});

test('LatencyCounts holds what hdr-histogram-js records: the same encoding and summary, over the whole range', () => {
  let seed = 7;
  const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  // every bucket boundary, values near the top and out of range both ways, fractions, and spread values
  const values = [0, 0.4, 0.6, 1, 2047, 2048, 2049, 4095, 4096, LATENCY_MICROS.highestTrackableValue, LATENCY_MICROS.highestTrackableValue * 2, -5];
  for (let b = 0; b < 32; b++) values.push(2 ** b - 1, 2 ** b, 2 ** b + 1);
  for (let i = 0; i < 20_000; i++) values.push(Math.exp(random() * Math.log(LATENCY_MICROS.highestTrackableValue)));
  const counts = new LatencyCounts();
  for (const v of values) counts.record(v);
  const direct = filled(values);
  assert.equal(counts.count, values.length);
  assert.equal(encodeCounts(counts), encodeHistogram(direct));
  const h = counts.toHistogram();
  assert.deepEqual(summarize(h), summarize(direct));
  counts.reset();
  assert.equal(counts.count, 0);
  counts.record(1500);
  assert.equal(encodeCounts(counts), encodeHistogram(filled([1500])));
});

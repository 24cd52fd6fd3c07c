/** Small, deterministic latency reports for the report tests (not a test file itself). */
import { createLatencyMicros, encodeHistogram, recordMicros, summarize } from '../../src/measure/histograms.js';
import { toReportHistogram, toTimelineBucket } from '../../src/report/from-histograms.js';
import { HISTOGRAM_DESCRIPTIONS, REPORT_FORMAT, REPORT_VERSION, type LatencyReport } from '../../src/report/model.js';

export interface FixtureOptions {
  /** endToEnd latencies, µs; second i of the timeline gets values[i * perSecond ...] */
  endToEnd: number[];
  writeAck?: number[];
  gapsMs?: number[];
  lost?: number;
  perSecond?: number;
  startedAt?: string;
}

export function makeReport(o: FixtureOptions): LatencyReport {
  const perSecond = o.perSecond ?? 10;
  const endToEnd = createLatencyMicros();
  for (const v of o.endToEnd) recordMicros(endToEnd, v);
  const writeAck = createLatencyMicros();
  for (const v of o.writeAck ?? o.endToEnd.map((v) => v / 2)) recordMicros(writeAck, v);
  const gaps = createLatencyMicros();
  for (const g of o.gapsMs ?? []) recordMicros(gaps, g * 1000);
  const timeline = [];
  for (let i = 0; i * perSecond < o.endToEnd.length; i++) {
    const h = createLatencyMicros();
    for (const v of o.endToEnd.slice(i * perSecond, (i + 1) * perSecond)) recordMicros(h, v);
    timeline.push(toTimelineBucket(i, h));
  }
  const n = o.endToEnd.length;
  const lost = o.lost ?? 0;
  const startedAt = o.startedAt ?? '2025-01-31T12:00:00.000Z';
  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    config: { rate: 10, durationMs: timeline.length * 1000, warmupMs: 0, listeners: 1, writers: 1, fullDocument: 'default', mix: { insert: 100 } },
    target: { uri: 'mongodb://localhost:27017', embedded: true, serverVersion: '8.0.0', topology: 'replicaSet' },
    startedAt,
    endedAt: new Date(Date.parse(startedAt) + timeline.length * 1000).toISOString(),
    durationMs: timeline.length * 1000,
    rate: { requested: 10, achieved: 9.5, maxBehindMs: 2, writes: n, writeErrors: 0 },
    histograms: {
      endToEnd: toReportHistogram(endToEnd, HISTOGRAM_DESCRIPTIONS.endToEnd),
      writeAck: toReportHistogram(writeAck, HISTOGRAM_DESCRIPTIONS.writeAck),
    },
    staggers: {
      thresholdMs: 250,
      count: (o.gapsMs ?? []).length,
      histogram: { unit: 'us', encoded: encodeHistogram(gaps), summary: summarize(gaps) },
      worst: (o.gapsMs ?? []).map((gapMs, i) => ({ startMs: 1000 * (i + 1), gapMs, burst: 3, listener: '0' })),
    },
    timeline,
    audit: { expected: n, received: n - lost, lost, duplicated: 0, perListener: [{ listener: '0', expected: n, received: n - lost, lost, duplicated: 0 }] },
    ok: lost === 0,
  };
}

/** 1..n µs scaled, deterministic. */
export function values(n: number, scale = 1000, offset = 0): number[] {
  return Array.from({ length: n }, (_, i) => offset + (i + 1) * scale);
}

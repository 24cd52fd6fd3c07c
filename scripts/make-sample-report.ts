/**
 * Writes a report from synthetic, deterministic data, to look at the files before real runs exist:
 *   node dist/scripts/make-sample-report.js [dir] [name]
 * Two staggers are staged (at 17 s and 41 s) so the plots have something to show.
 */
import { createLatencyMicros, encodeHistogram, recordMicros, summarize, type Histogram } from '../src/measure/histograms.js';
import { HISTOGRAM_DESCRIPTIONS, REPORT_FORMAT, REPORT_VERSION, type HistogramName, type LatencyReport } from '../src/report/model.js';
import { toReportHistogram, toTimelineBucket } from '../src/report/from-histograms.js';
import { writeReport } from '../src/report/write.js';

/** Deterministic PRNG (mulberry32) so the sample is the same every time. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeSampleReport(seed = 42, seconds = 60, rate = 1000): LatencyReport {
  const rnd = random(seed);
  const logNormal = (medianUs: number, sigma: number) =>
    medianUs * Math.exp(sigma * Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd()));
  const staged = [
    { startMs: 17_200, gapMs: 820, shard: 'shard01' },
    { startMs: 41_050, gapMs: 1_480, shard: 'shard02' },
  ];
  const histograms = Object.fromEntries(
    (Object.keys(HISTOGRAM_DESCRIPTIONS) as HistogramName[]).map((n) => [n, createLatencyMicros()]),
  ) as Record<HistogramName, Histogram>;
  const perSecond: Histogram[] = Array.from({ length: seconds }, () => createLatencyMicros());
  const received = new Array<number>(seconds).fill(0);

  // the writers stall for 300 ms at 30 s: sends during the stall go late (corrected latency sees it)
  const stall = { atMs: 30_000, forMs: 300 };
  for (let k = 0; k < seconds * rate; k++) {
    const intendedMs = (k * 1000) / rate;
    const sentMs =
      intendedMs >= stall.atMs && intendedMs < stall.atMs + stall.forMs
        ? stall.atMs + stall.forMs + (intendedMs - stall.atMs) * 0.2
        : intendedMs;
    const writeAck = logNormal(900, 0.35);
    const commit = writeAck + logNormal(250, 0.4);
    let receiptMs = sentMs + (commit + logNormal(1_100, 0.5)) / 1000;
    // an event committed during a stagger is delivered when the gap ends
    const gap = staged.find((s) => receiptMs >= s.startMs && receiptMs < s.startMs + s.gapMs);
    if (gap) receiptMs = gap.startMs + gap.gapMs + rnd() * 15;
    const endToEndUs = (receiptMs - intendedMs) * 1000;
    recordMicros(histograms.endToEnd, endToEndUs);
    recordMicros(histograms.uncorrected, endToEndUs - (sentMs - intendedMs) * 1000);
    recordMicros(histograms.writeAck, writeAck);
    recordMicros(histograms.commitToReceipt, endToEndUs - commit);
    recordMicros(histograms.serverSide, Math.round(rnd() * 2) * 1000);
    const second = Math.floor(receiptMs / 1000);
    if (second < seconds) {
      recordMicros(perSecond[second]!, endToEndUs);
      received[second]!++;
    }
  }

  const gaps = createLatencyMicros();
  for (const s of staged) recordMicros(gaps, s.gapMs * 1000);
  const expected = seconds * rate;
  const report: LatencyReport = {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    config: {
      rate,
      durationMs: seconds * 1000,
      warmupMs: 5_000,
      listeners: 1,
      writers: 4,
      fullDocument: 'updateLookup',
      mix: { insert: 60, update: 30, delete: 10 },
      coldShard: true,
    },
    target: {
      uri: 'mongodb://bench:****@mongos-0.example.net:27017/?tls=true',
      embedded: false,
      serverVersion: '8.0.4',
      topology: 'sharded',
      shards: 2,
      notes: ['synthetic sample data (scripts/make-sample-report.ts)'],
    },
    startedAt: '2025-01-31T12:00:00.000Z',
    endedAt: new Date(Date.parse('2025-01-31T12:00:00.000Z') + seconds * 1000).toISOString(),
    durationMs: seconds * 1000,
    rate: { requested: rate, achieved: rate * 0.998, maxBehindMs: stall.forMs, writes: expected, writeErrors: 0 },
    histograms: Object.fromEntries(
      Object.entries(histograms).map(([name, h]) => [name, toReportHistogram(h, HISTOGRAM_DESCRIPTIONS[name as HistogramName])]),
    ),
    staggers: {
      thresholdMs: 250,
      count: staged.length,
      histogram: { unit: 'us', encoded: encodeHistogram(gaps), summary: summarize(gaps) },
      worst: staged
        .map((s) => ({ ...s, burst: Math.round((s.gapMs / 1000) * rate), listener: '0' }))
        .sort((a, b) => b.gapMs - a.gapMs),
    },
    timeline: perSecond.map((h, second) => toTimelineBucket(second, h)),
    audit: { expected, received: expected, lost: 0, duplicated: 0 },
    ok: true,
    perListener: [{ listener: '0', events: expected, p99us: summarize(histograms.endToEnd).p99 }],
  };
  return report;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir = 'reports', name = 'sample'] = process.argv.slice(2);
  const written = await writeReport(makeSampleReport(), dir, name);
  process.stdout.write(Object.values(written).join('\n') + '\n');
}

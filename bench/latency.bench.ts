/**
 * `ticker bench latency` against a bare driver watch loop, on the embedded replica set (in its own
 * process), in the same run:
 *   - at 16 and 2,000 ops/s: the harness's end-to-end p50 (target < 1 ms) and p99 (< 5 ms), each beside
 *     the bare loop's, and the ratios harness / bare: p50 ≤ 1.10, and at 2,000 ops/s p99 ≤ 1.5 (the
 *     instrument must not be what it measures). The harness runs as `--metrics-port` runs it, its
 *     endpoint scraped every second; both sides make the same writes (familiar symbols' price and tick);
 *   - 100 listeners at 1,000 ops/s: nothing lost or duplicated; their p99;
 *   - the machine's floor at each pacing: a bare-socket ping round trip to the same server.
 * BENCH_QUICK=1 makes every run short; BENCH_LATENCY_RATES=2000 runs only those rates (no 100 listeners).
 *   node dist/bench/latency.bench.js
 */
import type { Document, MongoClient } from 'mongodb';
import { openClient } from '../src/connect/client.js';
import { bulkDocs, FAMILIAR_SYMBOL_NAMES, familiarDocs, layoutFor, seededRandom, type StockDoc } from '../src/load/dataset.js';
import { startEmbeddedProcess } from '../src/measure/embedded-process.js';
import { createLatencyMicros, recordMicros, summarize } from '../src/measure/histograms.js';
import { runLatency, type LatencyRunResult } from '../src/measure/latency-run.js';
import { LiveMetrics } from '../src/metrics/live-metrics.js';
import { startMetricsServer } from '../src/metrics/server.js';
import os from 'node:os';
import { median } from './lib/harness.js';
import { QUICK, type BenchResult } from './lib/result.js';
import { epochNow, hybridTimer } from '../src/mutate/timer.js';
import { wirePingRoundTrips } from './lib/wire-ping.js';

const DB = 'ticker_bench_latency';
const COLL = 'stocksymbols';

interface Percentiles {
  p50ms: number;
  p99ms: number;
  count: number;
}

export async function run(): Promise<BenchResult[]> {
  const server = await startEmbeddedProcess();
  const client = await openClient(server.uri, { appName: 'ticker-bench-baseline' });
  try {
    await load(client);
    const results: BenchResult[] = [];
    // A fresh server process is cold (its JIT has not seen the write and change-stream paths): warm it
    // once, so whichever of the two loops runs first is not the one that pays for it.
    await bareWatchLoop(client, 2_000, 2_000, 0);
    await runLatency({ uri: server.uri, db: DB, coll: COLL, rate: 2_000, durationMs: 2_000, warmupMs: 0, listeners: 1, writers: 1, fullDocument: false, mix: 'familiar' });
    const only = process.env.BENCH_LATENCY_RATES?.split(',').map(Number);
    for (const rate of only ?? [16, 2_000]) {
      const durationMs = QUICK ? 2_000 : rate < 100 ? 15_000 : 6_000;
      const warmupMs = QUICK ? 500 : rate < 100 ? 2_000 : 1_000;
      const load = os.loadavg()[0]!;
      // Alternating rounds, medians of each side: one quiet or noisy spell of a shared machine does not
      // decide the ratio (more, shorter rounds where the events are many).
      const bareRuns: Percentiles[] = [];
      const harnessRuns: Percentiles[] = [];
      let lost = 0;
      let duplicated = 0;
      let scrapes = 0;
      for (let pass = 0; pass < (QUICK ? 1 : rate < 100 ? 3 : 6); pass++) {
        bareRuns.push(await bareWatchLoop(client, rate, durationMs, warmupMs));
        const { result, scraped } = await withMetrics((metrics) => runLatency({
          uri: server.uri, db: DB, coll: COLL, rate, durationMs, warmupMs, listeners: 1, writers: 1, fullDocument: false, mix: 'familiar', metrics,
        }));
        const e2e = result.report.histograms.endToEnd!.summary;
        harnessRuns.push({ p50ms: e2e.p50 / 1000, p99ms: e2e.p99 / 1000, count: e2e.count });
        lost += result.report.audit.lost;
        duplicated += result.report.audit.duplicated;
        scrapes += scraped;
      }
      const { hostname, port } = new URL(server.uri.replace(/^mongodb:/, 'http:'));
      const ping = await wirePingRoundTrips(hostname, Number(port), rate, Math.min(durationMs, QUICK ? 2_000 : 5_000));
      const bare = medians(bareRuns);
      const harness = medians(harnessRuns);
      const notes = `median of ${bareRuns.length} alternating rounds of ${durationMs / 1000} s; ` +
        `p50 per round: harness ${harnessRuns.map((r) => round(r.p50ms)).join(', ')} ms, bare ${bareRuns.map((r) => round(r.p50ms)).join(', ')} ms; ` +
        `p99 per round: harness ${harnessRuns.map((r) => round(r.p99ms)).join(', ')} ms, bare ${bareRuns.map((r) => round(r.p99ms)).join(', ')} ms; ` +
        `${harness.count} events (bare: ${bare.count}), audit ${lost} lost / ${duplicated} duplicated; metrics endpoint on, scraped ${scrapes} times; ` +
        `load average ${load.toFixed(2)} → ${os.loadavg()[0]!.toFixed(2)} (${os.cpus().length} cores)`;
      const baselineName = 'bare driver watch loop';
      results.push(
        {
          name: `end-to-end p50 @ ${rate} ops/s`, value: round(harness.p50ms), unit: 'ms',
          baseline: { name: `${baselineName} p50`, value: round(bare.p50ms) }, ratio: ratio(harness.p50ms, bare.p50ms),
          target: '< 1 ms', pass: harness.p50ms < 1, notes,
        },
        {
          name: `end-to-end p99 @ ${rate} ops/s`, value: round(harness.p99ms), unit: 'ms',
          baseline: { name: `${baselineName} p99`, value: round(bare.p99ms) }, ratio: ratio(harness.p99ms, bare.p99ms),
          target: '< 5 ms', pass: harness.p99ms < 5, notes,
        },
        {
          name: `harness / bare p50 @ ${rate} ops/s`, value: ratio(harness.p50ms, bare.p50ms), unit: '×',
          baseline: { name: `${baselineName} p50 (ms)`, value: round(bare.p50ms) }, ratio: ratio(harness.p50ms, bare.p50ms),
          target: 'ratio <= 1.10', pass: ratio(harness.p50ms, bare.p50ms) <= 1.1,
        },
        {
          name: `harness / bare p99 @ ${rate} ops/s`, value: ratio(harness.p99ms, bare.p99ms), unit: '×',
          baseline: { name: `${baselineName} p99 (ms)`, value: round(bare.p99ms) }, ratio: ratio(harness.p99ms, bare.p99ms),
          // at 16 ops/s the p99 is the third-worst of some 240 events: reported, not judged
          ...(rate >= 1_000 ? { target: 'ratio <= 1.5', pass: ratio(harness.p99ms, bare.p99ms) <= 1.5 } : {}),
        },
        {
          name: `wire floor: bare-socket ping round trip p50 @ ${rate}/s`, value: round(ping.p50 / 1000), unit: 'ms',
          baseline: { name: 'harness end-to-end p50 (ms)', value: round(harness.p50ms) }, ratio: ratio(harness.p50ms, ping.p50 / 1000),
          notes: `ratio = harness / floor; floor p99 ${round(ping.p99 / 1000)} ms (${ping.count} pings, no driver, same server, same pacing): ` +
            'a write and its event need about one round trip, so the end-to-end targets cannot be met where this floor is above them',
        },
      );
    }

    if (only) return results;
    // 100 listeners at 1,000 ops/s, against one listener at the same rate in the same run.
    const durationMs = QUICK ? 2_000 : 10_000;
    const warmupMs = QUICK ? 500 : 2_000;
    const one = await runLatency({ uri: server.uri, db: DB, coll: COLL, rate: 1_000, durationMs, warmupMs, listeners: 1, writers: 1, fullDocument: false });
    const many = await runLatency({ uri: server.uri, db: DB, coll: COLL, rate: 1_000, durationMs, warmupMs, listeners: 100, writers: 1, fullDocument: false });
    const p99 = many.report.histograms.endToEnd!.summary.p99 / 1000;
    const p99one = one.report.histograms.endToEnd!.summary.p99 / 1000;
    const clean = many.report.audit.lost === 0 && many.report.audit.duplicated === 0 && many.errors.length === 0;
    results.push({
      name: 'end-to-end p99, 100 listeners @ 1000 ops/s', value: round(p99), unit: 'ms',
      baseline: { name: 'one listener p99 (harness)', value: round(p99one) }, ratio: ratio(p99, p99one),
      pass: clean,
      notes: `${many.report.audit.expected} expected, ${many.report.audit.lost} lost, ${many.report.audit.duplicated} duplicated, ` +
        `${many.report.staggers.count} staggers, achieved ${Math.round(many.report.rate.achieved)} ops/s`,
    });
    return results;
  } finally {
    await client.db(DB).dropDatabase().catch(() => undefined);
    await client.close();
    await server.stop();
  }
}

/** The small data set, unless already there. */
async function load(client: MongoClient): Promise<void> {
  const coll = client.db(DB).collection<StockDoc>(COLL);
  if ((await coll.estimatedDocumentCount()) > 0) return;
  const layout = layoutFor('small');
  const random = seededRandom(1);
  await coll.insertMany(familiarDocs(random));
  for (let from = 0; from < layout.count; from += 5_000) {
    await coll.insertMany(bulkDocs(layout, from, Math.min(layout.count, from + 5_000), random), { ordered: false });
  }
}

/**
 * A harness run with the live metrics on, as `--metrics-port 0` has them, and a scraper (a Prometheus
 * at a 1 s interval) reading the endpoint while it runs.
 */
async function withMetrics(run: (metrics: LiveMetrics) => Promise<LatencyRunResult>): Promise<{ result: LatencyRunResult; scraped: number }> {
  const metrics = new LiveMetrics();
  const endpoint = await startMetricsServer(metrics, 0);
  let scraped = 0;
  const scraper = setInterval(() => {
    fetch(endpoint.url).then((r) => r.text()).then(() => scraped++, () => undefined);
  }, 1_000);
  try {
    return { result: await run(metrics), scraped };
  } finally {
    clearInterval(scraper);
    await endpoint.close();
  }
}

/**
 * The baseline: one change stream and a plain writer in this process (same server, same rate, same
 * open-loop plan: latency from the intended time; the same writes and events as the harness's familiar
 * updates), no threads, no audit, no report. It keeps no
 * promise per write (only a count in flight): 20,000 settled promises held to the end made its own
 * garbage collections the tail it measured (1.1 s of scavenges in a 10 s run, up to 69 ms each).
 */
async function bareWatchLoop(client: MongoClient, rate: number, durationMs: number, warmupMs: number): Promise<Percentiles> {
  const coll = client.db(DB).collection<Document>(COLL);
  const stream = coll.watch([]);
  const h = createLatencyMicros();
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  (stream as unknown as { cursor: NodeJS.EventEmitter }).cursor.once('init', () => opened());
  let windowStart = Infinity;
  const reading = (async () => {
    for (;;) {
      const event = (await stream.next().catch(() => null)) as Document | null;
      const receiptAt = epochNow();
      if (!event) return;
      const at = event.updateDescription?.updatedFields?.tick?.at;
      if (typeof at === 'number' && at >= windowStart) recordMicros(h, (receiptAt - at) * 1000);
    }
  })();
  await open;

  const timer = hybridTimer();
  const start = timer.now() + 20;
  windowStart = start + warmupMs;
  const total = Math.floor(((warmupMs + durationMs) * rate) / 1000);
  let inFlight = 0;
  let drained: () => void = () => undefined;
  const settle = (): void => {
    if (--inFlight === 0) drained();
  };
  for (let k = 0; k < total; k++) {
    const at = start + (k * 1000) / rate;
    await timer.waitUntil(at);
    inFlight++;
    // the harness's familiar write: a familiar symbol's price and the write's tick
    const symbol = FAMILIAR_SYMBOL_NAMES[k % FAMILIAR_SYMBOL_NAMES.length]!;
    coll.updateOne({ _id: symbol as never }, { $set: { price: 90 + (k % 10), tick: { seq: k, at, w: 0 } } }).then(settle, settle);
  }
  if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
  await new Promise((resolve) => setTimeout(resolve, 300));
  await stream.close();
  await reading;
  const s = summarize(h);
  h.destroy();
  return { p50ms: s.p50 / 1000, p99ms: s.p99 / 1000, count: s.count };
}

/** Median p50 and p99 of several rounds; their event counts added. */
function medians(runs: Percentiles[]): Percentiles {
  return { p50ms: median(runs.map((r) => r.p50ms)), p99ms: median(runs.map((r) => r.p99ms)), count: runs.reduce((a, r) => a + r.count, 0) };
}

function ratio(a: number, b: number): number {
  return b > 0 ? round(a / b) : 0;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await run();
  process.stdout.write(JSON.stringify(results, null, 2) + '\n');
}

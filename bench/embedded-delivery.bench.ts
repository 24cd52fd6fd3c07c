/**
 * Change-event delivery on the embedded server (in its own process), measured with the bare driver: a
 * change stream with `next()` pending, one insertOne, and the time from the insert's acknowledgement to
 * the event's arrival (the waiting getMore's reply). Baseline: a ping round trip in the same run.
 * Target: median < 0.5 ms. (On a real replica set events wait for the majority commit and the journal
 * flush, so about 100 ms there is normal; the embedded server commits in memory.)
 *   node dist/bench/embedded-delivery.bench.js        (BENCH_QUICK=1 for fewer samples)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { spawnChild } from './lib/child.js';
import { percentile, round } from './lib/harness.js';
import { QUICK, type BenchResult } from './lib/result.js';

export async function run(): Promise<BenchResult[]> {
  const samples = QUICK ? 300 : 2000;
  const child = await spawnChild<{ port: number }>('server-child', ['embedded']);
  const client = new MongoClient(`mongodb://127.0.0.1:${child.ready.port}/?replicaSet=rs0`, { serverSelectionTimeoutMS: 5000, maxPoolSize: 4 });
  try {
    await client.connect();
    const db = client.db('ticker_bench');
    const coll = db.collection<{ _id: number; price: number }>('delivery');
    const stream = coll.watch([], { maxAwaitTimeMS: 5000 });
    await stream.tryNext(); // the cursor is open before the first write
    const pings: number[] = [];
    const delivery: number[] = [];
    const writeToEvent: number[] = [];
    for (let i = -50; i < samples; i++) {
      const p0 = performance.now();
      await db.command({ ping: 1 });
      const pingMs = performance.now() - p0;
      let arrived = 0;
      const event = stream.next().then((e) => {
        arrived = performance.now();
        return e;
      });
      await sleep(1); // let the getMore reach the server and wait there
      const w0 = performance.now();
      await coll.insertOne({ _id: i, price: i % 100 });
      const acked = performance.now();
      const e = await event;
      if (e.operationType !== 'insert' || e.documentKey._id !== i) throw new Error(`unexpected event ${JSON.stringify(e)}`);
      if (i < 0) continue; // warm-up
      pings.push(pingMs);
      delivery.push(arrived - acked);
      writeToEvent.push(arrived - w0);
    }
    await stream.close();
    const p50 = percentile(delivery, 50);
    const ping50 = percentile(pings, 50);
    const early = delivery.filter((d) => d <= 0).length;
    return [
      {
        name: 'change-event delivery p50 (insert acknowledged → event received, bare driver)',
        value: round(p50, 4),
        unit: 'ms',
        baseline: { name: 'ping round trip p50', value: round(ping50, 4) },
        ratio: round(p50 / ping50),
        target: 'p50 < 0.5 ms',
        pass: p50 < 0.5,
        notes: `${samples} samples; p99 ${round(percentile(delivery, 99), 4)} ms; ${early} events arrived before the insert's acknowledgement (counted as ≤ 0)`,
      },
      {
        name: 'change-event delivery p99',
        value: round(percentile(delivery, 99), 4),
        unit: 'ms',
        baseline: { name: 'ping round trip p99', value: round(percentile(pings, 99), 4) },
        ratio: round(percentile(delivery, 99) / percentile(pings, 99)),
        notes: `insert sent → event received: p50 ${round(percentile(writeToEvent, 50), 4)} ms, p99 ${round(percentile(writeToEvent, 99), 4)} ms`,
      },
    ];
  } finally {
    await client.close();
    await child.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2));

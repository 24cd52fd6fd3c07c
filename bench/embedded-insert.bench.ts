/**
 * Bulk insert through the driver (unordered insertMany, 1,000-document batches of {_id, price}) into the
 * embedded server, against a raw wire sink that only decodes the same messages, both in their own
 * process and measured in the same run, alternating. Target: embedded >= 50% of the sink's throughput.
 *   node dist/bench/embedded-insert.bench.js        (BENCH_QUICK=1 for a short run)
 */
import { MongoClient } from 'mongodb';
import { spawnChild } from './lib/child.js';
import { median, round } from './lib/harness.js';
import { QUICK, type BenchResult } from './lib/result.js';

const BATCH = 1000;
const IN_FLIGHT = Number(process.env.BENCH_INSERT_IN_FLIGHT ?? 4);

async function insertRate(kind: 'embedded' | 'sink', batches: { _id: number; price: number }[][]): Promise<number> {
  const child = await spawnChild<{ port: number }>('server-child', [kind]);
  const client = new MongoClient(`mongodb://127.0.0.1:${child.ready.port}/?replicaSet=rs0`, { serverSelectionTimeoutMS: 5000 });
  try {
    await client.connect();
    const coll = client.db('ticker_bench').collection<{ _id: number; price: number }>('inserts');
    await coll.insertMany(batches[0].map((d) => ({ ...d, _id: -d._id - 1 })), { ordered: false }); // warm-up
    const t0 = performance.now();
    // A few batches in flight, as a loader keeps them: the server, not the round trip, sets the pace.
    let next = 0;
    const worker = async () => {
      while (next < batches.length) await coll.insertMany(batches[next++], { ordered: false });
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const seconds = (performance.now() - t0) / 1000;
    return (batches.length * BATCH) / seconds;
  } finally {
    await client.close();
    await child.stop();
  }
}

export async function run(): Promise<BenchResult[]> {
  const total = QUICK ? 100_000 : 500_000;
  const rounds = QUICK ? 1 : 3;
  const batches = Array.from({ length: total / BATCH }, (_, b) => Array.from({ length: BATCH }, (_, i) => ({ _id: b * BATCH + i, price: (b * BATCH + i) % 1000 })));
  const embedded: number[] = [];
  const sink: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // insertMany adds nothing to these documents (they have _id), so the same arrays serve every round.
    sink.push(await insertRate('sink', batches));
    embedded.push(await insertRate('embedded', batches));
  }
  const value = median(embedded);
  const baseline = median(sink);
  const ratio = value / baseline;
  return [{
    name: 'embedded bulk insert (driver insertMany, unordered, 1,000-doc batches)',
    value: Math.round(value),
    unit: 'docs/s',
    baseline: { name: 'raw wire sink (decode only, same driver)', value: Math.round(baseline) },
    ratio: round(ratio),
    target: 'ratio >= 0.5',
    pass: ratio >= 0.5,
    notes: `${total.toLocaleString('en-US')} docs per run, median of ${rounds}, ${IN_FLIGHT} batches in flight; embedded runs ${embedded.map(Math.round).join(', ')}; sink runs ${sink.map(Math.round).join(', ')}`,
  }];
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2));

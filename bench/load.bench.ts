/**
 * `ticker load` of 20,000 documents on the embedded server (in its own process), against, in the same
 * run and on the same server: the original's method (one insertOne per document, single-threaded) and a
 * single-threaded insertMany loop (batches of 1,000). Each method loads into a fresh database; the load
 * figure is the whole `runLoad` call: thread start-up, checks, bulk and familiar symbols.
 * Targets: load < 0.5 s, >= 20x the original, no slower than the insertMany loop.
 *   node dist/bench/load.bench.js        (BENCH_QUICK=1: fewer repetitions, original on 4,000 docs scaled)
 */
import { MongoClient } from 'mongodb';
import { bulkDocs, familiarDocs, layoutFor, type StockDoc } from '../src/load/dataset.js';
import { runLoad } from '../src/load/loader.js';
import { spawnChild } from './lib/child.js';
import { median, round } from './lib/harness.js';
import { QUICK, type BenchResult } from './lib/result.js';

const COUNT = 20_000;
const DOCS = COUNT + 13;

export async function run(): Promise<BenchResult[]> {
  const child = await spawnChild<{ port: number }>('server-child', ['embedded']);
  const uri = `mongodb://127.0.0.1:${child.ready.port}/?replicaSet=rs0`;
  const client = await new MongoClient(uri).connect();
  let round_ = 0;
  const freshDb = async (): Promise<string> => {
    const db = `bench_load_${round_++}`;
    await client.db(db).dropDatabase();
    return db;
  };
  const docs = (): StockDoc[] => [...bulkDocs(layoutFor(COUNT), 0, COUNT), ...familiarDocs()];

  try {
    const repetitions = QUICK ? 3 : 5;
    const loadSeconds: number[] = [];
    const loopSeconds: number[] = [];
    const originalSeconds: number[] = [];
    // Warm the server once (its first inserts pay for JIT compilation), for every method alike.
    await runLoad({ uri, client, db: await freshDb(), coll: 'stocksymbols', count: COUNT });

    for (let i = 0; i < repetitions; i++) {
      // Alternate so that drift on a busy machine hits both alike.
      const summary = await runLoad({ uri, client, db: await freshDb(), coll: 'stocksymbols', count: COUNT });
      if (summary.documents !== DOCS) throw new Error(`load wrote ${summary.documents} documents, expected ${DOCS}`);
      loadSeconds.push(summary.seconds);

      const loopDb = await freshDb();
      const all = docs();
      const t0 = performance.now();
      const coll = client.db(loopDb).collection<StockDoc>('stocksymbols');
      for (let at = 0; at < all.length; at += 1000) await coll.insertMany(all.slice(at, at + 1000), { ordered: false });
      loopSeconds.push((performance.now() - t0) / 1000);
    }

    // The original: one insertOne per document, one at a time (QUICK: 4,000 of them, scaled to 20,013).
    const originalCount = QUICK ? 4000 : DOCS;
    for (let i = 0; i < (QUICK ? 1 : 2); i++) {
      const coll = client.db(await freshDb()).collection<StockDoc>('stocksymbols');
      const all = docs().slice(0, originalCount);
      const t0 = performance.now();
      for (const doc of all) await coll.insertOne(doc);
      originalSeconds.push(((performance.now() - t0) / 1000) * (DOCS / originalCount));
    }

    const load = median(loadSeconds);
    const loop = median(loopSeconds);
    const original = median(originalSeconds);
    const notes = `median of ${repetitions}; load runs: ${loadSeconds.map((s) => round(s, 3)).join(', ')} s; loop runs: ${loopSeconds.map((s) => round(s, 3)).join(', ')} s` +
      (QUICK ? '; original measured on 4,000 docs and scaled' : '');
    return [
      {
        name: 'ticker load 20,000 docs (embedded): seconds', value: round(load, 3), unit: 's',
        baseline: { name: 'original: insertOne per document', value: round(original, 3) },
        ratio: round(original / load, 1), target: 'load < 0.5 s and speed-up (ratio) >= 20x', pass: load < 0.5 && original / load >= 20, notes,
      },
      {
        name: 'ticker load 20,000 docs (embedded): vs insertMany loop', value: round(load, 3), unit: 's',
        baseline: { name: 'single-threaded insertMany loop, batches of 1,000', value: round(loop, 3) },
        ratio: round(loop / load, 2), target: 'ratio (loop / load) >= 1: no slower', pass: load <= loop, notes,
      },
    ];
  } finally {
    for (let i = 0; i < round_; i++) await client.db(`bench_load_${i}`).dropDatabase().catch(() => undefined);
    await client.close();
    await child.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const result of await run()) console.log(JSON.stringify(result));
}

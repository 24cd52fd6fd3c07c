/**
 * What a long run leaves on the embedded server's heap: 300,000 updates (150 s at 2,000 ops/s) through the
 * DataNode API, with the server's oplog (the newest 8,192 entries objects, older ones packed as BSON
 * outside the heap) against the same oplog holding every entry as an object, each in a fresh process:
 * heap used, the time of one full garbage collection then (a mark-compact's pause grows with the heap it
 * walks), and updates per second (what packing costs the writer).
 *   node dist/bench/oplog-heap.bench.js        (BENCH_QUICK=1: 100,000 updates)
 */
import { childResult } from './lib/child.js';
import { round } from './lib/harness.js';
import { QUICK, type BenchResult } from './lib/result.js';

interface OplogReport { heapUsedBytes: number; fullGcMs: number; updatesPerSecond: number; entries: number }

const MB = 1024 ** 2;

/** One measurement in a fresh process (its heap holds nothing else). */
const measure = (kind: 'packed' | 'objects', count: number) => childResult<OplogReport>('oplog-child', [kind, String(count)], ['--expose-gc']);

export async function run(): Promise<BenchResult[]> {
  const count = QUICK ? 100_000 : 300_000;
  const objects = await measure('objects', count);
  const packed = await measure('packed', count);
  const notes = `${count.toLocaleString('en-US')} updates of six documents, ${packed.entries.toLocaleString('en-US')} oplog entries kept; the last 100,000 carry the version they superseded (snapshot history)`;
  return [
    {
      name: `embedded server heap after ${count.toLocaleString('en-US')} updates`, value: round(packed.heapUsedBytes / MB), unit: 'MB',
      baseline: { name: 'every oplog entry an object', value: round(objects.heapUsedBytes / MB) },
      ratio: round(packed.heapUsedBytes / objects.heapUsedBytes), target: 'ratio <= 0.5', pass: packed.heapUsedBytes <= objects.heapUsedBytes / 2, notes,
    },
    {
      name: `one full garbage collection after ${count.toLocaleString('en-US')} updates`, value: round(packed.fullGcMs), unit: 'ms',
      baseline: { name: 'every oplog entry an object', value: round(objects.fullGcMs) },
      ratio: round(packed.fullGcMs / objects.fullGcMs), notes: 'median of five forced collections',
    },
    {
      name: 'updates per second through the DataNode, packing included', value: Math.round(packed.updatesPerSecond), unit: 'updates/s',
      baseline: { name: 'every oplog entry an object', value: Math.round(objects.updatesPerSecond) },
      ratio: round(packed.updatesPerSecond / objects.updatesPerSecond),
      // reported, not judged: here the GC's cost of a big heap is spread over many short young collections
      notes: 'packing is two BSON encodings per entry (the entry, the version it superseded); the server\'s whole update command costs several times that',
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2));

/**
 * Applies N updates to six stock documents through the DataNode API and reports what the oplog left on
 * the V8 heap:
 *   node --expose-gc dist/bench/lib/oplog-child.js packed|objects N
 * `packed` is the server's oplog (entries beyond the newest 8,192 packed as BSON); `objects` the same
 * oplog keeping every entry as an object (the naive store, as before). Prints one JSON line
 * {heapUsedBytes, fullGcMs, updatesPerSecond}: fullGcMs is the median time of a full collection after
 * the updates, what each of the server's mark-compacts costs it with that oplog.
 */
import { DataNode } from '../../src/embedded/data-node.js';
import { DEFAULT_OPLOG_ENTRIES } from '../../src/embedded/index.js';
import { Oplog } from '../../src/embedded/oplog.js';

const [kind, count] = [process.argv[2], Number(process.argv[3])];
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const oplog = new Oplog(DEFAULT_OPLOG_ENTRIES, kind === 'objects' ? 2 ** Math.ceil(Math.log2(count + 16)) : undefined);
const node = new DataNode(DEFAULT_OPLOG_ENTRIES, { oplog });
const symbols = ['MDB', 'AAPL', 'MSFT', 'GOOG', 'AMZN', 'NFLX'];
for (const _id of symbols) node.insert('market', 'stocksymbols', { _id, name: `${_id} Inc.`, price: 100, tick: { seq: 0, at: 0, w: 0 } });
gc();
const t0 = performance.now();
for (let k = 0; k < count; k++) {
  node.update('market', 'stocksymbols', {
    q: { _id: symbols[k % symbols.length] },
    u: { $set: { price: 90 + (k % 10) + k / count, tick: { seq: k, at: 1.7e12 + k / 2, w: 0 } } },
  });
}
const updatesPerSecond = (count * 1000) / (performance.now() - t0);
const pauses: number[] = [];
for (let k = 0; k < 5; k++) {
  const start = performance.now();
  gc();
  pauses.push(performance.now() - start);
}
pauses.sort((a, b) => a - b);
process.stdout.write(`${JSON.stringify({ heapUsedBytes: process.memoryUsage().heapUsed, fullGcMs: pauses[2], updatesPerSecond, entries: node.oplog.size })}\n`);

/**
 * Holds N `{_id: "A1000000", price: 12}` documents and reports resident memory:
 *   node --expose-gc dist/bench/lib/memory-child.js embedded|map N
 * `embedded` loads them through the DataNode API (the path every insert command takes after decoding:
 * catalog, _id index, oplog entry); `map` is the bare baseline, a Map from _id to the same objects.
 * Prints one JSON line {rssBytes, heapUsedBytes, documents, loadMs}.
 */
import { DataNode } from '../../src/embedded/data-node.js';
import { DEFAULT_OPLOG_ENTRIES } from '../../src/embedded/index.js';

const [kind, count] = [process.argv[2], Number(process.argv[3])];
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
gc();
const t0 = performance.now();
let held: unknown;
if (kind === 'embedded') {
  const node = new DataNode(DEFAULT_OPLOG_ENTRIES);
  for (let i = 0; i < count; i++) node.insert('market', 'stocksymbols', { _id: `A${1_000_000 + i}`, price: 12 });
  held = node;
} else {
  const map = new Map<string, { _id: string; price: number }>();
  for (let i = 0; i < count; i++) {
    const doc = { _id: `A${1_000_000 + i}`, price: 12 };
    map.set(doc._id, doc);
  }
  held = map;
}
const loadMs = performance.now() - t0;
gc();
gc();
const mem = process.memoryUsage();
process.stdout.write(`${JSON.stringify({ rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, documents: count, loadMs, held: typeof held })}\n`);

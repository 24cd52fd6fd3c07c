import type { Document, MongoClient } from 'mongodb';
import type { Target } from '../connect/topology.js';
import { compareBson, hashedShardKey } from './bson-order.js';
import { bulkSymbolAt, type BulkLayout } from './dataset.js';

export interface ShardingOptions {
  /** What the loader found; sharding is only done on a mongos. */
  target: Target;
  /** The bulk key space about to be loaded (for pre-splitting). */
  layout: BulkLayout;
  /** Shard key: `{ _id: 1 }` (default, as the original) or `{ _id: 'hashed' }`. */
  hashed?: boolean;
  /** Chunks each shard owns after pre-splitting a range key (default 1: one contiguous range per shard). */
  chunksPerShard?: number;
}

export interface ChunkInfo {
  min: unknown;
  max: unknown;
  shard: string;
}

export interface ShardingResult {
  sharded: boolean;
  /** What was done, for the load summary. */
  steps: string[];
  /** The chunk map once prepared (empty when not sharded). */
  chunks?: ChunkInfo[];
}

/**
 * The hook the loader calls before inserting. On a mongos: `enableSharding`, `shardCollection` on `_id`,
 * then, for a range key, `split` at even quantiles of the bulk key space about to be loaded, and `moveChunk`
 * so that every shard owns an even share before the first insert (the original waited for the balancer to
 * do this while loading). Only ordinary admin commands: it works the same on a real cluster and on the
 * embedded one. Elsewhere it does nothing.
 */
export async function prepareShardedCollection(client: MongoClient, db: string, coll: string, opts: ShardingOptions): Promise<ShardingResult> {
  if (opts.target.topology !== 'sharded') return { sharded: false, steps: [] };
  const admin = client.db('admin');
  const ns = `${db}.${coll}`;
  const steps: string[] = [];
  await admin.command({ enableSharding: db });
  steps.push(`enableSharding ${db}`);
  const key = opts.hashed ? { _id: 'hashed' } : { _id: 1 };
  await admin.command({ shardCollection: ns, key });
  steps.push(`shardCollection ${ns} on ${opts.hashed ? "{ _id: 'hashed' }" : '{ _id: 1 }'}`);

  const shards = ((await admin.command({ listShards: 1 })).shards as Document[]).map((s) => String(s._id)).sort();
  let map = await readChunkMap(client, db, coll);
  const intervals = shards.length * Math.max(1, Math.floor(opts.chunksPerShard ?? 1));
  const points = map.hashed ? [] : splitPoints(opts.layout, intervals);
  let splits = 0;
  for (const point of points) {
    if (map.chunks.some((c) => compareBson(c.min, point) === 0)) continue;
    await admin.command({ split: ns, middle: { _id: point } });
    splits++;
  }
  if (splits > 0) {
    steps.push(`split into ${points.length + 1} chunks at ${points.join(', ')}`);
    map = await readChunkMap(client, db, coll);
  }

  // Which shard each chunk should be on: range chunks by the quantile interval they start in (contiguous
  // ranges per shard), hashed chunks evenly by position.
  let moves = 0;
  for (const [i, chunk] of map.chunks.entries()) {
    const interval = map.hashed ? Math.floor((i * intervals) / map.chunks.length) : points.filter((p) => compareBson(p, chunk.min) <= 0).length;
    const wanted = shards[Math.min(shards.length - 1, Math.floor((interval * shards.length) / intervals))];
    if (chunk.shard === wanted) continue;
    await admin.command({ moveChunk: ns, bounds: [{ _id: chunk.min }, { _id: chunk.max }], to: wanted, _waitForDelete: true });
    chunk.shard = wanted;
    moves++;
  }
  if (moves > 0) steps.push(`moved ${moves} chunk${moves === 1 ? '' : 's'} so each of ${shards.length} shards owns an even share`);
  return { sharded: true, steps, chunks: map.chunks };
}

/** `count - 1` split points dividing the bulk key space into `count` equal ranges. */
export function splitPoints(layout: BulkLayout, count: number): string[] {
  const points: string[] = [];
  if (layout.count === 0) return points;
  for (let k = 1; k < count; k++) {
    const symbol = bulkSymbolAt(layout, Math.floor((k * layout.count) / count));
    if (points.at(-1) !== symbol) points.push(symbol);
  }
  return points;
}

export interface ChunkMapInfo {
  hashed: boolean;
  /** Sorted by min. Hashed bounds are bigint (or MinKey/MaxKey). */
  chunks: ChunkInfo[];
}

/** The collection's chunks, read from `config.collections` and `config.chunks` (a real cluster's too). */
export async function readChunkMap(client: MongoClient, db: string, coll: string): Promise<ChunkMapInfo> {
  const config = client.db('config');
  const info = await config.collection<Document>('collections').findOne({ _id: `${db}.${coll}` as never });
  if (!info) throw new Error(`${db}.${coll} is not sharded`);
  const hashed = info.key?._id === 'hashed';
  // Before 5.0 chunks carried `ns`; since then, the collection's `uuid`.
  const query = info.uuid !== undefined ? { uuid: info.uuid } : { ns: `${db}.${coll}` };
  const docs = await config.collection('chunks').find(query, { useBigInt64: true }).toArray();
  const chunks = docs.map((d) => ({ min: d.min?._id, max: d.max?._id, shard: String(d.shard) }));
  chunks.sort((a, b) => compareBson(a.min, b.min));
  return { hashed, chunks };
}

/** Which shard owns an `_id`, by the chunk map. */
export function ownerOf(map: ChunkMapInfo, id: unknown): string {
  const key = map.hashed ? hashedShardKey(id) : id;
  let lo = 0;
  let hi = map.chunks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (compareBson(map.chunks[mid].min, key) <= 0) lo = mid;
    else hi = mid - 1;
  }
  return map.chunks[lo]?.shard ?? '';
}

/**
 * A predicate for keeping one shard cold: true for an `_id` that is NOT on `shardName` (so a mutator that
 * only writes such `_id`s leaves that shard without writes, and its clock moves only with its no-ops).
 * Reads `config.chunks`, so it works on a real cluster; call it again after chunks move.
 */
export async function coldShardFilter(client: MongoClient, db: string, coll: string, shardName: string): Promise<(id: unknown) => boolean> {
  const map = await readChunkMap(client, db, coll);
  if (!map.chunks.some((c) => c.shard === shardName)) {
    const owners = [...new Set(map.chunks.map((c) => c.shard))].join(', ');
    throw new Error(`shard ${shardName} owns no chunk of ${db}.${coll} (chunks are on ${owners})`);
  }
  return (id) => ownerOf(map, id) !== shardName;
}

/** The given `_id`s that live on `shardName` (e.g. which familiar symbols a cold shard holds). */
export async function symbolsOwnedByShard(client: MongoClient, db: string, coll: string, shardName: string, symbols: readonly string[]): Promise<string[]> {
  const map = await readChunkMap(client, db, coll);
  return symbols.filter((s) => ownerOf(map, s) === shardName);
}

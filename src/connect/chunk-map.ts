/**
 * The chunk map of a sharded collection (from `config.chunks`), as plain data that crosses threads:
 * which shard owns an `_id`. Used to name the shard that held a stagger back, and to keep writes off a
 * cold shard.
 */
import type { Document, MongoClient } from 'mongodb';
import { UserError } from '../util/errors.js';

export interface ChunkRange {
  /** inclusive lower bound, null for MinKey */
  min: string | null;
  /** exclusive upper bound, null for MaxKey */
  max: string | null;
  shard: string;
}

export interface ChunkMap {
  shards: string[];
  chunks: ChunkRange[];
}

/** Reads the chunk map of `db.coll` sharded on `_id`; undefined when it is not sharded or not readable. */
export async function readChunkMap(client: MongoClient, db: string, coll: string): Promise<ChunkMap | undefined> {
  const config = client.db('config');
  const ns = `${db}.${coll}`;
  const meta = await config.collection('collections').findOne({ _id: ns as never }).catch(() => null);
  if (!meta) return undefined;
  // Since 5.0 chunks name their collection by uuid; before, by ns.
  const find = (filter: Document): Promise<Document[]> =>
    config.collection('chunks').find(filter).sort({ min: 1 }).toArray().catch(() => [] as Document[]);
  let docs = meta.uuid ? await find({ uuid: meta.uuid }) : [];
  if (docs.length === 0) docs = await find({ ns });
  const chunks = docs.map((d) => ({ min: boundOf(d.min?._id), max: boundOf(d.max?._id), shard: String(d.shard) }));
  const listed = await client.db('admin').command({ listShards: 1 }).catch(() => undefined);
  const shards = Array.isArray(listed?.shards)
    ? listed.shards.map((s: Document) => String(s._id))
    : [...new Set(chunks.map((c) => c.shard))];
  return { shards: shards.sort(), chunks };
}

/** The shard owning `id`, or undefined. */
export function shardOf(map: ChunkMap, id: string): string | undefined {
  for (const c of map.chunks) if ((c.min === null || id >= c.min) && (c.max === null || id < c.max)) return c.shard;
  return undefined;
}

/** The ranges a cold shard owns (writers stay out of them). */
export function rangesOf(map: ChunkMap, shard: string): ChunkRange[] {
  return map.chunks.filter((c) => c.shard === shard);
}

/**
 * The `_id` ranges `shard` owns in `db.coll`, for `--cold-shard`: refuses (one line) a collection that is
 * not sharded and a shard that does not exist.
 */
export async function coldShardRanges(client: MongoClient, db: string, coll: string, shard: string): Promise<ChunkRange[]> {
  const map = await readChunkMap(client, db, coll);
  if (!map) throw new UserError(`--cold-shard needs a sharded collection: ${db}.${coll} has no chunk map (config.chunks)`);
  if (!map.shards.includes(shard)) throw new UserError(`--cold-shard: no shard named ${shard} (shards: ${map.shards.join(', ')})`);
  return rangesOf(map, shard);
}

/** True for an `_id` inside one of `ranges` (plain data, so it crosses to writer threads). */
export function inRanges(ranges: readonly ChunkRange[] | readonly Omit<ChunkRange, 'shard'>[], id: string): boolean {
  for (const r of ranges) if ((r.min === null || id >= r.min) && (r.max === null || id < r.max)) return true;
  return false;
}

/** MinKey / MaxKey (and anything not a string) become null: unbounded. */
function boundOf(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

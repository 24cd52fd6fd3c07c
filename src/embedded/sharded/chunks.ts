import { ObjectId, Timestamp, UUID, type Binary, type Document } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import { compareKeys, hashKey, MAX_KEY, MIN_KEY } from './keys.js';

/** One chunk: the shard-key range [min, max) and the shard (by index) that owns its documents. */
export interface Chunk {
  id: ObjectId;
  min: unknown;
  max: unknown;
  shard: number;
  /** Chunk version (major = migrations, minor = splits), as config.chunks' `lastmod`. */
  lastmod: Timestamp;
  onCurrentShardSince: Timestamp;
}

/** A sharded collection's routing table: chunks sorted by min, covering MinKey to MaxKey without gaps. */
export class ChunkMap {
  chunks: Chunk[] = [];
  private mins: unknown[] = [];
  private major = 1;
  private minor = 0;

  constructor(readonly hashed: boolean, initial: Array<{ min: unknown; max: unknown; shard: number }>, now: Timestamp) {
    for (const c of initial) this.chunks.push({ id: new ObjectId(), min: c.min, max: c.max, shard: c.shard, lastmod: this.nextVersion(false), onCurrentShardSince: now });
    this.reindex();
  }

  private nextVersion(migration: boolean): Timestamp {
    if (migration) {
      this.major++;
      this.minor = 0;
    } else {
      this.minor++;
    }
    return new Timestamp({ t: this.major, i: this.minor });
  }

  private reindex(): void {
    this.chunks.sort((a, b) => compareKeys(a.min, b.min));
    this.mins = this.chunks.map((c) => c.min);
  }

  /** The value chunks are ranged on: the `_id` itself, or its hash. */
  keyOf(id: unknown): unknown {
    return this.hashed ? hashKey(id) : id;
  }

  /** Index of the chunk whose range holds the (already hashed, if hashed) key. */
  indexOfKey(key: unknown): number {
    const mins = this.mins;
    let lo = 0;
    let hi = mins.length - 1;
    if (typeof key === 'string') {
      // Fast path for the common string _id: only string bounds need a real comparison.
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        const m = mins[mid];
        const le = typeof m === 'string' ? m <= key : compareKeys(m, key) <= 0;
        if (le) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    }
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (compareKeys(mins[mid], key) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  shardOf(id: unknown): number {
    return this.chunks[this.indexOfKey(this.keyOf(id))].shard;
  }

  chunkWithKey(key: unknown): Chunk {
    return this.chunks[this.indexOfKey(key)];
  }

  /** The chunk exactly matching [min, max); a bounds argument must name an existing chunk. */
  chunkWithBounds(min: unknown, max: unknown): Chunk {
    const chunk = this.chunkWithKey(min);
    if (compareKeys(chunk.min, min) !== 0 || compareKeys(chunk.max, max) !== 0) {
      throw new CommandError(ErrorCode.BadValue, `no chunk found with the shard key bounds [${show(min)}, ${show(max)})`);
    }
    return chunk;
  }

  split(at: unknown): { left: Chunk; right: Chunk } {
    const left = this.chunkWithKey(at);
    if (compareKeys(left.min, at) === 0) {
      throw new CommandError(ErrorCode.BadValue, `cannot split chunk [${show(left.min)}, ${show(left.max)}) at key ${show(at)}: it is the chunk's lower bound`);
    }
    const right: Chunk = { id: new ObjectId(), min: at, max: left.max, shard: left.shard, lastmod: this.nextVersion(false), onCurrentShardSince: left.onCurrentShardSince };
    left.max = at;
    left.lastmod = this.nextVersion(false);
    this.chunks.push(right);
    this.reindex();
    return { left, right };
  }

  move(chunk: Chunk, to: number, now: Timestamp): void {
    chunk.shard = to;
    chunk.lastmod = this.nextVersion(true);
    chunk.onCurrentShardSince = now;
  }

  /** Whether the key lies in [chunk.min, chunk.max). */
  static contains(chunk: Chunk, key: unknown): boolean {
    return compareKeys(chunk.min, key) <= 0 && compareKeys(key, chunk.max) < 0;
  }

  /** Shards owning at least one chunk, ascending. */
  get shards(): number[] {
    return [...new Set(this.chunks.map((c) => c.shard))].sort((a, b) => a - b);
  }

  get version(): Timestamp {
    return new Timestamp({ t: this.major, i: this.minor });
  }
}

/** What the config server knows about one sharded collection. */
export interface ShardedCollection {
  ns: string;
  db: string;
  coll: string;
  uuid: Binary;
  key: Document;
  unique: boolean;
  epoch: ObjectId;
  timestamp: Timestamp;
  lastmod: Date;
  chunks: ChunkMap;
}

/** What the config server knows about one database. */
export interface DatabaseEntry {
  name: string;
  primary: number;
  uuid: Binary;
  timestamp: Timestamp;
}

/** Initial chunks: one [MinKey, MaxKey) on the primary (range), or the hash space split evenly (hashed). */
export function initialChunks(hashed: boolean, primary: number, shardCount: number, empty: boolean): Array<{ min: unknown; max: unknown; shard: number }> {
  if (!hashed || !empty || shardCount === 1) return [{ min: MIN_KEY, max: MAX_KEY, shard: primary }];
  const span = 2n ** 64n / BigInt(shardCount);
  const chunks: Array<{ min: unknown; max: unknown; shard: number }> = [];
  let min: unknown = MIN_KEY;
  for (let i = 0; i < shardCount; i++) {
    const max = i === shardCount - 1 ? MAX_KEY : -(2n ** 63n) + span * BigInt(i + 1);
    chunks.push({ min, max, shard: i });
    min = max;
  }
  return chunks;
}

export function newUuid(): Binary {
  return new UUID().toBinary();
}

function show(value: unknown): string {
  if (value === MIN_KEY || (value && typeof value === 'object' && (value as { _bsontype?: string })._bsontype === 'MinKey')) return 'MinKey';
  if (value && typeof value === 'object' && (value as { _bsontype?: string })._bsontype === 'MaxKey') return 'MaxKey';
  return typeof value === 'bigint' ? `${value}` : JSON.stringify(value);
}

import { Long, ObjectId, Timestamp, type Binary, type Document } from 'bson';
import { compareTimestamps, LogicalClock } from '../clock.js';
import { DataNode } from '../data-node.js';
import { CommandError, ErrorCode } from '../errors.js';
import { Collection } from '../storage/collection.js';
import { ChunkMap, initialChunks, newUuid, type Chunk, type DatabaseEntry, type ShardedCollection } from './chunks.js';
import { compareKeys, fromLongBound } from './keys.js';
import type { Shard } from './shard.js';

export const NamespaceNotSharded = 118;
export const ShardNotFound = 70;

/** A command error whose code name this server's table does not know yet. */
export function namedError(code: number, codeName: string, message: string): CommandError {
  return new CommandError(code, message, [], { codeName });
}

/** The router's clock: the latest cluster time of any shard (and any gossiped by clients). */
export class RouterClock extends LogicalClock {
  private floor = new Timestamp({ t: 0, i: 0 });

  constructor(private readonly shards: () => Shard[]) {
    super();
  }

  override tick(): Timestamp {
    return this.now();
  }

  override now(): Timestamp {
    let max = this.floor;
    for (const shard of this.shards()) {
      const ts = shard.node.clock.now();
      if (compareTimestamps(ts, max) > 0) max = ts;
    }
    return max;
  }

  override advanceTo(ts: Timestamp): void {
    if (compareTimestamps(ts, this.floor) > 0) this.floor = ts;
  }
}

/** The router's own node: no data (the shards have it), only the router's clock. */
export class RouterNode extends DataNode {
  constructor(shards: () => Shard[]) {
    super(1);
    (this as { clock: LogicalClock }).clock = new RouterClock(shards);
  }
}

/**
 * The config server's state: databases (with their primary shard), sharded collections and their chunk
 * maps, and the operations that change them (enableSharding, shardCollection, split, moveChunk).
 */
export class ShardingCatalog {
  readonly databases = new Map<string, DatabaseEntry>();
  readonly collections = new Map<string, ShardedCollection>();
  balancerMode: 'full' | 'off' = 'off';

  constructor(readonly shards: Shard[], private readonly clock: () => Timestamp) {}

  shardIndex(name: unknown): number {
    const index = this.shards.findIndex((s) => s.name === name);
    if (index < 0) throw namedError(ShardNotFound, 'ShardNotFound', `Shard ${String(name)} not found`);
    return index;
  }

  /** The database's entry, created (with the least-loaded shard as primary) on first use. */
  ensureDatabase(db: string, primary?: number): DatabaseEntry {
    let entry = this.databases.get(db);
    if (!entry) {
      const load = this.shards.map(() => 0);
      for (const d of this.databases.values()) load[d.primary]++;
      const chosen = primary ?? load.indexOf(Math.min(...load));
      entry = { name: db, primary: chosen, uuid: newUuid(), timestamp: this.clock() };
      this.databases.set(db, entry);
    }
    return entry;
  }

  /** The primary shard of a database, or shard 0 for one that does not exist yet (reads only). */
  primaryOf(db: string): number {
    return this.databases.get(db)?.primary ?? 0;
  }

  sharded(db: string, coll: string): ShardedCollection | undefined {
    return this.collections.size === 0 ? undefined : this.collections.get(`${db}.${coll}`);
  }

  dropCollection(db: string, coll: string): void {
    this.collections.delete(`${db}.${coll}`);
  }

  dropDatabase(db: string): void {
    for (const meta of [...this.collections.values()]) if (meta.db === db) this.collections.delete(meta.ns);
    this.databases.delete(db);
  }

  /**
   * Shards a collection (creating it on its primary shard if need be). A new sharding is logged on the primary
   * shard, so change streams with showExpandedEvents see a shardCollection event, with the command's options
   * as mongos 7.0 reports them: shardKey, unique, numInitialChunks (a long), presplitHashedZones, [collation].
   */
  shardCollection(ns: string, key: Document, cmd: Document = {}): { meta: ShardedCollection; created: boolean } {
    const unique = cmd.unique === true;
    const [db, coll] = splitNs(ns);
    const keys = Object.keys(key ?? {});
    const kind = key?._id;
    if (keys.length !== 1 || keys[0] !== '_id' || (kind !== 1 && kind !== 'hashed')) {
      throw new CommandError(ErrorCode.InvalidOptions, `the embedded cluster shards on { _id: 1 } or { _id: 'hashed' } only, not ${JSON.stringify(key)}`);
    }
    const existing = this.collections.get(ns);
    if (existing) {
      if (existing.key._id !== kind) throw namedError(23, 'AlreadyInitialized', `sharding already enabled for collection ${ns} with options { key: ${JSON.stringify(existing.key)} }`);
      return { meta: existing, created: false };
    }
    const database = this.ensureDatabase(db);
    const primary = this.shards[database.primary].node;
    const hashed = kind === 'hashed';
    const collection = primary.ensureCollection(db, coll);
    if (hashed) primary.createIndexes(db, coll, [{ v: 2, key: { _id: 'hashed' }, name: '_id_hashed' }]);
    const empty = collection.docs.size === 0;
    for (const shard of this.shards) if (shard.index !== database.primary) this.ensureOnShard(shard, collection);
    const now = this.clock();
    const meta: ShardedCollection = {
      ns, db, coll, uuid: collection.uuid, key: { _id: kind }, unique, epoch: new ObjectId(), timestamp: now, lastmod: new Date(),
      chunks: new ChunkMap(hashed, initialChunks(hashed, database.primary, this.shards.length, empty), now),
    };
    this.collections.set(ns, meta);
    const description: Document = {
      shardKey: { _id: kind }, unique, numInitialChunks: Long.fromNumber(Number(cmd.numInitialChunks ?? 0)), presplitHashedZones: cmd.presplitHashedZones === true,
    };
    if (cmd.collation !== undefined) description.collation = cmd.collation;
    primary.logShardCollection(db, coll, collection.uuid as Binary, description);
    return { meta, created: true };
  }

  /** A copy of the collection's shell (same UUID, options and indexes, no documents) on another shard. */
  ensureOnShard(shard: Shard, like: Collection): Collection {
    const existing = shard.node.catalog.get(like.db, like.name);
    if (existing) return existing;
    const shell = new Collection(like.db, like.name, { ...like.options });
    Object.defineProperty(shell, 'uuid', { value: like.uuid as Binary });
    shell.indexes.splice(0, shell.indexes.length, ...like.indexes.map((i) => ({ ...i })));
    return shard.node.catalog.attach(shell, like.db, like.name);
  }

  requireSharded(ns: unknown): ShardedCollection {
    if (typeof ns !== 'string') throw new CommandError(ErrorCode.InvalidNamespace, `invalid namespace: ${String(ns)}`);
    const meta = this.collections.get(ns);
    if (!meta) throw namedError(NamespaceNotSharded, 'NamespaceNotSharded', `${ns} is not sharded`);
    return meta;
  }

  /** The shard-key value of a `{ _id: v }` argument, hashed when the collection is. */
  private keyArg(meta: ShardedCollection, doc: unknown, field: string, alreadyHashed: boolean): unknown {
    if (!doc || typeof doc !== 'object' || !('_id' in (doc as Document))) {
      throw namedError(61, 'ShardKeyNotFound', `${field} must contain the shard key { _id }`);
    }
    const value = (doc as Document)._id;
    if (!meta.chunks.hashed) return value;
    return alreadyHashed ? fromLongBound(value) : meta.chunks.keyOf(value);
  }

  /** The chunk named by `find` (a document's key) or `bounds` ([min, max]). */
  chunkOf(meta: ShardedCollection, cmd: Document): Chunk {
    if (cmd.bounds !== undefined) {
      if (!Array.isArray(cmd.bounds) || cmd.bounds.length !== 2) throw new CommandError(ErrorCode.BadValue, 'bounds must be an array of two shard-key documents');
      return meta.chunks.chunkWithBounds(this.keyArg(meta, cmd.bounds[0], 'bounds', true), this.keyArg(meta, cmd.bounds[1], 'bounds', true));
    }
    if (cmd.find !== undefined) return meta.chunks.chunkWithKey(this.keyArg(meta, cmd.find, 'find', false));
    throw new CommandError(ErrorCode.BadValue, "need to specify 'find' or 'bounds'");
  }

  split(cmd: Document): void {
    const meta = this.requireSharded(cmd.split);
    if (cmd.middle !== undefined) {
      const key = this.keyArg(meta, cmd.middle, 'middle', true);
      const chunk = meta.chunks.chunkWithKey(key);
      if (compareKeys(chunk.min, key) === 0) throw namedError(212, 'CannotSplit', `cannot split chunk at its lower bound ${String(key)}`);
      meta.chunks.split(key);
      return;
    }
    const chunk = this.chunkOf(meta, cmd);
    const keys = this.keysIn(meta, chunk).sort(compareKeys);
    const middle = keys[Math.floor(keys.length / 2)];
    if (keys.length < 2 || compareKeys(middle, chunk.min) === 0) throw namedError(212, 'CannotSplit', 'cannot find a split point: the chunk holds too few distinct keys');
    meta.chunks.split(middle);
  }

  /** Moves a chunk and its documents (a migration: no change events, as with fromMigrate). */
  moveChunk(cmd: Document): number {
    const meta = this.requireSharded(cmd.moveChunk);
    const to = this.shardIndex(cmd.to);
    const chunk = this.chunkOf(meta, cmd);
    if (chunk.shard === to) return 0;
    const source = this.shards[chunk.shard].node.catalog.get(meta.db, meta.coll);
    const primary = this.shards[this.primaryOf(meta.db)].node.catalog.get(meta.db, meta.coll) ?? source;
    let moved = 0;
    if (source && primary) {
      const target = this.ensureOnShard(this.shards[to], primary);
      const leaving: Document[] = [];
      for (const doc of source.docs.values()) if (ChunkMap.contains(chunk, meta.chunks.keyOf(doc._id))) leaving.push(doc);
      for (const doc of leaving) {
        target.insert(doc);
        source.remove(doc._id);
      }
      moved = leaving.length;
    }
    meta.chunks.move(chunk, to, this.clock());
    return moved;
  }

  private keysIn(meta: ShardedCollection, chunk: Chunk): unknown[] {
    const collection = this.shards[chunk.shard].node.catalog.get(meta.db, meta.coll);
    const keys: unknown[] = [];
    for (const doc of collection?.docs.values() ?? []) {
      const key = meta.chunks.keyOf(doc._id);
      if (ChunkMap.contains(chunk, key)) keys.push(key);
    }
    return keys;
  }
}

export function splitNs(ns: unknown): [string, string] {
  if (typeof ns !== 'string' || !ns.includes('.')) throw new CommandError(ErrorCode.InvalidNamespace, `Invalid namespace specified '${String(ns)}'`);
  const at = ns.indexOf('.');
  return [ns.slice(0, at), ns.slice(at + 1)];
}

import { BSON, Double, Long, type Document } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import type { Collection } from '../storage/collection.js';
import { collectionArg, type CommandContext, type CommandTable } from './context.js';

/** Above this many documents a collection's data size is estimated from an even sample (dbStats must not stall the server). */
const EXACT_SIZE_LIMIT = 10_000;
const SAMPLE = 1_000;
/** The allocation unit sizes are reported in: an existing collection or index never reports less. */
const PAGE = 4096;
/** Bytes per index entry beyond the key itself (record id and b-tree overhead). */
const INDEX_ENTRY_OVERHEAD = 16;

export interface StorageFigures {
  count: number;
  size: number;
  avgObjSize: number;
  storageSize: number;
  nindexes: number;
  indexSizes: Record<string, number>;
  totalIndexSize: number;
  totalSize: number;
}

/** Average BSON size of the documents (exact for small collections, sampled for large ones). */
function averageSize(collection: Collection): number {
  const count = collection.docs.size;
  if (count === 0) return 0;
  let bytes = 0;
  let seen = 0;
  const step = count <= EXACT_SIZE_LIMIT ? 1 : Math.floor(count / SAMPLE);
  let i = 0;
  for (const doc of collection.docs.values()) {
    if (i++ % step !== 0) continue;
    bytes += BSON.calculateObjectSize(doc);
    seen++;
  }
  return bytes / seen;
}

const pages = (bytes: number) => Math.max(PAGE, Math.ceil(bytes / PAGE) * PAGE);

/** What the storage engine would report for one collection, unscaled. */
export function storageFigures(collection: Collection): StorageFigures {
  const count = collection.docs.size;
  const avg = averageSize(collection);
  const size = Math.round(avg * count);
  const indexSizes: Record<string, number> = {};
  let totalIndexSize = 0;
  for (const index of collection.indexes) {
    const keyBytes = Object.keys(index.key).length * 12;
    const bytes = pages(count * (keyBytes + INDEX_ENTRY_OVERHEAD));
    indexSizes[index.name] = bytes;
    totalIndexSize += bytes;
  }
  const storageSize = pages(size);
  return {
    count, size, avgObjSize: Math.round(avg), storageSize, nindexes: collection.indexes.length, indexSizes, totalIndexSize,
    totalSize: storageSize + totalIndexSize,
  };
}

/** The `scale` argument as mongod reads it: a positive number, its integer part used. */
export function scaleOf(value: unknown, command: string): number {
  if (value === undefined || value === null) return 1;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    const type = typeof value === 'boolean' ? 'bool' : Array.isArray(value) ? 'array' : typeof value;
    throw new CommandError(ErrorCode.TypeMismatch, `BSON field '${command}.scale' is the wrong type '${type}', expected types '[long, int, decimal, double]'`);
  }
  const scale = Math.trunc(value);
  // The IDL validator's error (gte: 1).
  if (scale < 1) throw new CommandError(51024, `BSON field 'scale' value must be >= 1, actual value '${scale}'`, [], { codeName: 'Location51024' });
  return scale;
}

const scaled = (bytes: number, scale: number) => Math.trunc(bytes / scale);

/** The `storageStats` document of `collStats` and of `$collStats: { storageStats: {} }`. */
export function storageStatsDoc(collection: Collection | undefined, scale: number): Document {
  if (!collection) {
    return {
      size: 0, count: 0, numOrphanDocs: 0, storageSize: 0, totalSize: 0, nindexes: 0, totalIndexSize: 0, indexDetails: {}, indexSizes: {}, scaleFactor: scale,
    };
  }
  const f = storageFigures(collection);
  const doc: Document = {
    size: scaled(f.size, scale),
    count: f.count,
  };
  if (f.count > 0) doc.avgObjSize = f.avgObjSize;
  doc.numOrphanDocs = 0;
  doc.storageSize = scaled(f.storageSize, scale);
  doc.freeStorageSize = 0;
  doc.capped = collection.options.capped === true;
  if (doc.capped) {
    if (collection.options.max !== undefined) doc.max = collection.options.max;
    if (collection.options.size !== undefined) doc.maxSize = scaled(Number(collection.options.size), scale);
  }
  doc.nindexes = f.nindexes;
  doc.indexBuilds = [];
  doc.totalIndexSize = scaled(f.totalIndexSize, scale);
  doc.totalSize = scaled(f.totalSize, scale);
  doc.indexSizes = Object.fromEntries(Object.entries(f.indexSizes).map(([name, bytes]) => [name, scaled(bytes, scale)]));
  doc.scaleFactor = scale;
  return doc;
}

/** `dbStats` of one node (mongod): counts as int32, sizes as doubles, as a 7.0 in-memory mongod reports them. */
export function dbStatsOf(ctx: CommandContext, scale: number): Document {
  const collections = ctx.node.catalog.collections(ctx.db);
  let objects = 0;
  let dataSize = 0;
  let storageSize = 0;
  let indexes = 0;
  let indexSize = 0;
  for (const c of collections) {
    const f = storageFigures(c);
    objects += f.count;
    dataSize += f.size;
    storageSize += f.storageSize;
    indexes += f.nindexes;
    indexSize += f.totalIndexSize;
  }
  return {
    db: ctx.db,
    collections: collections.length,
    views: 0,
    objects,
    avgObjSize: new Double(objects === 0 ? 0 : dataSize / objects),
    dataSize: new Double(scaled(dataSize, scale)),
    storageSize: new Double(scaled(storageSize, scale)),
    indexes,
    indexSize: new Double(scaled(indexSize, scale)),
    totalSize: new Double(scaled(storageSize + indexSize, scale)),
    scaleFactor: new Double(scale),
    ok: 1,
  };
}

/** The document `$collStats` produces for one namespace on one node (`shard` is set on a shard behind a mongos). */
export function collStatsStageDoc(ctx: CommandContext, coll: string, spec: Document, shard?: string): Document {
  const ns = `${ctx.db}.${coll}`;
  const collection = ctx.node.catalog.get(ctx.db, coll);
  const doc: Document = { ns };
  if (shard !== undefined) doc.shard = shard;
  doc.host = ctx.topology.address;
  doc.localTime = new Date();
  if (spec.latencyStats !== undefined) {
    const zero = () => ({ latency: Long.fromNumber(0), ops: Long.fromNumber(0) });
    doc.latencyStats = { reads: zero(), writes: zero(), commands: zero(), transactions: zero() };
  }
  if (spec.storageStats !== undefined) {
    if (!collection) {
      throw new CommandError(ErrorCode.NamespaceNotFound, `PlanExecutor error during aggregation :: caused by :: Unable to retrieve storageStats in $collStats stage :: caused by :: Collection [${ns}] not found.`);
    }
    doc.storageStats = storageStatsDoc(collection, scaleOf(spec.storageStats?.scale, '$collStats.storageStats'));
  }
  if (spec.count !== undefined) {
    if (!collection) {
      throw new CommandError(ErrorCode.NamespaceNotFound, `PlanExecutor error during aggregation :: caused by :: Unable to retrieve count in $collStats stage :: caused by :: Collection [${ns}] not found.`);
    }
    doc.count = collection.docs.size;
  }
  if (spec.queryExecStats !== undefined) {
    doc.queryExecStats = { collectionScans: { total: Long.fromNumber(0), nonTailable: Long.fromNumber(0) } };
  }
  return doc;
}

const COLL_STATS_FIELDS = new Set(['latencyStats', 'storageStats', 'count', 'queryExecStats']);

/** Checks a `$collStats` stage as mongod parses it; returns its spec. */
export function parseCollStatsStage(stage: Document, aggregateTarget: unknown): Document {
  const spec = stage.$collStats;
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new CommandError(ErrorCode.FailedToParse, `$collStats must take a nested object but found: $collStats: ${JSON.stringify(spec)}`);
  }
  for (const key of Object.keys(spec)) {
    if (!COLL_STATS_FIELDS.has(key)) throw new CommandError(40415, `BSON field '$collStats.${key}' is an unknown field.`, [], { codeName: 'Location40415' });
  }
  if (typeof aggregateTarget !== 'string') {
    throw new CommandError(ErrorCode.InvalidNamespace, "{aggregate: 1} is not valid for '$collStats'; a collection is required.");
  }
  return spec;
}

/** Stages mongod only allows first in a pipeline (error 40602 elsewhere). */
export function checkFirstStageOnly(pipeline: Document[]): void {
  for (let i = 1; i < pipeline.length; i++) {
    const name = pipeline[i] && typeof pipeline[i] === 'object' ? Object.keys(pipeline[i])[0] : undefined;
    if (name === '$collStats' || name === '$changeStream' || name === '$currentOp') {
      throw new CommandError(40602, `${name} is only valid as the first stage in a pipeline.`, [], { codeName: 'Location40602' });
    }
  }
}

export const statsCommands: CommandTable = {
  dbStats: (cmd, ctx) => dbStatsOf(ctx, scaleOf(cmd.scale, 'dbStats')),
  dbstats: (cmd, ctx) => dbStatsOf(ctx, scaleOf(cmd.scale, 'dbStats')),
  collStats: (cmd, ctx) => collStats(cmd, ctx, 'collStats'),
  collstats: (cmd, ctx) => collStats(cmd, ctx, 'collstats'),
};

function collStats(cmd: Document, ctx: CommandContext, name: string): Document {
  const coll = collectionArg(cmd, name);
  const scale = scaleOf(cmd.scale, 'collStats');
  // A missing collection is not an error for the command (only for $collStats): all zeros.
  return { ns: `${ctx.db}.${coll}`, ...storageStatsDoc(ctx.node.catalog.get(ctx.db, coll), scale), ok: 1 };
}

import { Double, Long, type Document } from 'bson';
import { changeStreamReply } from '../changestream/reply.js';
import { aggregateCommands, parseChangeStreamSpec } from '../commands/aggregate.js';
import { firstBatch } from '../commands/batches.js';
import { catalogCommands, SYSTEM_DATABASES } from '../commands/catalog.js';
import { collectionArg, type CommandContext, type CommandHandler, type CommandTable } from '../commands/context.js';
import { crudCommands } from '../commands/crud.js';
import { helloCommands } from '../commands/hello.js';
import { checkFirstStageOnly, collStatsStageDoc, parseCollStatsStage, statsCommands } from '../commands/stats.js';
import { mongodCommands } from '../commands/index.js';
import { CommandError, ErrorCode, badValue } from '../errors.js';
import { withIdFirst } from '../storage/document.js';
import { sameValue } from '../storage/update.js';
import { runFind, runPipeline } from '../storage/query.js';
import { queryOptionsOf } from '../commands/query-options.js';
import { runPipelineInSlices } from '../exec/pipeline.js';
import { findStages, matchInSlices } from '../exec/scan.js';
import { deleteInSlices, updateInSlices } from '../exec/writes.js';
import { isRegexValue } from '../storage/regex.js';
import type { ShardedCollection } from './chunks.js';
import { splitNs, type ShardingCatalog } from './cluster.js';
import { configCollection } from './config-db.js';
import type { Shard } from './shard.js';
import { routerExplain } from './explain.js';
import { RouterChangeStream, type RouterStreamOptions } from './stream.js';
import { transactionCommands } from '../transactions/commands.js';
import { snapshotNode } from '../transactions/snapshot.js';

export interface RouterContext {
  shards: Shard[];
  sharding: ShardingCatalog;
  /** The router's cluster time (the latest of the shards'). */
  clusterTime: () => import('bson').Timestamp;
  stream: Omit<RouterStreamOptions, 'primaryOf' | 'clusterTime'>;
  /** host:port of the router, for config.mongos and getShardMap. */
  address: () => string;
}

interface WriteError { index: number; code: number; errmsg: string; [extra: string]: unknown }

/** The command table of a mongos: routes CRUD by chunk, scatter-gathers the rest, serves config.*. */
export function routerCommands(rc: RouterContext): CommandTable {
  const { shards, sharding } = rc;
  /** A shard's data for this command: inside a transaction, the transaction's view of it. */
  const nodeOf = (ctx: CommandContext, shard: number) => ctx.transaction?.on?.(shard)
    ?? (ctx.readAt ? snapshotNode(shards[shard].node, ctx.readAt) : shards[shard].node);
  const on = (ctx: CommandContext, shard: number): CommandContext => ({ ...ctx, node: nodeOf(ctx, shard) });
  const primary = (ctx: CommandContext) => on(ctx, sharding.primaryOf(ctx.db));
  const primaryForWrite = (ctx: CommandContext) => on(ctx, sharding.ensureDatabase(ctx.db).primary);
  const gossip = (targets: Iterable<number>) => {
    const now = rc.clusterTime();
    for (const t of targets) shards[t].node.clock.advanceTo(now);
  };

  /** Unsharded namespaces are answered by the database's primary shard with the mongod handler. */
  const routed = (name: string, handler: CommandHandler, sharded: (cmd: Document, ctx: CommandContext, meta: ShardedCollection) => Document | Promise<Document>, write = false): CommandHandler =>
    (cmd, ctx) => {
      const meta = sharding.sharded(ctx.db, collectionArg(cmd, name));
      if (meta) return sharded(cmd, ctx, meta);
      if (!write) return handler(cmd, primary(ctx));
      const target = primaryForWrite(ctx);
      gossip([sharding.primaryOf(ctx.db)]);
      return handler(cmd, target);
    };

  const insert: CommandHandler = routed('insert', crudCommands.insert, (cmd, ctx, meta) => {
    const docs = statementsOf(cmd, 'documents');
    const ordered = cmd.ordered !== false;
    const { chunks } = meta;
    const owners = chunks.shards;
    gossip(owners);
    const errors: WriteError[] = [];
    let n = 0;
    const apply = (i: number, shard: number) => {
      const doc = docs[i];
      try {
        nodeOf(ctx, shard).insert(meta.db, meta.coll, doc);
        n++;
        return true;
      } catch (err) {
        if (!(err instanceof CommandError)) throw err;
        errors.push({ index: i, code: err.code, errmsg: err.message, ...err.extra });
        return false;
      }
    };
    if (owners.length === 1) {
      for (let i = 0; i < docs.length; i++) if (!apply(i, owners[0]) && ordered) break;
      return writeReply({ n }, errors);
    }
    // Route the whole batch first (no per-document async), then apply each shard's group in one pass.
    const targets = new Uint16Array(docs.length);
    for (let i = 0; i < docs.length; i++) {
      if (docs[i]._id === undefined) docs[i] = withIdFirst(docs[i]);
      targets[i] = chunks.shardOf(docs[i]._id);
    }
    if (ordered) {
      for (let i = 0; i < docs.length; i++) if (!apply(i, targets[i])) break;
    } else {
      for (const shard of owners) for (let i = 0; i < docs.length; i++) if (targets[i] === shard) apply(i, shard);
      errors.sort((a, b) => a.index - b.index);
    }
    return writeReply({ n }, errors);
  }, true);

  const update: CommandHandler = routed('update', crudCommands.update, async (cmd, ctx, meta) => {
    let n = 0;
    let nModified = 0;
    const upserted: Document[] = [];
    const errors = await eachStatement(statementsOf(cmd, 'updates'), cmd.ordered !== false, async (stmt, index) => {
      if (stmt.q === undefined || stmt.u === undefined) throw new CommandError(ErrorCode.FailedToParse, "BSON field 'update.updates.q' is missing but a required field");
      const { targets, exact } = targetsOf(meta, stmt.q);
      if (stmt.upsert && !exact) throw new CommandError(61, 'Failed to target upsert by query :: could not extract exact shard key', [], { codeName: 'ShardKeyNotFound' });
      gossip(targets);
      const statement = { ...stmt, query: queryOptionsOf(cmd, stmt.collation) } as never;
      for (const t of targets) {
        const outcome = await updateInSlices(nodeOf(ctx, t), meta.db, meta.coll, statement, ctx.deadline, inTransaction(cmd));
        n += outcome.n;
        nModified += outcome.nModified;
        if (outcome.upserted !== undefined) upserted.push({ index, _id: outcome.upserted });
        if (!stmt.multi && outcome.n > 0) break;
      }
    });
    return writeReply({ n, nModified, upserted: upserted.length > 0 ? upserted : undefined }, errors);
  }, true);

  const del: CommandHandler = routed('delete', crudCommands.delete, async (cmd, ctx, meta) => {
    let n = 0;
    const errors = await eachStatement(statementsOf(cmd, 'deletes'), cmd.ordered !== false, async (stmt) => {
      if (stmt.limit !== 0 && stmt.limit !== 1) throw badValue('The limit field in delete objects must be 0 or 1');
      const { targets } = targetsOf(meta, stmt.q ?? {});
      gossip(targets);
      const query = queryOptionsOf(cmd, stmt.collation);
      for (const t of targets) {
        const removed = await deleteInSlices(nodeOf(ctx, t), meta.db, meta.coll, stmt.q ?? {}, stmt.limit, ctx.deadline, inTransaction(cmd), query);
        n += removed;
        if (stmt.limit === 1 && removed > 0) break;
      }
    });
    return writeReply({ n }, errors);
  }, true);

  /**
   * Matching documents from every targeted shard (filter applied on the shards, the rest on the router), read
   * in slices as the shards' own handlers read: other clients are served meanwhile and maxTimeMS holds.
   */
  const gather = async (ctx: CommandContext, cmd: Document, meta: ShardedCollection, filter: Document | undefined, perShardLimit = 0): Promise<Document[]> => {
    const out: Document[] = [];
    const query = queryOptionsOf(cmd);
    for (const t of targetsOf(meta, filter).targets) {
      const node = nodeOf(ctx, t);
      const collection = node.catalog.get(meta.db, meta.coll);
      if (!collection) continue;
      for (const doc of await matchInSlices(node, collection, filter, perShardLimit, ctx.deadline, query)) out.push(doc);
    }
    return out;
  };

  /** All of a sharded collection at once, for $lookup/$unionWith/$graphLookup from (the resolver is synchronous). */
  const everything = (ctx: CommandContext, meta: ShardedCollection): Document[] => {
    const out: Document[] = [];
    for (const t of meta.chunks.shards) {
      const collection = nodeOf(ctx, t).catalog.get(meta.db, meta.coll);
      if (collection) for (const doc of collection.docs.values()) out.push(doc);
    }
    return out;
  };

  const find: CommandHandler = async (cmd, ctx) => {
    const coll = collectionArg(cmd, 'find');
    if (ctx.db === 'config') {
      const { docs: source, filter } = matchBsonValues(configCollection(rc, coll), cmd.filter);
      const docs = runFind(source, { filter, sort: cmd.sort, projection: cmd.projection, skip: cmd.skip, limit: typeof cmd.limit === 'number' ? cmd.limit : 0 });
      return firstBatch(ctx, `config.${coll}`, docs, cmd.batchSize, cmd.singleBatch === true);
    }
    const meta = sharding.sharded(ctx.db, coll);
    if (!meta) return crudCommands.find(cmd, primary(ctx));
    const limit = typeof cmd.limit === 'number' ? cmd.limit : 0;
    const skip = typeof cmd.skip === 'number' ? cmd.skip : 0;
    const perShard = !cmd.sort && limit !== 0 ? Math.abs(limit) + skip : 0;
    const gathered = await gather(ctx, cmd, meta, cmd.filter, perShard);
    const docs = await runPipelineInSlices(gathered, findStages({ sort: cmd.sort, projection: cmd.projection, skip, limit }), ctx.deadline, queryOptionsOf(cmd));
    const single = cmd.singleBatch === true || limit < 0;
    return firstBatch(ctx, meta.ns, docs, single ? Math.max(docs.length, 1) : cmd.batchSize, single);
  };

  const count: CommandHandler = routed('count', crudCommands.count, async (cmd, ctx, meta) => {
    let n = (await gather(ctx, cmd, meta, cmd.query && Object.keys(cmd.query).length > 0 ? cmd.query : undefined)).length;
    n = Math.max(0, n - (cmd.skip ?? 0));
    if (cmd.limit) n = Math.min(n, Math.abs(cmd.limit));
    return { n, ok: 1 };
  });

  const distinct: CommandHandler = routed('distinct', crudCommands.distinct, async (cmd, ctx, meta) => {
    const values: unknown[] = [];
    const seen = new Set<string>();
    for (const t of targetsOf(meta, cmd.query).targets) {
      const reply = await crudCommands.distinct(cmd, on(ctx, t));
      for (const value of reply.values as unknown[]) {
        const key = JSON.stringify(value);
        if (!seen.has(key)) {
          seen.add(key);
          values.push(value);
        }
      }
    }
    return { values, ok: 1 };
  });

  const findAndModify = (name: string): CommandHandler => routed(name, crudCommands[name], async (cmd, ctx, meta) => {
    const { targets, exact } = targetsOf(meta, cmd.query);
    if (exact) {
      gossip(targets);
      return crudCommands[name](cmd, on(ctx, targets[0]));
    }
    if (cmd.upsert) throw new CommandError(61, 'Query for sharded findAndModify must contain the shard key', [], { codeName: 'ShardKeyNotFound' });
    const [top] = await runPipelineInSlices(await gather(ctx, cmd, meta, cmd.query), findStages({ sort: cmd.sort, limit: 1 }), ctx.deadline, queryOptionsOf(cmd));
    if (!top) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
    const shard = meta.chunks.shardOf(top._id);
    gossip([shard]);
    return crudCommands[name]({ ...cmd, query: { _id: top._id }, sort: undefined }, on(ctx, shard));
  }, true);

  const aggregate: CommandHandler = async (cmd, ctx) => {
    const pipeline = cmd.pipeline;
    if (Array.isArray(pipeline)) checkFirstStageOnly(pipeline);
    if (Array.isArray(pipeline) && pipeline[0]?.$changeStream) return openChangeStream(rc, cmd, ctx);
    if (Array.isArray(pipeline) && pipeline[0] && typeof pipeline[0] === 'object' && '$collStats' in pipeline[0]) {
      // One document per shard that holds the collection (its chunk owners, or the database's primary), each with `shard`.
      const spec = parseCollStatsStage(pipeline[0], cmd.aggregate);
      const docs = statsShards(ctx.db, cmd.aggregate).map((t) => collStatsStageDoc(on(ctx, t), cmd.aggregate, spec, shards[t].name));
      const rest = pipeline.slice(1);
      return firstBatch(ctx, `${ctx.db}.${cmd.aggregate}`, rest.length > 0 ? runPipeline(docs, rest) : docs, cmd.cursor?.batchSize);
    }
    if (ctx.db === 'config' && typeof cmd.aggregate === 'string') {
      if (!Array.isArray(pipeline)) throw new CommandError(ErrorCode.TypeMismatch, "'pipeline' option must be specified as an array");
      const match = pipeline[0]?.$match as Document | undefined;
      const { docs: source, filter } = matchBsonValues(configCollection(rc, cmd.aggregate), match);
      const stages = match ? [...(filter && Object.keys(filter).length > 0 ? [{ $match: filter }] : []), ...pipeline.slice(1)] : pipeline;
      const docs = stages.length > 0 ? runPipeline(source, stages, (name) => configCollection(rc, name)) : source;
      return firstBatch(ctx, `config.${cmd.aggregate}`, docs, cmd.cursor?.batchSize);
    }
    const meta = typeof cmd.aggregate === 'string' ? sharding.sharded(ctx.db, cmd.aggregate) : undefined;
    if (!meta) return aggregateCommands.aggregate(cmd, primary(ctx));
    if (!Array.isArray(pipeline)) throw new CommandError(ErrorCode.TypeMismatch, "'pipeline' option must be specified as an array");
    if (typeof cmd.cursor !== 'object') throw new CommandError(ErrorCode.FailedToParse, "The 'cursor' option is required, except for aggregate with the explain argument");
    // A leading $match runs on the shards; the rest of the pipeline runs on the merged documents.
    const first = pipeline[0]?.$match as Document | undefined;
    const source = await gather(ctx, cmd, meta, first);
    const rest = first ? pipeline.slice(1) : pipeline;
    const resolver = (name: string) => {
      const other = sharding.sharded(ctx.db, name);
      if (other) return everything(ctx, other);
      return [...(nodeOf(ctx, sharding.primaryOf(ctx.db)).catalog.get(ctx.db, name)?.docs.values() ?? [])];
    };
    const docs = rest.length > 0 ? await runPipelineInSlices(source, rest, ctx.deadline, { collectionResolver: resolver, ...queryOptionsOf(cmd) }) : source;
    return firstBatch(ctx, meta.ns, docs, cmd.cursor?.batchSize);
  };

  /** DDL on a sharded collection runs on every shard; the primary's reply is returned. */
  const everywhere = (name: string, handler: CommandHandler): CommandHandler => async (cmd, ctx) => {
    const meta = sharding.sharded(ctx.db, collectionArg(cmd, name));
    if (!meta) return handler(cmd, primaryForWrite(ctx));
    const p = sharding.primaryOf(ctx.db);
    let reply: Document = { ok: 1 };
    for (const shard of shards) {
      const r = await handler(cmd, on(ctx, shard.index));
      if (shard.index === p) reply = r;
    }
    return reply;
  };

  const admin = (name: string, handler: CommandHandler): CommandHandler => (cmd, ctx) => {
    if (ctx.db !== 'admin') throw new CommandError(ErrorCode.Unauthorized, `${name} may only be run against the admin database.`);
    return handler(cmd, ctx);
  };

  const shardDoc = (shard: Shard) => ({ _id: shard.name, host: shardHost(rc, shard), state: 1, topologyTime: rc.clusterTime() });

  /** The shards a per-shard statistic of a collection is read from: its chunk owners when sharded, else the primary. */
  const statsShards = (db: string, coll: string): number[] => sharding.sharded(db, coll)?.chunks.shards ?? [sharding.primaryOf(db)];

  const clusterDbStats: CommandHandler = async (cmd, ctx) => {
    const raw: Document = {};
    let collections = 0;
    let views = 0;
    let objects = 0;
    let unscaledDataSize = 0;
    const sums = { dataSize: 0, storageSize: 0, indexes: 0, indexSize: 0, totalSize: 0 };
    let scaleFactor = 1;
    for (const shard of shards) {
      const reply = await statsCommands.dbStats(cmd, on(ctx, shard.index));
      const { ok: _ok, ...stats } = reply;
      raw[shardHost(rc, shard)] = stats;
      collections += Number(stats.collections);
      views = Math.max(views, Number(stats.views));
      objects += Number(stats.objects);
      unscaledDataSize += Number(stats.avgObjSize) * Number(stats.objects);
      for (const key of Object.keys(sums) as Array<keyof typeof sums>) sums[key] += Number(stats[key]);
      scaleFactor = Number(stats.scaleFactor);
    }
    return {
      raw,
      db: ctx.db,
      collections,
      views,
      objects,
      avgObjSize: new Double(objects === 0 ? 0 : unscaledDataSize / objects),
      dataSize: new Double(sums.dataSize),
      storageSize: new Double(sums.storageSize),
      indexes: sums.indexes,
      indexSize: new Double(sums.indexSize),
      totalSize: new Double(sums.totalSize),
      scaleFactor: new Double(scaleFactor),
      ok: 1,
    };
  };

  // As a mongos merges its shards' collStats: sums, per-index sums, and each shard's reply under `shards`.
  const clusterCollStats = async (cmd: Document, ctx: CommandContext, name: string): Promise<Document> => {
    const coll = collectionArg(cmd, name);
    const meta = sharding.sharded(ctx.db, coll);
    const perShard: Document = {};
    const indexSizes: Record<string, number> = {};
    let count = 0;
    let size = 0;
    let storageSize = 0;
    let totalIndexSize = 0;
    let totalSize = 0;
    let nindexes = 0;
    let capped = false;
    let scaleFactor = 1;
    for (const t of statsShards(ctx.db, coll)) {
      const { ok: _ok, ...stats } = await statsCommands.collStats({ ...cmd, collStats: coll, collstats: undefined }, on(ctx, t));
      perShard[shards[t].name] = stats;
      count += stats.count;
      size += stats.size;
      storageSize += stats.storageSize;
      totalIndexSize += stats.totalIndexSize;
      totalSize += stats.totalSize;
      nindexes = Math.max(nindexes, stats.nindexes);
      capped ||= stats.capped === true;
      scaleFactor = stats.scaleFactor;
      for (const [index, bytes] of Object.entries(stats.indexSizes as Record<string, number>)) indexSizes[index] = (indexSizes[index] ?? 0) + bytes;
    }
    return {
      sharded: meta !== undefined,
      capped,
      ns: `${ctx.db}.${coll}`,
      count,
      size,
      storageSize,
      totalIndexSize,
      totalSize,
      indexSizes,
      avgObjSize: count === 0 ? 0 : Math.trunc((size * scaleFactor) / count),
      maxSize: Long.fromNumber(0),
      nindexes,
      nchunks: meta ? meta.chunks.chunks.length : 1,
      shards: perShard,
      ok: 1,
    };
  };

  const table: CommandTable = {
    ...helloCommands,
    ...transactionCommands,
    configureFailPoint: mongodCommands.configureFailPoint,
    insert,
    update,
    delete: del,
    find,
    getMore: crudCommands.getMore,
    killCursors: crudCommands.killCursors,
    count,
    distinct,
    findAndModify: findAndModify('findAndModify'),
    findandmodify: findAndModify('findandmodify'),
    aggregate,
    explain: (cmd, ctx) => {
      const inner = cmd.explain !== null && typeof cmd.explain === 'object' ? cmd.explain : {};
      const coll = inner[Object.keys(inner)[0]];
      const meta = typeof coll === 'string' ? sharding.sharded(ctx.db, coll) : undefined;
      const holders = meta ? [...meta.chunks.shards] : [sharding.primaryOf(ctx.db)];
      return routerExplain(cmd, ctx, holders.map((i) => ({ shard: shards[i], connectionString: shardHost(rc, shards[i]), ctx: on(ctx, i) })));
    },
    create: (cmd, ctx) => catalogCommands.create(cmd, primaryForWrite(ctx)),
    drop: async (cmd, ctx) => {
      const coll = collectionArg(cmd, 'drop');
      const meta = sharding.sharded(ctx.db, coll);
      if (!meta) return catalogCommands.drop(cmd, primary(ctx));
      const p = sharding.primaryOf(ctx.db);
      const reply = await catalogCommands.drop(cmd, on(ctx, p));
      for (const shard of shards) if (shard.index !== p) shard.node.dropCollection(ctx.db, coll);
      sharding.dropCollection(ctx.db, coll);
      return reply;
    },
    dropDatabase: async (cmd, ctx) => {
      const p = sharding.primaryOf(ctx.db);
      const reply = await catalogCommands.dropDatabase(cmd, on(ctx, p));
      for (const shard of shards) if (shard.index !== p) shard.node.dropDatabase(ctx.db);
      sharding.dropDatabase(ctx.db);
      return reply;
    },
    renameCollection: (cmd, ctx) => {
      const [db, coll] = splitNs(cmd.renameCollection);
      if (sharding.sharded(db, coll)) throw new CommandError(ErrorCode.IllegalOperation, `cannot rename sharded collection '${db}.${coll}'`);
      return catalogCommands.renameCollection(cmd, on(ctx, sharding.primaryOf(db)));
    },
    collMod: everywhere('collMod', catalogCommands.collMod),
    createIndexes: everywhere('createIndexes', catalogCommands.createIndexes),
    dropIndexes: everywhere('dropIndexes', catalogCommands.dropIndexes),
    listIndexes: (cmd, ctx) => catalogCommands.listIndexes(cmd, primary(ctx)),
    listCollections: (cmd, ctx) => (ctx.db === 'config'
      ? firstBatch(ctx, 'config.$cmd.listCollections', CONFIG_COLLECTIONS.map((name) => ({ name, type: 'collection', options: {}, info: { readOnly: true } })), cmd.cursor?.batchSize)
      : catalogCommands.listCollections(cmd, primary(ctx))),
    // As cluster_list_databases_cmd.cpp: every shard and the config server are asked (with the filter);
    // `admin` comes from the config server only, `config` from the shards and the config server, `local`
    // from nobody (each shard has its own); each database lists its size on every shard that has it.
    listDatabases: async (cmd, ctx) => {
      if (ctx.db !== 'admin') throw new CommandError(ErrorCode.Unauthorized, 'listDatabases may only be run against the admin database.');
      const sizes = new Map<string, number>();
      const perShard = new Map<string, Document>();
      const add = (shardName: string, name: string, size: number) => {
        sizes.set(name, (sizes.get(name) ?? 0) + size);
        const entry = perShard.get(name) ?? {};
        entry[shardName] = size;
        perShard.set(name, entry);
      };
      for (const shard of shards) {
        const reply = await catalogCommands.listDatabases({ listDatabases: 1, filter: cmd.filter }, on(ctx, shard.index));
        for (const d of reply.databases as Array<{ name: string; sizeOnDisk: number }>) {
          if (d.name !== 'admin') add(shard.name, d.name, d.sizeOnDisk);
        }
      }
      let configServer: Document[] = ['admin', 'config'].map((name) => ({ name, sizeOnDisk: SYSTEM_DATABASES[name], empty: false }));
      if (cmd.filter) configServer = runFind(configServer, { filter: cmd.filter });
      for (const d of configServer) add('config', d.name, d.sizeOnDisk);
      const names = [...sizes.keys()].filter((name) => name !== 'local').sort();
      if (cmd.nameOnly) return { databases: names.map((name) => ({ name })), ok: 1 };
      const databases = names.map((name) => ({ name, sizeOnDisk: sizes.get(name)!, empty: sizes.get(name) === 1, shards: perShard.get(name)! }));
      const totalSize = databases.reduce((sum, d) => sum + d.sizeOnDisk, 0);
      return { databases, totalSize, totalSizeMb: Math.floor(totalSize / 1048576), ok: 1 };
    },
    // dbStats: every shard's own reply under `raw` (by connection string), then the sums.
    dbStats: (cmd, ctx) => clusterDbStats(cmd, ctx),
    dbstats: (cmd, ctx) => clusterDbStats(cmd, ctx),
    collStats: (cmd, ctx) => clusterCollStats(cmd, ctx, 'collStats'),
    collstats: (cmd, ctx) => clusterCollStats(cmd, ctx, 'collstats'),
    // Sharding administration, as on a mongos.
    enableSharding: admin('enableSharding', (cmd) => {
      if (typeof cmd.enableSharding !== 'string' || cmd.enableSharding.length === 0) throw badValue('enableSharding requires a database name');
      sharding.ensureDatabase(cmd.enableSharding, cmd.primaryShard !== undefined ? sharding.shardIndex(cmd.primaryShard) : undefined);
      return { ok: 1 };
    }),
    shardCollection: admin('shardCollection', (cmd) => {
      const ns = String(cmd.shardCollection);
      const { meta } = sharding.shardCollection(ns, cmd.key, cmd);
      return { collectionsharded: ns, collectionUUID: meta.uuid, ok: 1 };
    }),
    split: admin('split', (cmd) => {
      sharding.split(cmd);
      return { ok: 1 };
    }),
    moveChunk: admin('moveChunk', (cmd) => {
      const started = Date.now();
      sharding.moveChunk(cmd);
      return { millis: Date.now() - started, ok: 1 };
    }),
    balancerStatus: admin('balancerStatus', () => ({ mode: sharding.balancerMode, inBalancerRound: false, numBalancerRounds: Long.fromNumber(0), ok: 1 })),
    balancerStart: admin('balancerStart', () => {
      sharding.balancerMode = 'full';
      return { ok: 1 };
    }),
    balancerStop: admin('balancerStop', () => {
      sharding.balancerMode = 'off';
      return { ok: 1 };
    }),
    listShards: admin('listShards', () => ({ shards: shards.map(shardDoc), ok: 1 })),
    getShardMap: admin('getShardMap', () => {
      const map: Document = {};
      for (const shard of shards) map[shard.name] = shardHost(rc, shard);
      map.config = `configRepl/${rc.address()}`;
      return { map, hosts: {}, connStrings: {}, ok: 1 };
    }),
    flushRouterConfig: () => ({ flushed: true, ok: 1 }),
    isdbgrid: () => ({ isdbgrid: 1, hostname: rc.address(), ok: 1 }),
    getShardVersion: admin('getShardVersion', (cmd) => {
      const meta = sharding.requireSharded(cmd.getShardVersion);
      return { version: meta.chunks.version, versionEpoch: meta.epoch, versionTimestamp: meta.timestamp, ok: 1 };
    }),
  };
  return table;
}

export const CONFIG_COLLECTIONS = ['shards', 'databases', 'collections', 'chunks', 'version', 'settings', 'mongos', 'tags'];

export function shardHost(rc: RouterContext, shard: Shard): string {
  return shard.server ? `${shard.name}/${shard.server.topology.address}` : `${shard.name}/embedded:${shard.name}`;
}

/**
 * Which shards a filter needs: one when it pins `_id` to a value, the owners of the listed values for
 * `{ _id: { $in: [...] } }`, otherwise every shard that owns a chunk of the collection.
 */
export function targetsOf(meta: ShardedCollection, filter: Document | undefined): { targets: number[]; exact: boolean } {
  const id = filter?._id;
  if (id !== undefined && !isRegexValue(id)) {
    const operator = id !== null && typeof id === 'object' && !Array.isArray(id) && Object.keys(id).some((k) => k.startsWith('$'));
    if (!operator) return { targets: [meta.chunks.shardOf(id)], exact: true };
    const keys = Object.keys(id);
    if (keys.length === 1 && keys[0] === '$eq') return { targets: [meta.chunks.shardOf(id.$eq)], exact: true };
    if (keys.length === 1 && keys[0] === '$in' && Array.isArray(id.$in) && !id.$in.some(isRegexValue)) {
      const set = new Set<number>(id.$in.map((v: unknown) => meta.chunks.shardOf(v)));
      return { targets: [...set].sort((a, b) => a - b), exact: false };
    }
  }
  return { targets: meta.chunks.shards, exact: false };
}

/**
 * Applies top-level equality on BSON values (a UUID, an ObjectId) itself, since the query engine does not
 * compare them by value; the rest of the filter is returned for the query engine.
 */
function matchBsonValues(docs: Document[], filter: Document | undefined): { docs: Document[]; filter: Document | undefined } {
  if (!filter) return { docs, filter };
  const rest: Document = {};
  let out = docs;
  for (const [key, value] of Object.entries(filter)) {
    if (value && typeof value === 'object' && typeof (value as { _bsontype?: unknown })._bsontype === 'string' && !key.startsWith('$')) {
      out = out.filter((doc) => bsonEqual(doc[key], value));
    } else {
      rest[key] = value;
    }
  }
  return { docs: out, filter: rest };
}

function bsonEqual(a: unknown, b: unknown): boolean {
  const tag = (v: unknown) => (v as { _bsontype?: string } | null)?._bsontype;
  if (tag(a) === 'Binary' && tag(b) === 'Binary') {
    const x = a as { sub_type: number; toString(encoding: 'base64'): string };
    const y = b as { sub_type: number; toString(encoding: 'base64'): string };
    return x.sub_type === y.sub_type && x.toString('base64') === y.toString('base64');
  }
  return sameValue(a, b);
}

function statementsOf(cmd: Document, field: string): Document[] {
  const value = cmd[field];
  if (!Array.isArray(value)) throw new CommandError(ErrorCode.FailedToParse, `BSON field '${Object.keys(cmd)[0]}.${field}' is missing but a required field`);
  return value;
}

const inTransaction = (cmd: Document) => cmd.autocommit === false;

async function eachStatement(statements: Document[], ordered: boolean, apply: (s: Document, i: number) => Promise<void>): Promise<WriteError[]> {
  const errors: WriteError[] = [];
  for (let i = 0; i < statements.length; i++) {
    try {
      await apply(statements[i], i);
    } catch (err) {
      if (!(err instanceof CommandError)) throw err;
      errors.push({ index: i, code: err.code, errmsg: err.message, ...err.extra });
      if (ordered) break;
    }
  }
  return errors;
}

function writeReply(reply: Document, errors: WriteError[]): Document {
  if (errors.length > 0) reply.writeErrors = errors;
  reply.ok = 1;
  return reply;
}

async function openChangeStream(rc: RouterContext, cmd: Document, ctx: CommandContext): Promise<Document> {
  if (typeof cmd.cursor !== 'object') throw new CommandError(ErrorCode.FailedToParse, "The 'cursor' option is required, except for aggregate with the explain argument");
  const options = parseChangeStreamSpec(cmd, ctx);
  const { scope } = options;
  const stream = new RouterChangeStream(rc.shards, { ...options, pipeline: [] }, cmd.pipeline.slice(1), { ...rc.stream, primaryOf: (db) => rc.sharding.primaryOf(db), clusterTime: rc.clusterTime }, rc.clusterTime());
  const ns = scope.kind === 'collection' ? `${scope.db}.${scope.coll}` : `${ctx.db}.$cmd.aggregate`;
  const batchSize = typeof cmd.cursor?.batchSize === 'number' ? cmd.cursor.batchSize : 101;
  let first;
  try {
    first = await stream.nextBatch(batchSize, 0);
  } catch (err) {
    stream.close();
    throw err;
  }
  if (first.invalidated) {
    stream.close();
    return changeStreamReply(0, ns, first, true);
  }
  const id = ctx.cursors.allocateId();
  ctx.cursors.add({ kind: 'changeStream', id, ns, stream, abort: new AbortController() });
  return changeStreamReply(id, ns, first, true);
}


import type { Document } from 'bson';
import { CommandError, ErrorCode, badValue } from '../errors.js';
import { runFind } from '../storage/query.js';
import type { CollectionOptions } from '../storage/collection.js';
import { collectionArg, type CommandContext, type CommandTable } from './context.js';
import { firstBatch } from './batches.js';
import { createView, modifyView, refuseView, viewInfo } from './views.js';
import { checkDroppableDatabase, checkRenameNamespaces, validateIndexSpec } from '../limits.js';

const COLLECTION_OPTIONS = ['capped', 'size', 'max', 'changeStreamPreAndPostImages', 'validator', 'validationLevel', 'validationAction', 'collation', 'timeseries', 'expireAfterSeconds', 'clusteredIndex'];

function optionsOf(cmd: Document): CollectionOptions {
  const options: CollectionOptions = {};
  for (const key of COLLECTION_OPTIONS) if (key in cmd) options[key] = cmd[key];
  return options;
}

function approximateSize(ctx: CommandContext, db: string): number {
  let docs = 0;
  for (const c of ctx.node.catalog.collections(db)) docs += c.docs.size;
  // WiredTiger never reports an existing database as smaller than its first extents.
  return Math.max(8192 * Math.max(1, ctx.node.catalog.collections(db).length), docs * 64);
}

/** A replica-set member always has these, holding its own metadata and the oplog. */
export const SYSTEM_DATABASES: Record<string, number> = { admin: 40_960, config: 110_592, local: 450_560 };

function adminOnly(ctx: CommandContext, command: string): void {
  if (ctx.db !== 'admin') throw new CommandError(ErrorCode.Unauthorized, `${command} may only be run against the admin database.`);
}

export const catalogCommands: CommandTable = {
  create: (cmd, ctx) => {
    const name = collectionArg(cmd, 'create');
    if (cmd.viewOn !== undefined || cmd.pipeline !== undefined) {
      if (cmd.viewOn === undefined) throw badValue("'pipeline' requires 'viewOn' to also be specified");
      createView(cmd, ctx, name);
      return { ok: 1 };
    }
    if (ctx.node.catalog.view(ctx.db, name)) throw new CommandError(ErrorCode.NamespaceExists, `Namespace ${ctx.db}.${name} already exists`);
    ctx.node.createCollection(ctx.db, name, optionsOf(cmd));
    return { ok: 1 };
  },
  drop: (cmd, ctx) => {
    const coll = collectionArg(cmd, 'drop');
    if (ctx.node.catalog.view(ctx.db, coll)) {
      ctx.node.catalog.viewDefinitions.delete(`${ctx.db}.${coll}`);
      return { ns: `${ctx.db}.${coll}`, ok: 1 };
    }
    const collection = ctx.node.catalog.get(ctx.db, coll);
    // Since 7.0 dropping a collection that does not exist succeeds (with nothing else in the reply).
    if (!collection) return { ok: 1 };
    const indexes = collection.indexes.length;
    ctx.node.dropCollection(ctx.db, coll);
    return { nIndexesWas: indexes, ns: `${ctx.db}.${coll}`, ok: 1 };
  },
  dropDatabase: (_cmd, ctx) => {
    checkDroppableDatabase(ctx.db);
    const existed = ctx.node.catalog.collections(ctx.db).length > 0;
    for (const view of ctx.node.catalog.viewsOf(ctx.db)) ctx.node.catalog.viewDefinitions.delete(`${ctx.db}.${view.name}`);
    ctx.node.dropDatabase(ctx.db);
    return existed ? { dropped: ctx.db, ok: 1 } : { ok: 1 };
  },
  renameCollection: (cmd, ctx) => {
    if (ctx.db !== 'admin') throw new CommandError(ErrorCode.Unauthorized, 'renameCollection may only be run against the admin database.');
    const split = (ns: unknown) => {
      if (typeof ns !== 'string' || !ns.includes('.')) throw new CommandError(ErrorCode.InvalidNamespace, `Invalid namespace specified '${String(ns)}'`);
      const at = ns.indexOf('.');
      return { db: ns.slice(0, at), coll: ns.slice(at + 1) };
    };
    const from = split(cmd.renameCollection);
    const to = split(cmd.to);
    if (ctx.node.catalog.view(from.db, from.coll)) throw new CommandError(166, `cannot rename view: ${from.db}.${from.coll}`);
    checkRenameNamespaces(from, to);
    ctx.node.rename(from, to, cmd.dropTarget === true);
    return { ok: 1 };
  },
  collMod: (cmd, ctx) => {
    const name = collectionArg(cmd, 'collMod');
    if (ctx.node.catalog.view(ctx.db, name)) {
      modifyView(cmd, ctx, name);
      return { ok: 1 };
    }
    ctx.node.collMod(ctx.db, name, optionsOf(cmd));
    return { ok: 1 };
  },
  listDatabases: (cmd, ctx) => {
    adminOnly(ctx, 'listDatabases');
    const names = new Set([...Object.keys(SYSTEM_DATABASES), ...ctx.node.catalog.databases.keys()]);
    let databases: Document[] = [...names].sort().map((name) => ({
      name,
      sizeOnDisk: (SYSTEM_DATABASES[name] ?? 0) + (ctx.node.catalog.databases.has(name) ? approximateSize(ctx, name) : 0),
      empty: false,
    }));
    // `authorizedDatabases` only narrows the list when auth is on; every database is visible here.
    if (cmd.filter) databases = runFind(databases, { filter: cmd.filter });
    if (cmd.nameOnly) return { databases: databases.map(({ name }) => ({ name })), ok: 1 };
    const totalSize = databases.reduce((sum, d) => sum + d.sizeOnDisk, 0);
    return { databases, totalSize, totalSizeMb: Math.floor(totalSize / 1048576), ok: 1 };
  },
  listCollections: (cmd, ctx) => {
    let infos: Document[] = ctx.node.catalog.collections(ctx.db).map((c) => ({
      name: c.name,
      type: 'collection',
      options: c.options,
      info: { readOnly: false, uuid: c.uuid },
      idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
    }));
    infos.push(...ctx.node.catalog.viewsOf(ctx.db).map(viewInfo));
    if (cmd.filter) infos = runFind(infos, { filter: cmd.filter });
    if (cmd.nameOnly) infos = infos.map(({ name, type }) => ({ name, type }));
    return firstBatch(ctx, `${ctx.db}.$cmd.listCollections`, infos, cmd.cursor?.batchSize);
  },
  createIndexes: (cmd, ctx) => {
    const coll = collectionArg(cmd, 'createIndexes');
    if (!Array.isArray(cmd.indexes) || cmd.indexes.length === 0) throw badValue('Must specify at least one index to create');
    for (const spec of cmd.indexes) validateIndexSpec(spec);
    refuseView(ctx.node.catalog, ctx.db, coll);
    const existed = !!ctx.node.catalog.get(ctx.db, coll);
    const { before, after } = ctx.node.createIndexes(ctx.db, coll, cmd.indexes);
    if (existed && before === after) return { numIndexesBefore: before, numIndexesAfter: after, note: 'all indexes already exist', ok: 1 };
    return { numIndexesBefore: before, numIndexesAfter: after, createdCollectionAutomatically: !existed, ok: 1 };
  },
  listIndexes: (cmd, ctx) => {
    const coll = collectionArg(cmd, 'listIndexes');
    refuseView(ctx.node.catalog, ctx.db, coll);
    const collection = ctx.node.catalog.get(ctx.db, coll);
    if (!collection) throw new CommandError(ErrorCode.NamespaceNotFound, `ns does not exist: ${ctx.db}.${coll}`);
    return firstBatch(ctx, `${ctx.db}.${coll}`, collection.indexes.map((i) => ({ ...i })), cmd.cursor?.batchSize);
  },
  dropIndexes: (cmd, ctx) => {
    const coll = collectionArg(cmd, 'dropIndexes');
    refuseView(ctx.node.catalog, ctx.db, coll);
    const was = ctx.node.catalog.get(ctx.db, coll)?.indexes.length ?? 0;
    ctx.node.dropIndexes(ctx.db, coll, cmd.index);
    return { nIndexesWas: was, ok: 1 };
  },
};

import { BSON, type Binary, type Document, type Timestamp } from 'bson';
import { MAX_BSON_OBJECT_SIZE } from './wire/opcodes.js';
import { LogicalClock } from './clock.js';
import { CommandError, ErrorCode } from './errors.js';
import { InsertEntry, Oplog, type OplogEntry } from './oplog.js';
import { Catalog, validateNames } from './storage/catalog.js';
import type { Collection, CollectionOptions, IndexSpec } from './storage/collection.js';
import { cloneDocument, idKey, withIdFirst } from './storage/document.js';
import { compileFilter, exactIdOf, type QueryOptions } from './storage/query.js';
import { isInt64, markInt64 } from './storage/int64.js';
import { checkValidationOptions, validateWrite } from './storage/validation.js';
import { applyUpdate, describeUpdate, isReplacement, type UpdateSpec } from './storage/update.js';

export interface UpdateStatement {
  q: Document;
  u: UpdateSpec;
  multi?: boolean;
  upsert?: boolean;
  arrayFilters?: Document[];
  /** The statement's collation and the command's `let` variables. */
  query?: QueryOptions;
  /** The command's bypassDocumentValidation. */
  bypassValidation?: boolean;
}

/** The parts a DataNode works on; a transaction passes its own (a view of the catalog, a log of its writes). */
export interface DataNodeParts {
  catalog?: Catalog;
  oplog?: Oplog;
  clock?: LogicalClock;
}

/**
 * How long superseded versions stay readable by snapshot reads and transactions (mongod's
 * minSnapshotHistoryWindowInSeconds is 300), and at most how many recent entries keep them (memory).
 */
export const SNAPSHOT_HISTORY_MS = 300_000;
export const SNAPSHOT_HISTORY_ENTRIES = 100_000;

/** An open transaction holding document locks; dropping the collection aborts it (mongod's drop would wait for it). */
export interface LockOwner {
  abort(): void;
}

export interface UpdateOutcome {
  n: number;
  nModified: number;
  upserted?: unknown;
}

/**
 * One mongod's data: the catalog, the oplog and the clock. Every write goes through here, so every write
 * gets its own cluster time and oplog entry in commit order.
 */
export class DataNode {
  readonly catalog: Catalog;
  readonly oplog: Oplog;
  readonly clock: LogicalClock;
  /** Documents written by in-progress transactions (ns → idKey → owner); other writers must not touch them. */
  readonly transactionLocks = new Map<string, Map<unknown, LockOwner>>();
  /** Absolute oplog index from which entries still carry `before` (older ones had it dropped). */
  private historyFrom = 0;
  private readonly historyPins = new Set<{ index: number }>();
  private logged = 0;

  constructor(oplogEntries: number, parts: DataNodeParts = {}) {
    this.catalog = parts.catalog ?? new Catalog();
    this.oplog = parts.oplog ?? new Oplog(oplogEntries);
    this.clock = parts.clock ?? new LogicalClock();
  }

  private log(entry: Omit<OplogEntry, 'ts' | 'wallTime'>): Timestamp {
    const ts = this.clock.tick();
    this.oplog.append({ ts, wallTime: this.wallTime(), ...entry });
    if ((++this.logged & 1023) === 0) this.trimHistory();
    return ts;
  }

  /** Drops superseded versions older than the snapshot history window, never past a pinned snapshot. */
  private trimHistory(): void {
    const { oplog } = this;
    let limit = oplog.end - SNAPSHOT_HISTORY_ENTRIES;
    for (const pin of this.historyPins) limit = Math.min(limit, pin.index);
    const oldest = Date.now() - SNAPSHOT_HISTORY_MS;
    let at = Math.max(this.historyFrom, oplog.start);
    while (at < oplog.end && (at < limit || oplog.wallMsAt(at) < oldest)) at++;
    oplog.dropHistoryBefore(at);
    this.historyFrom = at;
  }

  /** Whether every write after `ts` can still be undone (a snapshot at `ts` can be read). */
  historyCovers(ts: Timestamp): boolean {
    if (this.oplog.isLost(ts)) return false;
    return this.oplog.indexAfter(ts) >= this.historyFrom;
  }

  /** Keeps the history after `ts` until released (a transaction reading at `ts`). */
  pinHistory(ts: Timestamp): () => void {
    const pin = { index: this.oplog.indexAfter(ts) };
    this.historyPins.add(pin);
    return () => void this.historyPins.delete(pin);
  }

  /** Open transactions that wrote in `ns` are aborted (they hold no lock past this). */
  private abortTransactionsOn(ns: string): void {
    const locks = this.transactionLocks.get(ns);
    if (locks) for (const owner of new Set(locks.values())) owner.abort();
  }

  /** Refuses a write outside a transaction to a document an in-progress transaction has written. */
  private checkUnlocked(collection: Collection, id: unknown): void {
    if (this.transactionLocks.get(collection.ns)?.has(idKey(id))) throw writeConflict();
  }

  /**
   * Logs a committed transaction as mongod does: one applyOps entry, one cluster time for all its writes,
   * carrying the session (lsid) and txnNumber that change events report.
   */
  logTransaction(ops: OplogEntry[], lsid: Document, txnNumber: number): Timestamp {
    const ts = this.clock.tick();
    const wallTime = this.wallTime();
    for (const op of ops) {
      op.ts = ts;
      op.wallTime = wallTime;
      op.lsid = lsid;
      op.txnNumber = txnNumber;
    }
    this.oplog.append({ ts, wallTime, op: 'applyOps', db: 'admin', ops, lsid, txnNumber });
    return ts;
  }

  private lastWallTime = new Date(0);

  /** Entries written in the same millisecond share one (never mutated) Date: a bulk insert allocates one. */
  private wallTime(): Date {
    const now = Date.now();
    if (now !== this.lastWallTime.getTime()) this.lastWallTime = new Date(now);
    return this.lastWallTime;
  }

  /**
   * The primary shard's record of a shardCollection (mongod logs it as a no-op whose o2 holds the command's
   * options; change streams show it as a `shardCollection` event under showExpandedEvents).
   */
  logShardCollection(db: string, coll: string, collectionUUID: Binary, operationDescription: Document): Timestamp {
    return this.log({ op: 'shardCollection', db, coll, collectionUUID, operationDescription });
  }

  /**
   * A view's creation, as mongod 7.0 logs it: a `create` whose description is the view's definition (no
   * collection UUID); only database and cluster streams with showExpandedEvents report it.
   */
  logCreateView(db: string, name: string, definition: Document): Timestamp {
    return this.log({ op: 'create', db, coll: name, operationDescription: definition, onView: true });
  }

  /** A no-op that only moves this node's clock (MongoDB's periodic no-op writer does the same). */
  noop(): Timestamp {
    return this.log({ op: 'noop', db: 'admin' });
  }

  ensureCollection(db: string, coll: string, options?: CollectionOptions): Collection {
    const existing = this.catalog.get(db, coll); // every insert comes here: no allocation on this path
    if (existing) return existing;
    const { collection, created } = this.catalog.ensure(db, coll, options);
    if (created) {
      this.log({ op: 'create', db, coll, collectionUUID: collection.uuid, operationDescription: { idIndex: { v: 2, key: { _id: 1 }, name: '_id_' } } });
    }
    return collection;
  }

  createCollection(db: string, coll: string, options: CollectionOptions): void {
    validateNames(db, coll);
    checkValidationOptions(options);
    if (this.catalog.get(db, coll)) throw new CommandError(ErrorCode.NamespaceExists, `Collection ${db}.${coll} already exists.`);
    this.ensureCollection(db, coll, options);
  }

  insert(db: string, coll: string, doc: Document, bypassValidation = false): void {
    const collection = this.ensureCollection(db, coll);
    const stored = withIdFirst(doc);
    if (stored._id === undefined || Array.isArray(stored._id)) throw new CommandError(ErrorCode.BadValue, `can't use an array for _id`);
    if (hasDollarField(stored._id)) throw new CommandError(53, `_id fields may not contain '$'-prefixed fields: ${Object.keys(stored._id as Document).find((k) => k.startsWith('$'))} is not valid for storage.`, [], { codeName: 'InvalidIdField' });
    if (this.transactionLocks.size !== 0) this.checkUnlocked(collection, stored._id);
    if (collection.validation !== undefined && !bypassValidation) validateWrite(collection.validation, stored);
    collection.insert(stored);
    // The hot path of every load: one object per entry, sharing the wall-clock Date.
    this.oplog.append(new InsertEntry(this.clock.tick(), this.wallTime(), db, coll, collection.uuid, stored));
  }

  /** Documents matching a filter, in natural order, stopping after `limit` (0 = all). */
  *match(collection: Collection, filter: Document | undefined, limit = 0, query?: QueryOptions): Generator<Document> {
    const id = query?.collation || query?.variables ? undefined : exactIdOf(filter);
    if (id !== undefined) {
      const doc = collection.get(id);
      if (doc) yield doc;
      return;
    }
    const test = compileFilter(filter, query);
    let found = 0;
    for (const doc of collection.docs.values()) {
      if (!test(doc)) continue;
      yield doc;
      if (++found === limit) return;
    }
  }

  update(db: string, coll: string, stmt: UpdateStatement): UpdateOutcome {
    const existing = this.catalog.get(db, coll);
    if (stmt.multi && isReplacement(stmt.u)) throw new CommandError(ErrorCode.FailedToParse, 'multi update is not supported for replacement-style update');
    const targets = existing ? [...this.match(existing, stmt.q, stmt.multi ? 0 : 1, stmt.query)] : [];
    if (targets.length === 0) return stmt.upsert ? this.upsert(db, coll, stmt) : { n: 0, nModified: 0 };
    let nModified = 0;
    for (const before of targets) {
      const after = applyUpdate(before, stmt.u, stmt.arrayFilters, stmt.query?.variables);
      if (this.writeNewVersion(existing!, before, after, isReplacement(stmt.u) ? 'replace' : 'update', stmt.u, stmt.bypassValidation)) nModified++;
    }
    return { n: targets.length, nModified };
  }

  /** Stores `after` in place of `before`; false when nothing changed (MongoDB then writes no oplog entry). */
  writeNewVersion(collection: Collection, before: Document, after: Document, op: 'update' | 'replace', spec?: UpdateSpec, bypassValidation = false): boolean {
    const description = describeUpdate(before, after, spec);
    const unchanged = Object.keys(description.updatedFields).length === 0 && description.removedFields.length === 0
      && description.truncatedArrays.length === 0 && Object.keys(before).join() === Object.keys(after).join();
    if (unchanged) return false;
    if (BSON.calculateObjectSize(after) > MAX_BSON_OBJECT_SIZE) throw new CommandError(17419, `Resulting document after update is larger than ${MAX_BSON_OBJECT_SIZE}`);
    if (collection.validation !== undefined && !bypassValidation) validateWrite(collection.validation, after, before);
    if (this.transactionLocks.size !== 0) this.checkUnlocked(collection, before._id);
    collection.replace(before, after);
    const keepImages = collection.prePostImages;
    this.log({
      op,
      db: collection.db,
      coll: collection.name,
      collectionUUID: collection.uuid,
      documentKey: { _id: before._id },
      updateDescription: op === 'update' ? description : undefined,
      postImage: op === 'replace' || keepImages ? after : undefined,
      preImage: keepImages ? before : undefined,
      before,
    });
    return true;
  }

  private upsert(db: string, coll: string, stmt: UpdateStatement): UpdateOutcome {
    const seed = isReplacement(stmt.u) ? {} : equalityFields(stmt.q);
    let doc: Document;
    if (isReplacement(stmt.u)) {
      const { _id, ...rest } = stmt.u as Document;
      // A replacement's own _id wins, even null (`'_id' in` rather than `??`).
      doc = { _id: '_id' in (stmt.u as Document) ? _id : seed._id ?? equalityFields(stmt.q)._id, ...cloneDocument(rest) };
      if (doc._id === undefined) delete doc._id;
    } else {
      doc = applyUpdate(seed, stmt.u, stmt.arrayFilters, stmt.query?.variables);
      const onInsert = (stmt.u as Document).$setOnInsert ?? {};
      for (const [key, value] of Object.entries(onInsert)) {
        doc[key] = value;
        if (isInt64(onInsert, key)) markInt64(doc, key);
      }
    }
    const stored = withIdFirst(doc);
    if (BSON.calculateObjectSize(stored) > MAX_BSON_OBJECT_SIZE) throw new CommandError(17420, `Document to upsert is larger than ${MAX_BSON_OBJECT_SIZE}`);
    this.insert(db, coll, stored, stmt.bypassValidation);
    return { n: 1, nModified: 0, upserted: stored._id };
  }

  delete(db: string, coll: string, filter: Document, limit: number, query?: QueryOptions): number {
    const collection = this.catalog.get(db, coll);
    if (!collection) return 0;
    const victims = [...this.match(collection, filter, limit === 1 ? 1 : 0, query)];
    for (const doc of victims) this.deleteDocument(collection, doc);
    return victims.length;
  }

  deleteDocument(collection: Collection, doc: Document): void {
    if (this.transactionLocks.size !== 0) this.checkUnlocked(collection, doc._id);
    collection.remove(doc._id);
    this.log({
      op: 'delete',
      db: collection.db,
      coll: collection.name,
      collectionUUID: collection.uuid,
      documentKey: { _id: doc._id },
      preImage: collection.prePostImages ? doc : undefined,
      before: doc,
    });
  }

  dropCollection(db: string, coll: string): boolean {
    const collection = this.catalog.get(db, coll);
    if (!collection) return false;
    this.abortTransactionsOn(collection.ns);
    this.catalog.drop(db, coll);
    this.log({ op: 'drop', db, coll, collectionUUID: collection.uuid });
    return true;
  }

  dropDatabase(db: string): void {
    const colls = this.catalog.collections(db);
    if (colls.length === 0) return;
    for (const c of colls) this.dropCollection(db, c.name);
    this.log({ op: 'dropDatabase', db });
  }

  rename(from: { db: string; coll: string }, to: { db: string; coll: string }, dropTarget: boolean): void {
    const source = this.catalog.get(from.db, from.coll);
    if (!source) throw new CommandError(ErrorCode.NamespaceNotFound, 'source namespace does not exist');
    this.abortTransactionsOn(source.ns);
    this.abortTransactionsOn(`${to.db}.${to.coll}`);
    validateNames(to.db, to.coll);
    const target = this.catalog.get(to.db, to.coll);
    if (target) {
      if (!dropTarget) throw new CommandError(ErrorCode.NamespaceExists, 'target namespace exists');
      // As mongod: the dropped target is recorded in the rename's oplog entry (dropTarget: its UUID), not as a drop.
      this.catalog.drop(to.db, to.coll);
    }
    this.catalog.drop(from.db, from.coll);
    this.catalog.attach(source, to.db, to.coll);
    this.log({
      op: 'rename', db: from.db, coll: from.coll, collectionUUID: source.uuid, to,
      operationDescription: target ? { to, dropTarget: target.uuid } : { to },
    });
  }

  createIndexes(db: string, coll: string, specs: IndexSpec[]): { before: number; after: number; created: boolean } {
    const collection = this.ensureCollection(db, coll);
    const before = collection.indexes.length;
    for (const spec of specs) {
      const clash = collection.indexes.find((i) => i.name === spec.name);
      if (clash) {
        if (JSON.stringify(clash.key) !== JSON.stringify(spec.key)) {
          throw new CommandError(86, `An existing index has the same name as the requested index. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(clash)}`);
        }
        continue;
      }
      collection.indexes.push(normalizedIndexSpec(spec));
      this.log({ op: 'createIndexes', db, coll, collectionUUID: collection.uuid, operationDescription: { indexes: [normalizedIndexSpec(spec)] } });
    }
    return { before, after: collection.indexes.length, created: collection.indexes.length > before };
  }

  dropIndexes(db: string, coll: string, which: string | Document | string[]): void {
    const collection = this.catalog.get(db, coll);
    if (!collection) throw new CommandError(ErrorCode.NamespaceNotFound, `ns not found ${db}.${coll}`);
    const names = which === '*' ? collection.indexes.filter((i) => i.name !== '_id_').map((i) => i.name)
      : Array.isArray(which) ? which
      : typeof which === 'string' ? [which]
      : collection.indexes.filter((i) => JSON.stringify(i.key) === JSON.stringify(which)).map((i) => i.name);
    for (const name of names) {
      if (name === '_id_') throw new CommandError(72, 'cannot drop _id index');
      const at = collection.indexes.findIndex((i) => i.name === name);
      if (at < 0) throw new CommandError(27, `index not found with name [${name}]`);
      const [spec] = collection.indexes.splice(at, 1);
      this.log({ op: 'dropIndexes', db, coll, collectionUUID: collection.uuid, operationDescription: { indexes: [spec] } });
    }
  }

  collMod(db: string, coll: string, changes: CollectionOptions): void {
    const collection = this.catalog.get(db, coll);
    if (!collection) throw new CommandError(ErrorCode.NamespaceNotFound, `ns does not exist: ${db}.${coll}`);
    checkValidationOptions(changes);
    const old = { ...collection.options };
    collection.options = { ...collection.options, ...changes };
    this.log({ op: 'modify', db, coll, collectionUUID: collection.uuid, operationDescription: { ...changes }, preImage: old });
  }
}

/** WriteConflict (112): mongod's answer when two writers race for one document inside a transaction. */
export function writeConflict(): CommandError {
  return new CommandError(ErrorCode.WriteConflict, 'Write conflict during plan execution and yielding is disabled. :: Please retry your operation or multi-document transaction.');
}

/** An index spec as mongod stores and lists it: `v`, `key`, `name` first, then the options in the order given. */
function normalizedIndexSpec(spec: IndexSpec): IndexSpec {
  const { v, key, name, ...options } = spec;
  return { v: v ?? 2, key, name, ...options };
}

/** The equality parts of a filter, which an upsert copies into the new document. */
function equalityFields(filter: Document): Document {
  const seed: Document = {};
  for (const [key, value] of Object.entries(filter ?? {})) {
    if (key.startsWith('$')) {
      if (key === '$and' && Array.isArray(value)) for (const part of value) Object.assign(seed, equalityFields(part));
      continue;
    }
    if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).some((k) => k.startsWith('$'))) {
      if ('$eq' in value) {
        seed[key] = value.$eq;
        if (isInt64(value, '$eq')) markInt64(seed, key);
      }
      continue;
    }
    if (!key.includes('.')) {
      seed[key] = cloneDocument(value);
      if (isInt64(filter, key)) markInt64(seed, key);
    }
  }
  return seed;
}

/** An embedded document in `_id` with a `$`-prefixed field (mongod refuses to store it, InvalidIdField). */
function hasDollarField(id: unknown): boolean {
  if (id === null || typeof id !== 'object' || (id as { _bsontype?: string })._bsontype || id instanceof Date) return false;
  return Object.keys(id as Document).some((k) => k.startsWith('$'));
}

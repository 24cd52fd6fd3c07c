import { UUID, type Binary, type Document, type Timestamp } from 'bson';
import { DataNode, writeConflict } from '../data-node.js';
import { CommandError, ErrorCode } from '../errors.js';
import { Oplog, type OplogEntry } from '../oplog.js';
import { Catalog, validateNames } from '../storage/catalog.js';
import { Collection, type CollectionOptions, type IndexSpec } from '../storage/collection.js';
import { idKey } from '../storage/document.js';

const DOCUMENT_OPS = new Set(['insert', 'update', 'replace', 'delete']);

/** Who may write through a view, and what a write must not break (a transaction's document locks). */
export interface ViewWriter {
  /** Called before the view's own write of `key` in `ns`; throws WriteConflict when another writer holds it. */
  lock(ns: string, key: unknown): void;
}

/**
 * The documents of one collection as of a cluster time, as a Map: the live documents, with every key
 * written since that time replaced by its value then (from the oplog's `before` images), plus the view's
 * own writes on top (a transaction's). Kept current with the oplog as it grows, so the view never moves.
 */
export class SnapshotDocs implements Map<unknown, Document> {
  /** Keys written since the snapshot, with their value at it (null: absent then). First write wins. */
  private readonly undo = new Map<unknown, Document | null>();
  /** The view's own writes (null: deleted). */
  readonly own = new Map<unknown, Document | null>();
  private position: number;

  constructor(
    private readonly oplog: Oplog,
    readTs: Timestamp,
    readonly ns: string,
    private readonly live: () => Collection | undefined,
    private readonly writer?: ViewWriter,
  ) {
    this.position = oplog.indexAfter(readTs);
  }

  /** Takes in what was logged since the last look: the first write of a key after the snapshot says its value then. */
  private catchUp(): void {
    const { oplog } = this;
    if (this.position === oplog.end) return;
    for (; this.position < oplog.end; this.position++) {
      const entry = oplog.at(this.position);
      if (!entry) throw snapshotTooOld();
      if (entry.op === 'applyOps') for (const op of entry.ops ?? []) this.consider(op);
      else this.consider(entry);
    }
  }

  private consider(entry: OplogEntry): void {
    if (!DOCUMENT_OPS.has(entry.op) || entry.coll === undefined || `${entry.db}.${entry.coll}` !== this.ns) return;
    const key = idKey(entry.documentKey!._id);
    if (this.undo.has(key)) return;
    if (entry.op === 'insert') {
      this.undo.set(key, null);
      return;
    }
    if (entry.before === undefined) throw snapshotTooOld();
    this.undo.set(key, entry.before);
  }

  /** Whether a committed write changed `key` after the snapshot (a transaction writing it conflicts). */
  changedSinceSnapshot(key: unknown): boolean {
    this.catchUp();
    return this.undo.has(key);
  }

  get(key: unknown): Document | undefined {
    if (this.own.has(key)) return this.own.get(key) ?? undefined;
    this.catchUp();
    if (this.undo.has(key)) return this.undo.get(key) ?? undefined;
    return this.live()?.docs.get(key);
  }

  has(key: unknown): boolean {
    return this.get(key) !== undefined;
  }

  set(key: unknown, doc: Document): this {
    this.write(key, doc);
    return this;
  }

  delete(key: unknown): boolean {
    const existed = this.has(key);
    if (existed) this.write(key, null);
    return existed;
  }

  private write(key: unknown, doc: Document | null): void {
    if (!this.writer) throw new CommandError(ErrorCode.IllegalOperation, 'a snapshot read cannot write');
    if (!this.own.has(key)) {
      if (this.changedSinceSnapshot(key)) throw writeConflict();
      this.writer.lock(this.ns, key);
    }
    this.own.set(key, doc);
  }

  clear(): void {
    throw new CommandError(ErrorCode.IllegalOperation, 'a snapshot view cannot be cleared');
  }

  *entries(): MapIterator<[unknown, Document]> {
    this.catchUp();
    const live = this.live()?.docs;
    if (live) {
      for (const [key, doc] of live) {
        if (this.position !== this.oplog.end) this.catchUp(); // a long scan that yielded sees no later write
        const mine = this.own.has(key) ? this.own.get(key) : this.undo.has(key) ? this.undo.get(key) : doc;
        if (mine) yield [key, mine];
      }
    }
    for (const [key, then] of this.undo) if (then && !live?.has(key) && !this.own.has(key)) yield [key, then];
    for (const [key, mine] of this.own) if (mine && !live?.has(key)) yield [key, mine];
  }

  *keys(): MapIterator<unknown> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): MapIterator<Document> {
    for (const [, doc] of this.entries()) yield doc;
  }

  [Symbol.iterator](): MapIterator<[unknown, Document]> {
    return this.entries();
  }

  forEach(callback: (value: Document, key: unknown, map: Map<unknown, Document>) => void): void {
    for (const [key, doc] of this.entries()) callback(doc, key, this);
  }

  get size(): number {
    let n = 0;
    for (const _ of this.entries()) n++;
    return n;
  }

  get [Symbol.toStringTag](): string {
    return 'SnapshotDocs';
  }
}

/** A collection seen through a snapshot: same name, UUID, options and indexes; documents as of the snapshot. */
export class SnapshotCollection extends Collection {
  // Own fields (not the base's): with ES2022 class fields these are redefined after super() anyway.
  override readonly docs: SnapshotDocs;
  override readonly uuid: Binary;
  override readonly indexes: IndexSpec[];

  constructor(readonly source: Collection | undefined, db: string, name: string, docs: SnapshotDocs, options?: CollectionOptions) {
    super(db, name, source?.options ?? options ?? {});
    this.docs = docs;
    this.uuid = source?.uuid ?? new UUID().toBinary();
    this.indexes = source?.indexes ?? [{ v: 2, key: { _id: 1 }, name: '_id_' }];
  }
}

/**
 * The catalog as of a cluster time: each collection a SnapshotCollection. With a writer (a transaction),
 * writes land in the views and collections created here exist only here until the writer applies them.
 */
export class SnapshotCatalog extends Catalog {
  private readonly views = new Map<string, SnapshotCollection>();

  constructor(private readonly node: DataNode, readonly readTs: Timestamp, private readonly writer?: ViewWriter) {
    super();
  }

  override view(db: string, name: string) {
    return this.node.catalog.view(db, name);
  }

  override viewsOf(db: string) {
    return this.node.catalog.viewsOf(db);
  }

  override get(db: string, coll: string): SnapshotCollection | undefined {
    const ns = `${db}.${coll}`;
    const known = this.views.get(ns);
    if (known) return known;
    const live = this.node.catalog.get(db, coll);
    if (!live) return undefined;
    return this.open(db, coll, live);
  }

  private open(db: string, coll: string, live: Collection | undefined, options?: CollectionOptions): SnapshotCollection {
    const ns = `${db}.${coll}`;
    const docs = new SnapshotDocs(this.node.oplog, this.readTs, ns, () => this.node.catalog.get(db, coll), this.writer);
    const view = new SnapshotCollection(live, db, coll, docs, options);
    this.views.set(ns, view);
    return view;
  }

  override ensure(db: string, coll: string, options?: CollectionOptions): { collection: Collection; created: boolean } {
    const existing = this.get(db, coll);
    if (existing) return { collection: existing, created: false };
    if (!this.writer) throw new CommandError(ErrorCode.IllegalOperation, 'a snapshot read cannot create a collection');
    validateNames(db, coll);
    return { collection: this.open(db, coll, undefined, options), created: true };
  }

  override collections(db: string): Collection[] {
    const names = new Set([...this.node.catalog.collections(db).map((c) => c.name)]);
    for (const view of this.views.values()) if (view.db === db) names.add(view.name);
    return [...names].map((name) => this.get(db, name)).filter((c): c is SnapshotCollection => c !== undefined);
  }

  override drop(): boolean {
    throw new CommandError(ErrorCode.OperationNotSupportedInTransaction, 'Cannot drop a collection in a multi-document transaction.');
  }

  override attach(): Collection {
    throw new CommandError(ErrorCode.OperationNotSupportedInTransaction, 'Cannot rename a collection in a multi-document transaction.');
  }

  /** The views this catalog opened, for a transaction applying its writes. */
  opened(): SnapshotCollection[] {
    return [...this.views.values()];
  }
}

/** A read-only node answering as of `readTs` (snapshot read concern outside a transaction). */
export function snapshotNode(node: DataNode, readTs: Timestamp): DataNode {
  if (!node.historyCovers(readTs)) throw snapshotTooOld(readTs);
  return new DataNode(0, { catalog: new SnapshotCatalog(node, readTs), oplog: node.oplog, clock: node.clock });
}

export function snapshotTooOld(ts?: Timestamp): CommandError {
  const at = ts ? ` Timestamp(${ts.t}, ${ts.i})` : '';
  return new CommandError(ErrorCode.SnapshotTooOld, `Read timestamp${at} is older than the oldest available timestamp.`);
}

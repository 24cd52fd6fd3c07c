import type { Document, Timestamp } from 'bson';
import { LogicalClock } from '../clock.js';
import { DataNode, writeConflict } from '../data-node.js';
import { Oplog, type OplogEntry } from '../oplog.js';
import { SnapshotCatalog } from './snapshot.js';

/** mongod's transactionLifetimeLimitSeconds: an open transaction older than this is aborted. */
export const TRANSACTION_LIFETIME_MS = 60_000;

/** Collects a transaction's writes instead of logging them: they reach the oplog together at commit. */
class TransactionLog extends Oplog {
  readonly writes: OplogEntry[] = [];

  constructor() {
    super(1, 1); // never stores an entry: the smallest store
  }

  override append(entry: OplogEntry): void {
    this.writes.push(entry);
  }
}

export type TransactionState = 'inProgress' | 'committed' | 'aborted';

/** What sessions and commands need of a transaction, on a replica-set member or on a router. */
export interface OpenTransaction {
  /** The data the command handlers of this transaction work on. */
  readonly node: DataNode;
  readonly state: TransactionState;
  readonly expired: boolean;
  /** Applies every write; the cluster time they became visible at (undefined: nothing written). */
  commit(): Timestamp | undefined;
  abort(): void;
  /** On a router: this transaction's view of one shard's data (the shard takes part from then on). */
  on?(shard: number): DataNode;
  /** On a router: what a mongos returns with each statement, for commit/abort retried on another router. */
  recoveryToken?(): Document | undefined;
}

/**
 * One multi-document transaction: reads see the data as of `readTs` plus its own writes; writes are
 * held (and the documents locked against other writers) until commit applies them all at one cluster
 * time, as one applyOps oplog entry. A document another writer committed after `readTs`, or one another
 * open transaction wrote, is a WriteConflict.
 */
export class Transaction implements OpenTransaction {
  /** What the command handlers of this transaction work on: a DataNode over the snapshot catalog. */
  readonly node: DataNode;
  state: TransactionState = 'inProgress';
  readonly startedAt = Date.now();
  private readonly catalog: SnapshotCatalog;
  private readonly log = new TransactionLog();
  private readonly locked: { ns: string; key: unknown }[] = [];
  private readonly releaseHistory: () => void;

  constructor(private readonly base: DataNode, readonly lsid: Document, readonly txnNumber: number, readonly readTs: Timestamp) {
    this.releaseHistory = base.pinHistory(readTs);
    this.catalog = new SnapshotCatalog(base, readTs, { lock: (ns, key) => this.lock(ns, key) });
    this.node = new DataNode(0, { catalog: this.catalog, oplog: this.log, clock: new LogicalClock() });
  }

  private lock(ns: string, key: unknown): void {
    let keys = this.base.transactionLocks.get(ns);
    const owner = keys?.get(key);
    if (owner === this) return;
    if (owner !== undefined) throw writeConflict();
    if (!keys) this.base.transactionLocks.set(ns, (keys = new Map()));
    keys.set(key, this);
    this.locked.push({ ns, key });
  }

  get expired(): boolean {
    return this.state === 'inProgress' && Date.now() - this.startedAt > TRANSACTION_LIFETIME_MS;
  }

  get hasWrites(): boolean {
    return this.log.writes.length > 0;
  }

  /** Applies every write and logs them as one entry; the time they became visible (undefined: read-only). */
  commit(): Timestamp | undefined {
    if (this.state !== 'inProgress') return undefined;
    let ts: Timestamp | undefined;
    if (this.log.writes.length > 0) {
      for (const view of this.catalog.opened()) {
        if (view.docs.own.size === 0 && view.source) continue;
        const live = view.source ? this.base.catalog.get(view.db, view.name) : undefined;
        if (!live) {
          // Created in this transaction: it appears with its documents, indexes and UUID at commit.
          if (!this.base.catalog.get(view.db, view.name)) this.base.catalog.attach(view, view.db, view.name);
          continue;
        }
        for (const [key, doc] of view.docs.own) {
          if (doc === null) live.docs.delete(key);
          else live.docs.set(key, doc);
        }
      }
      ts = this.base.logTransaction(this.log.writes, { id: this.lsid.id, uid: this.lsid.uid }, this.txnNumber);
    }
    this.finish('committed');
    return ts;
  }

  abort(): void {
    if (this.state !== 'inProgress') return;
    this.finish('aborted');
  }

  private finish(state: TransactionState): void {
    this.state = state;
    for (const { ns, key } of this.locked) {
      const keys = this.base.transactionLocks.get(ns);
      if (keys?.get(key) !== this) continue;
      keys.delete(key);
      if (keys.size === 0) this.base.transactionLocks.delete(ns);
    }
    this.locked.length = 0;
    this.releaseHistory();
  }
}

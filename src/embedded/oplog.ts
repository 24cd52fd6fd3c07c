import type { Binary, Document, Timestamp } from 'bson';
import { compareTimestamps } from './clock.js';

export type OplogOp =
  | 'insert' | 'update' | 'replace' | 'delete'
  | 'drop' | 'rename' | 'dropDatabase'
  | 'create' | 'createIndexes' | 'dropIndexes' | 'modify' | 'shardCollection'
  | 'noop';

/** What a committed write left behind; change events are built from these on delivery. */
export interface OplogEntry {
  ts: Timestamp;
  wallTime: Date;
  op: OplogOp;
  db: string;
  coll?: string;
  collectionUUID?: Binary;
  documentKey?: Document;
  /** The document after the write (insert, replace; update when post-images are kept). */
  postImage?: Document;
  /** The document before the write, kept only for collections with pre-images enabled. */
  preImage?: Document;
  /** disambiguatedPaths is shown only to streams opened with showExpandedEvents. */
  updateDescription?: { updatedFields: Document; removedFields: string[]; truncatedArrays: Document[]; disambiguatedPaths?: Document };
  to?: { db: string; coll: string };
  operationDescription?: Document;
  lsid?: Document;
  txnNumber?: number;
}

/**
 * The node's oplog: a bounded, time-ordered log of entries. Readers hold a position (the ts of the last
 * entry they consumed) and are woken the moment an entry is appended, so a waiting getMore answers at once.
 */
export class Oplog {
  // entries[i] has absolute index base + i; absolute indexes stay valid across compaction.
  private entries: OplogEntry[] = [];
  private base = 0;
  private head = 0;
  private waiters = new Set<() => void>();
  /** Set once entries have been dropped: older positions can no longer be resumed from. */
  truncatedBefore: Timestamp | undefined;

  constructor(public maxEntries: number) {}

  append(entry: OplogEntry): void {
    this.entries.push(entry);
    if (this.end - this.head > this.maxEntries) this.trim();
    if (this.waiters.size > 0) {
      const woken = [...this.waiters];
      this.waiters.clear();
      for (const wake of woken) wake();
    }
  }

  private trim(): void {
    this.head = this.end - this.maxEntries;
    this.truncatedBefore = this.entries[this.head - this.base].ts;
    const dead = this.head - this.base;
    // Compact occasionally so trimming stays O(1) amortised and dropped entries can be collected.
    if (dead > 4096 && dead > this.entries.length / 2) {
      this.entries = this.entries.slice(dead);
      this.base = this.head;
    } else {
      this.entries[dead - 1] = undefined as unknown as OplogEntry;
    }
  }

  get size(): number {
    return this.end - this.head;
  }

  get oldest(): OplogEntry | undefined {
    return this.at(this.head);
  }

  get newest(): OplogEntry | undefined {
    return this.at(this.end - 1);
  }

  /** Whether a position at `ts` has fallen off the log. */
  isLost(ts: Timestamp): boolean {
    return this.truncatedBefore !== undefined && compareTimestamps(ts, this.truncatedBefore) < 0;
  }

  /** Absolute index of the first entry with ts after `ts` (or at it, when inclusive). */
  indexAfter(ts: Timestamp, inclusive = false): number {
    let lo = this.head;
    let hi = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareTimestamps(this.entries[mid - this.base].ts, ts);
      if (c < 0 || (c === 0 && !inclusive)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The entry at an absolute index, or undefined once it has been trimmed (or not yet written). */
  at(index: number): OplogEntry | undefined {
    return index >= this.head && index < this.end ? this.entries[index - this.base] : undefined;
  }

  /** Absolute index one past the newest entry. */
  get end(): number {
    return this.base + this.entries.length;
  }

  /** Absolute index of the oldest retained entry. */
  get start(): number {
    return this.head;
  }

  /** Resolves at the next append or after `ms`, whichever is first; `signal` ends the wait early too. */
  waitForAppend(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

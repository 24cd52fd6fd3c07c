import type { Binary, Document, Timestamp } from 'bson';
import { compareTimestamps } from './clock.js';
import { OplogStore } from './oplog-store.js';

export { InsertEntry } from './oplog-store.js';

export type OplogOp =
  | 'insert' | 'update' | 'replace' | 'delete'
  | 'drop' | 'rename' | 'dropDatabase'
  | 'create' | 'createIndexes' | 'dropIndexes' | 'modify' | 'shardCollection'
  | 'applyOps'
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
  /**
   * The version an update, replace or delete superseded, whatever the collection's options: what snapshot
   * reads at an earlier time see. Dropped once older than the snapshot history window (see DataNode).
   */
  before?: Document;
  /** A committed transaction's writes, in order, all at this entry's ts (op 'applyOps', as mongod logs it). */
  ops?: OplogEntry[];
  /** disambiguatedPaths is shown only to streams opened with showExpandedEvents. */
  updateDescription?: { updatedFields: Document; removedFields: string[]; truncatedArrays: Document[]; disambiguatedPaths?: Document };
  to?: { db: string; coll: string };
  operationDescription?: Document;
  lsid?: Document;
  txnNumber?: number;
  /** A DDL entry about a view (its creation): collection-level streams never see it. */
  onView?: boolean;
}

/** One reader waiting for the next append (a getMore with nothing to return yet). */
interface Waiter {
  deadline: number;
  resolve: () => void;
  done: boolean;
  signals: readonly AbortSignal[];
  onAbort: () => void;
}

/**
 * The node's oplog: a bounded, time-ordered log of entries. Readers hold a position (the ts of the last
 * entry they consumed) and are woken the moment an entry is appended, so a waiting getMore answers at once.
 */
export class Oplog {
  /** the entries, by absolute index (indexes stay valid as old entries are dropped) */
  private readonly store: OplogStore;
  /**
   * Waiting readers in deadline order (awaitData getMores mostly share one maxTimeMS, so a new one goes
   * last). An append wakes them all in one pass; one timer, for the earliest deadline, ends the others:
   * 1,000 waiting streams cost one timer, not 1,000 set and cleared at every commit.
   */
  private waiting: Waiter[] = [];
  /** waiting[0..expired) already ended (timed out or aborted) and are skipped. */
  private expired = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  /** Set once entries have been dropped: older positions can no longer be resumed from. */
  truncatedBefore: Timestamp | undefined;

  /** `hotEntries`: see OplogStore */
  constructor(public maxEntries: number, hotEntries?: number) {
    this.store = new OplogStore(hotEntries);
  }

  append(entry: OplogEntry): void {
    this.store.append(entry);
    if (this.end - this.start > this.maxEntries) this.trim();
    if (this.waiting.length > this.expired) {
      const woken = this.waiting;
      const from = this.expired;
      this.waiting = [];
      this.expired = 0;
      this.clearTimer();
      for (let k = from; k < woken.length; k++) finish(woken[k]!);
    }
  }

  private trim(): void {
    const head = this.end - this.maxEntries;
    this.truncatedBefore = this.store.timestampAt(head);
    this.store.trimTo(head);
  }

  get size(): number {
    return this.end - this.start;
  }

  get oldest(): OplogEntry | undefined {
    return this.at(this.start);
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
    let lo = this.start;
    let hi = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareTimestamps(this.store.tsAt(mid) as Timestamp, ts);
      if (c < 0 || (c === 0 && !inclusive)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The entry at an absolute index, or undefined once it has been trimmed (or not yet written). Entries
   * older than the newest few thousand are unpacked copies: never modify one.
   */
  at(index: number): OplogEntry | undefined {
    return this.store.at(index);
  }

  /** The wall time of the entry at an absolute index (between start and end), ms. */
  wallMsAt(index: number): number {
    return this.store.wallMsAt(index);
  }

  /** Entries before `index` no longer carry the version they superseded (`before`). */
  dropHistoryBefore(index: number): void {
    this.store.dropHistoryBefore(index);
  }

  /** Absolute index one past the newest entry. */
  get end(): number {
    return this.store.end;
  }

  /** Absolute index of the oldest retained entry. */
  get start(): number {
    return this.store.head;
  }

  /** Resolves at the next append or after `ms`, whichever is first; an aborted signal ends the wait early too. */
  waitForAppend(ms: number, signal?: AbortSignal | readonly AbortSignal[]): Promise<void> {
    const signals = signal === undefined ? [] : Array.isArray(signal) ? signal : [signal as AbortSignal];
    if (signals.some((s) => s.aborted)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter: Waiter = { deadline: performance.now() + ms, resolve, done: false, signals, onAbort: () => finish(waiter) };
      for (const s of signals) s.addEventListener('abort', waiter.onAbort, { once: true });
      this.enqueue(waiter);
    });
  }

  private enqueue(waiter: Waiter): void {
    const list = this.waiting;
    let at = list.length;
    if (at > this.expired && list[at - 1]!.deadline > waiter.deadline) {
      let lo = this.expired;
      while (lo < at) {
        const mid = (lo + at) >>> 1;
        if (list[mid]!.deadline <= waiter.deadline) lo = mid + 1;
        else at = mid;
      }
      list.splice(at, 0, waiter);
    } else {
      list.push(waiter);
    }
    this.schedule();
  }

  /** Ends the waits whose deadline has passed, then sets the one timer for the next deadline. */
  private expire = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = performance.now();
    const list = this.waiting;
    while (this.expired < list.length && (list[this.expired]!.done || list[this.expired]!.deadline <= now)) finish(list[this.expired++]!);
    if (this.expired > 1024 && this.expired * 2 > list.length) {
      this.waiting = list.slice(this.expired);
      this.expired = 0;
    }
    this.schedule();
  };

  private schedule(): void {
    while (this.expired < this.waiting.length && this.waiting[this.expired]!.done) this.expired++;
    const next = this.waiting[this.expired];
    if (!next) {
      this.clearTimer();
      return;
    }
    if (next.deadline >= this.timerAt) return;
    this.clearTimer();
    this.timerAt = next.deadline;
    // setTimeout truncates fractions of a millisecond: round up, so it never fires just before the deadline.
    this.timer = setTimeout(this.expire, Math.max(0, Math.ceil(next.deadline - performance.now())));
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }
}

function finish(waiter: Waiter): void {
  if (waiter.done) return;
  waiter.done = true;
  for (const s of waiter.signals) s.removeEventListener('abort', waiter.onAbort);
  waiter.resolve();
}

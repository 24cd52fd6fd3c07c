/**
 * The audit: every acknowledged write a listener follows is received exactly once by every listener.
 * Writes are numbered per writer (`tick.seq`); deletes carry no tick, so they are matched by `_id`, in
 * order (a `Z` symbol is never deleted twice at once). Pure data structures; measuring code never prints.
 */

/** What the writers said about one operation. */
export const enum WriteState {
  Unknown = 0,
  /** acknowledged, intended inside the measured window: must be received */
  Expected = 1,
  /** acknowledged during the warm-up: its event is received but not counted */
  Warmup = 2,
  /** failed, or a delete (audited by `_id` instead) */
  NotCounted = 3,
}

export interface AuditCounts {
  expected: number;
  received: number;
  lost: number;
  duplicated: number;
}

/**
 * Sequence numbers per writer a run's arrays are first sized for, at most: beyond it (an hour at 4,600
 * writes/s per writer) they grow. The ledger keeps 9 bytes per sequence number, a listener 1 bit.
 */
export const MAX_PRESIZED_SEQS = 1 << 24;

/** A Uint8Array / Float64Array sized for the run (`expectedSeqs`) that still grows to fit any index. */
class Growable<T extends Uint8Array | Float64Array | Uint32Array> {
  constructor(public array: T, private readonly make: (n: number) => T) {}
  ensure(index: number): T {
    if (index < this.array.length) return this.array;
    let size = Math.max(1024, this.array.length);
    while (size <= index) size *= 2;
    const bigger = this.make(size);
    bigger.set(this.array as never);
    this.array = bigger;
    return bigger;
  }
}

interface WriterLedger {
  state: Growable<Uint8Array>;
  sentAt: Growable<Float64Array>;
  maxSeq: number;
}

interface DeleteRecord {
  inWindow: boolean;
}

/** Initial length of a per-writer array: the run's expected sequence numbers, bounded. */
function presize(expectedSeqs: number | undefined, fallback: number): number {
  if (expectedSeqs === undefined || !(expectedSeqs > 0)) return fallback;
  return Math.min(Math.ceil(expectedSeqs), MAX_PRESIZED_SEQS);
}

/**
 * The writes of the run as the writers reported them; one per listener thread. `expectedSeqs` (per
 * writer: rate x run time) sizes each writer's arrays once, so recording never copies them.
 */
export class WriteLedger {
  private readonly writers = new Map<number, WriterLedger>();
  /** acknowledged deletes per `_id`, in send order */
  private readonly deletes = new Map<string, DeleteRecord[]>();

  constructor(private readonly expectedSeqs?: number) {}

  private writer(w: number): WriterLedger {
    let ledger = this.writers.get(w);
    if (!ledger) {
      const n = presize(this.expectedSeqs, 1024);
      ledger = {
        state: new Growable(new Uint8Array(n), (size) => new Uint8Array(size)),
        sentAt: new Growable(new Float64Array(n), (size) => new Float64Array(size)),
        maxSeq: -1,
      };
      this.writers.set(w, ledger);
    }
    return ledger;
  }

  /** Records one operation of a writer (`NotCounted` for deletes and failures). */
  addWrite(w: number, seq: number, sentAt: number, state: WriteState): void {
    const ledger = this.writer(w);
    ledger.state.ensure(seq)[seq] = state;
    ledger.sentAt.ensure(seq)[seq] = sentAt;
    if (seq > ledger.maxSeq) ledger.maxSeq = seq;
  }

  addDelete(id: string, inWindow: boolean): void {
    let list = this.deletes.get(id);
    if (!list) this.deletes.set(id, (list = []));
    list.push({ inWindow });
  }

  /** Actual send time of a write, or undefined when the writer has not reported it yet. */
  sentAt(w: number, seq: number): number | undefined {
    const ledger = this.writers.get(w);
    if (!ledger || seq > ledger.maxSeq || ledger.state.array[seq] === WriteState.Unknown) return undefined;
    return ledger.sentAt.array[seq];
  }

  /** The ledger as plain data (states and deletes; send times stay here): see `LedgerData`. */
  toData(): LedgerData {
    return {
      writers: [...this.writers].map(([w, l]) => ({ w, states: toBase64(l.state.array.subarray(0, l.maxSeq + 1)) })),
      deletes: [...this.deletes].map(([id, records]) => [id, records.map((r) => r.inWindow)]),
    };
  }

  /** Adds another ledger's writers and deletes (writers of different agents never share an id). */
  addData(data: LedgerData): void {
    for (const { w, states } of data.writers) {
      const bytes = fromBase64(states);
      const ledger = this.writer(w);
      ledger.state.ensure(bytes.length).set(bytes);
      ledger.maxSeq = Math.max(ledger.maxSeq, bytes.length - 1);
    }
    for (const [id, windows] of data.deletes) for (const inWindow of windows) this.addDelete(id, inWindow);
  }

  /** Counts for one listener: ticked writes by sequence number, deletes by `_id` in order. */
  audit(listener: ListenerReceipts): AuditCounts {
    const counts: AuditCounts = { expected: 0, received: 0, lost: 0, duplicated: listener.duplicated };
    for (const [w, ledger] of this.writers) {
      const seen = listener.seenBits(w);
      const states = ledger.state.array;
      for (let seq = 0; seq <= ledger.maxSeq; seq++) {
        if (states[seq] !== WriteState.Expected) continue;
        counts.expected++;
        const received = seen !== undefined && (seen[seq >>> 5]! & (1 << (seq & 31))) !== 0;
        if (received) counts.received++;
        else counts.lost++;
      }
    }
    for (const [id, records] of this.deletes) {
      const got = listener.deletesOf(id);
      // The k-th delete event of an _id is the k-th acknowledged delete of it.
      records.forEach((record, k) => {
        if (!record.inWindow) return;
        counts.expected++;
        if (k < got) counts.received++;
        else counts.lost++;
      });
      if (got > records.length) counts.duplicated += got - records.length;
    }
    counts.received += counts.duplicated;
    return counts;
  }
}

/**
 * What one listener received: a bit per (writer, seq), in a bitset per writer sized for the run
 * (`expectedSeqs`), and delete events per `_id`.
 */
export class ListenerReceipts {
  private readonly seen = new Map<number, Growable<Uint32Array>>();
  private readonly deletes = new Map<string, number>();
  duplicated = 0;
  /** the last writer's bitset: one writer per run is the common case, and this skips the Map */
  private lastWriter = -1;
  private lastBits: Growable<Uint32Array> | undefined;

  constructor(private readonly expectedSeqs?: number) {}

  /** Returns false when this (writer, seq) was already received: a duplicate. */
  receive(w: number, seq: number, counted: boolean): boolean {
    let bits = w === this.lastWriter ? this.lastBits : this.seen.get(w);
    if (!bits) this.seen.set(w, (bits = new Growable(new Uint32Array(Math.ceil(presize(this.expectedSeqs, 2048) / 32)), (n) => new Uint32Array(n))));
    this.lastWriter = w;
    this.lastBits = bits;
    const array = bits.ensure(seq >>> 5);
    const mask = 1 << (seq & 31);
    if ((array[seq >>> 5]! & mask) !== 0) {
      if (counted) this.duplicated++;
      return false;
    }
    array[seq >>> 5] = array[seq >>> 5]! | mask;
    return true;
  }

  receiveDelete(id: string): void {
    this.deletes.set(id, (this.deletes.get(id) ?? 0) + 1);
  }

  /** The receipts as plain data: see `ReceiptsData`. */
  toData(): ReceiptsData {
    return {
      duplicated: this.duplicated,
      seen: [...this.seen].map(([w, bits]) => ({ w, bits: toBase64(bits.array) })),
      deletes: [...this.deletes],
    };
  }

  static fromData(data: ReceiptsData): ListenerReceipts {
    const receipts = new ListenerReceipts();
    receipts.duplicated = data.duplicated;
    for (const { w, bits } of data.seen) {
      const bytes = fromBase64(bits);
      const words = new Uint32Array(bytes.length >>> 2);
      new Uint8Array(words.buffer).set(bytes.subarray(0, words.length * 4));
      receipts.seen.set(w, new Growable(words, (n) => new Uint32Array(n)));
    }
    for (const [id, n] of data.deletes) receipts.deletes.set(id, n);
    return receipts;
  }

  seenBits(w: number): Uint32Array | undefined {
    return this.seen.get(w)?.array;
  }

  deletesOf(id: string): number {
    return this.deletes.get(id) ?? 0;
  }
}

export function addCounts(a: AuditCounts, b: AuditCounts): AuditCounts {
  return {
    expected: a.expected + b.expected,
    received: a.received + b.received,
    lost: a.lost + b.lost,
    duplicated: a.duplicated + b.duplicated,
  };
}

/**
 * A ledger or a listener's receipts as plain data, for an audit made in another process (a distributed
 * run audits every agent's listeners against every agent's writes). Arrays travel as base64.
 */
export interface LedgerData {
  /** per writer: the WriteState of each seq, 0..maxSeq */
  writers: { w: number; states: string }[];
  /** acknowledged deletes per `_id`, in send order: whether each was inside the window */
  deletes: [string, boolean[]][];
}

export interface ReceiptsData {
  duplicated: number;
  /** per writer: one bit per seq received */
  seen: { w: number; bits: string }[];
  /** delete events per `_id` */
  deletes: [string, number][];
}

function toBase64(view: ArrayBufferView): string {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('base64');
}

function fromBase64(text: string): Buffer {
  return Buffer.from(text, 'base64');
}

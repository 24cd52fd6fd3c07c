import { BSON, Timestamp, type Binary, type Document } from 'bson';
import type { OplogEntry } from './oplog.js';
import { boxLongs, unboxLongs } from './storage/int64.js';

/**
 * Where the oplog's entries live. The newest HOT_ENTRIES stay objects (what tailing change streams and
 * transactions read); older ones are packed, as mongod keeps its oplog as BSON: each entry's BSON in a
 * segment's buffer, outside the V8 heap, with its time in typed arrays for searches. A million entries as
 * objects were a heap the garbage collector marked again and again (at 2,000 updates/s the embedded
 * server's heap grew by 140 MB in 90 s and its collections paused it for up to 104 ms); packed, they are
 * a few buffers it does not look into. An insert stays as it is (its document is the stored one, held
 * anyway). The superseded version an entry carries for snapshot reads (`before`) has a buffer of its own,
 * dropped with the segment's history.
 */
const HOT_ENTRIES = 8_192;
/** Entries per packed segment: whole segments are dropped when the oplog is trimmed. */
const SEGMENT_ENTRIES = 4_096;
/** Recently unpacked entries, by index: many streams behind the hot window unpack each entry once. */
const UNPACKED_KEPT = 1_024;
const DECODE = { promoteLongs: false, promoteValues: true, promoteBuffers: false, bsonRegExp: true } as const;
const ENCODE = { ignoreUndefined: true } as const;

/**
 * An insert's oplog entry. Its documentKey is made from the document when read (change events, snapshots):
 * one object fewer kept in the oplog per inserted document, on the path every bulk load takes.
 */
export class InsertEntry implements OplogEntry {
  readonly op = 'insert' as const;
  lsid?: Document;
  txnNumber?: number;
  constructor(public ts: Timestamp, public wallTime: Date, readonly db: string, readonly coll: string, readonly collectionUUID: Binary, readonly postImage: Document) {}

  get documentKey(): Document {
    return { _id: this.postImage._id };
  }
}

/** A growable byte area; `bytes` may be replaced as it grows. */
class Bytes {
  bytes: Buffer;
  used = 0;

  constructor(size: number) {
    this.bytes = Buffer.allocUnsafeSlow(size);
  }

  /** Appends `data`; returns its offset. */
  add(data: Uint8Array): number {
    if (this.used + data.length > this.bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(this.bytes.length * 2, this.used + data.length));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    this.bytes.set(data, this.used);
    this.used += data.length;
    return this.used - data.length;
  }

  /** Gives back what was never used (a full segment's buffer). */
  shrink(): void {
    if (this.used < this.bytes.length) this.bytes = Buffer.from(this.bytes.subarray(0, this.used));
  }

  read(offset: number): Uint8Array {
    return this.bytes.subarray(offset, offset + this.bytes.readInt32LE(offset));
  }
}

/** SEGMENT_ENTRIES consecutive entries, packed. */
class Segment {
  readonly t = new Uint32Array(SEGMENT_ENTRIES);
  readonly i = new Uint32Array(SEGMENT_ENTRIES);
  readonly wallMs = new Float64Array(SEGMENT_ENTRIES);
  /** an entry kept as an object (an insert, or one that could not be packed); else its BSON's offset */
  readonly objects: (OplogEntry | undefined)[] = [];
  readonly offsets = new Int32Array(SEGMENT_ENTRIES);
  readonly beforeOffsets = new Int32Array(SEGMENT_ENTRIES).fill(-1);
  readonly main = new Bytes(64 * 1024);
  history: Bytes | undefined = new Bytes(64 * 1024);

  constructor(readonly first: number) {}
}

export class OplogStore {
  private readonly hot: (OplogEntry | undefined)[];
  private readonly mask: number;
  /** absolute index of the oldest hot entry; older ones are in segments */
  private hotFrom = 0;
  private readonly segments: Segment[] = [];
  /** absolute index one past the newest entry */
  end = 0;
  /** absolute index of the oldest entry kept */
  head = 0;
  /** entries before this index no longer carry `before` */
  private historyFrom = 0;
  /** made at the first unpack (most oplogs of a test, and a transaction's, never pack) */
  private unpacked: (OplogEntry | undefined)[] = [];
  private unpackedIndex: Float64Array | undefined;

  /** `hotEntries`: how many of the newest entries stay objects (a power of two) */
  constructor(private readonly hotEntries = HOT_ENTRIES) {
    if (hotEntries < 1 || (hotEntries & (hotEntries - 1)) !== 0) throw new RangeError('hotEntries must be a power of two');
    this.hot = new Array(hotEntries);
    this.mask = hotEntries - 1;
  }

  append(entry: OplogEntry): void {
    if (this.end - this.hotFrom === this.hotEntries) {
      const oldest = this.hotFrom++;
      const slot = oldest & this.mask;
      if (oldest >= this.head) this.pack(oldest, this.hot[slot]!);
      this.hot[slot] = undefined;
    }
    this.hot[this.end & this.mask] = entry;
    this.end++;
  }

  /** Forgets every entry before `head`. */
  trimTo(head: number): void {
    for (let k = Math.max(this.head, this.hotFrom); k < Math.min(head, this.end); k++) this.hot[k & this.mask] = undefined;
    this.head = head;
    while (this.segments.length > 0 && this.segments[0]!.first + SEGMENT_ENTRIES <= head) this.segments.shift();
  }

  /** The entry at an absolute index (between head and end). Packed ones are unpacked: never modify them. */
  at(index: number): OplogEntry | undefined {
    if (index < this.head || index >= this.end) return undefined;
    if (index >= this.hotFrom) return this.hot[index & this.mask];
    const slot = index & (UNPACKED_KEPT - 1);
    this.unpackedIndex ??= new Float64Array(UNPACKED_KEPT).fill(-1);
    let entry = this.unpackedIndex[slot] === index ? this.unpacked[slot]! : undefined;
    if (!entry) {
      entry = this.unpack(index);
      this.unpacked[slot] = entry;
      this.unpackedIndex[slot] = index;
    }
    // unpacked before its history was dropped
    return index < this.historyFrom && entry.before !== undefined ? { ...entry, before: undefined } : entry;
  }

  /** ts.t and ts.i of the entry at `index` (between head and end), without unpacking it. */
  tsAt(index: number): { t: number; i: number } {
    if (index >= this.hotFrom) return this.hot[index & this.mask]!.ts;
    const seg = this.segmentOf(index);
    const k = index - seg.first;
    return { t: seg.t[k]!, i: seg.i[k]! };
  }

  timestampAt(index: number): Timestamp {
    const { t, i } = this.tsAt(index);
    return new Timestamp({ t, i });
  }

  wallMsAt(index: number): number {
    if (index >= this.hotFrom) return this.hot[index & this.mask]!.wallTime.getTime();
    const seg = this.segmentOf(index);
    return seg.wallMs[index - seg.first]!;
  }

  /** Entries before `index` stop carrying the version they superseded (snapshot reads there are too old). */
  dropHistoryBefore(index: number): void {
    for (let k = Math.max(this.historyFrom, this.hotFrom, this.head); k < Math.min(index, this.end); k++) {
      const entry = this.hot[k & this.mask]!;
      if (entry.before !== undefined) entry.before = undefined;
    }
    if (index > this.historyFrom) this.historyFrom = index;
    for (const seg of this.segments) {
      if (seg.first + SEGMENT_ENTRIES > index) break;
      seg.history = undefined;
    }
  }

  private segmentOf(index: number): Segment {
    return this.segments[Math.floor((index - this.segments[0]!.first) / SEGMENT_ENTRIES)]!;
  }

  private pack(index: number, entry: OplogEntry): void {
    let seg = this.segments[this.segments.length - 1];
    if (!seg || index >= seg.first + SEGMENT_ENTRIES) {
      if (seg) {
        seg.main.shrink();
        seg.history?.shrink();
      }
      seg = new Segment(index - (index % SEGMENT_ENTRIES));
      this.segments.push(seg);
    }
    const k = index - seg.first;
    seg.t[k] = entry.ts.t;
    seg.i[k] = entry.ts.i;
    seg.wallMs[k] = entry.wallTime.getTime();
    if (entry instanceof InsertEntry && entry.lsid === undefined) {
      seg.objects[k] = entry;
      return;
    }
    try {
      const { before, ...rest } = plainEntry(entry);
      const main = BSON.serialize(boxLongs(rest), ENCODE);
      const history = before !== undefined && index >= this.historyFrom && seg.history ? BSON.serialize(boxLongs(before), ENCODE) : undefined;
      seg.offsets[k] = seg.main.add(main);
      if (history) seg.beforeOffsets[k] = seg.history!.add(history);
    } catch {
      seg.objects[k] = entry; // kept as it is rather than lost
    }
  }

  private unpack(index: number): OplogEntry {
    const seg = this.segmentOf(index);
    const k = index - seg.first;
    const object = seg.objects[k];
    if (object) return object;
    const entry = decode(seg.main.read(seg.offsets[k]!)) as OplogEntry;
    const at = seg.beforeOffsets[k]!;
    if (at >= 0 && seg.history && index >= this.historyFrom) entry.before = decode(seg.history.read(at));
    return entry;
  }
}

/** The entry as plain objects (an insert's documentKey is a getter), so that every field is packed. */
function plainEntry(entry: OplogEntry): OplogEntry {
  const plain = entry instanceof InsertEntry ? { ...entry, documentKey: entry.documentKey } : entry;
  return entry.ops ? { ...plain, ops: entry.ops.map(plainEntry) } : plain;
}

function decode(bytes: Uint8Array): Document {
  const doc = BSON.deserialize(bytes, DECODE);
  unboxLongs(doc);
  return doc;
}

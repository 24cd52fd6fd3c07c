/**
 * Records the change events of a group of listeners (one listener thread): latency histograms, the
 * per-second timeline, staggers and the audit. Pure: fed events and the writers' reports, returns plain
 * data that crosses threads (histograms as compressed base64). Measuring code: never prints.
 */
import { createLatencyMicros, encodeCounts, encodeHistogram, LatencyCounts, recordMicros, summarize } from './histograms.js';
import { ListenerReceipts, WriteLedger, WriteState, type AuditCounts, type ReceiptsData } from './audit.js';
import { IntervalRecorder, type IntervalHistogram, type IntervalSeries } from './intervals.js';
import { keepWorst, StaggerDetector, type DetectedStagger } from './staggers.js';

/** The histograms recorded per event in the listener threads (writeAck is recorded by the writers). */
export const EVENT_HISTOGRAMS = ['endToEnd', 'uncorrected', 'commitToReceipt', 'serverSide'] as const;
export type EventHistogramName = (typeof EVENT_HISTOGRAMS)[number];

/** Staggers kept per listener with their document ids (the rest are only counted). */
const WORST_KEPT = 10;

/** A batch of writer reports. `writes` is flat: [w, seq, sentAt, state] per operation. */
export interface WriteBatch {
  writes: Float64Array;
  /** acknowledged deletes, by `_id`, in send order */
  deletes: { id: string; inWindow: boolean }[];
}
export const WRITE_FIELDS = 4;

interface Tick {
  seq: number;
  at: number;
  w: number;
}

/** The fields of a change event the recorder reads (the driver's ChangeStreamDocument fits). */
export interface ChangeEventLike {
  operationType: string;
  documentKey?: { _id?: unknown };
  fullDocument?: { tick?: Tick } | null;
  updateDescription?: { updatedFields?: { tick?: Tick } };
  /** the write's tick, when the stream's pipeline lifted it out of the event */
  tick?: Tick | null;
  wallTime?: Date;
  clusterTime?: { t: number; i?: number };
}

export interface StaggerRecord {
  listener: string;
  /** ms since the start of the measured window */
  startMs: number;
  gapMs: number;
  burst: number;
  ids: string[];
}

export interface ListenerResult {
  listener: string;
  events: number;
  p99us: number;
  maxUs: number;
  audit: AuditCounts;
  /** what this listener received, for an audit against other agents' writes (`keepReceipts`) */
  receipts?: ReceiptsData;
}

/**
 * This machine's clock against the server's, from the events of its own writes: the server's wallTime
 * of a commit falls between the write's send and its receipt, so (server − local) lies in [low, high] ms.
 */
export interface ClockBounds {
  lowMs: number;
  highMs: number;
  samples: number;
}

export interface GroupResult {
  histograms: Record<EventHistogramName, string>;
  timeline: { second: number; encoded: string }[];
  /** per-second histograms of every event histogram and of the stagger gaps (tag `staggers`), for the .hlog */
  intervals: IntervalHistogram[];
  listeners: ListenerResult[];
  staggers: { count: number; gaps: string; worst: StaggerRecord[] };
  /** events whose tick could not be read (foreign writes), ignored */
  foreign: number;
  /** events of other agents' writers: audited, not timed (their send times are on another clock) */
  othersEvents: number;
  clock: ClockBounds;
}

interface ListenerState {
  name: string;
  receipts: ListenerReceipts;
  endToEnd: LatencyCounts;
  events: number;
  detector: StaggerDetector;
  worst: StaggerRecord[];
}

export interface RecorderOptions {
  listeners: readonly string[];
  /** epoch ms: writes intended before this are the warm-up */
  windowStart: number;
  /** epoch ms: the writers' planned end (gaps that begin in its last threshold are the run's end, not staggers) */
  windowEnd?: number;
  staggerThresholdMs: number;
  /** each closed second's interval histogram, as it closes (live metrics) */
  onInterval?: (interval: IntervalHistogram) => void;
  /**
   * The writer ids whose latency this group measures, [from, to): a distributed run's agent times only
   * its own writes (same clock) and audits everyone's. Default: every writer.
   */
  ownWriters?: { from: number; to: number };
  /** return each listener's receipts in `finish()` */
  keepReceipts?: boolean;
  /** sequence numbers each writer will use in the run (rate x run time): the audit arrays' size */
  expectedSeqs?: number;
}

/** A receipt waiting for its write's send time, keyed by writer and seq in one number. */
function pendingKey(w: number, seq: number): number {
  return w * 2 ** 32 + seq;
}

/**
 * Where the run's tail begins: once the writers stop, every shard but the last written goes idle and a
 * mongos holds the last writes back until their next no-op. A gap that begins within one threshold of
 * the end is that, not a stagger; a stagger in progress before it is still counted.
 */
function tailFrom(options: RecorderOptions): number {
  return options.windowEnd === undefined ? Infinity : options.windowEnd - options.staggerThresholdMs;
}

export class ListenerGroupRecorder {
  private readonly ledger: WriteLedger;
  /** counted with integer arithmetic (several records per event), encoded as hdr histograms at the end */
  private readonly hist: Record<EventHistogramName, LatencyCounts>;
  /** each histogram's per-second series, looked up once */
  private readonly series: Record<EventHistogramName, IntervalSeries>;
  private readonly states: ListenerState[];
  /** receipts waiting for their write's actual send time: pendingKey(w, seq) → [receiptAt, committedAt (NaN: none)]... */
  private readonly pending = new Map<number, number[]>();
  private readonly intervals: IntervalRecorder;
  private readonly clock: ClockBounds = { lowMs: -Infinity, highMs: Infinity, samples: 0 };
  private othersEvents = 0;
  private staggerCount = 0;
  private readonly gaps = createLatencyMicros();
  private foreign = 0;

  constructor(private readonly options: RecorderOptions) {
    this.ledger = new WriteLedger(options.expectedSeqs);
    this.intervals = new IntervalRecorder(options.windowStart, options.onInterval);
    this.hist = {
      endToEnd: new LatencyCounts(),
      uncorrected: new LatencyCounts(),
      commitToReceipt: new LatencyCounts(),
      serverSide: new LatencyCounts(),
    };
    // in the order the .hlog has always listed them
    this.series = {
      endToEnd: this.intervals.series('endToEnd'),
      uncorrected: this.intervals.series('uncorrected'),
      commitToReceipt: this.intervals.series('commitToReceipt'),
      serverSide: this.intervals.series('serverSide'),
    };
    this.states = options.listeners.map((name) => {
      const state: ListenerState = {
        name,
        receipts: new ListenerReceipts(options.expectedSeqs),
        endToEnd: new LatencyCounts(),
        events: 0,
        worst: [],
        detector: undefined as unknown as StaggerDetector,
      };
      state.detector = new StaggerDetector(options.staggerThresholdMs, options.windowStart, (s) => this.onStagger(state, s), tailFrom(options));
      return state;
    });
  }

  /** The writers' reports: actual send times and what must be received. */
  onWrites(batch: WriteBatch): void {
    const { writes } = batch;
    for (let k = 0; k + WRITE_FIELDS <= writes.length; k += WRITE_FIELDS) {
      const w = writes[k]!;
      const seq = writes[k + 1]!;
      const sentAt = writes[k + 2]!;
      const state = writes[k + 3]! as WriteState;
      this.ledger.addWrite(w, seq, sentAt, state);
      if (this.pending.size > 0) {
        const key = pendingKey(w, seq);
        const waiting = this.pending.get(key);
        if (waiting) {
          for (let j = 0; j < waiting.length; j += 2) {
            this.record('uncorrected', waiting[j]!, (waiting[j]! - sentAt) * 1000);
            this.boundClock(waiting[j + 1]!, sentAt, waiting[j]!);
          }
          this.pending.delete(key);
        }
      }
    }
    for (const d of batch.deletes) this.ledger.addDelete(d.id, d.inWindow);
  }

  /**
   * One event received by listener `index` at `receiptAt` (epoch ms); `replyTime` is the cluster time of
   * the reply (aggregate/getMore) that carried it. Returns the document id when it is `fenceId`.
   */
  onEvent(index: number, event: ChangeEventLike, receiptAt: number, replyTime?: { t: number }): void {
    const state = this.states[index]!;
    const id = event.documentKey?._id;
    const idText = typeof id === 'string' ? id : id === undefined ? undefined : String(id);
    const committedAt = event.wallTime instanceof Date ? event.wallTime.getTime() : undefined;

    if (event.operationType === 'delete') {
      if (idText !== undefined) state.receipts.receiveDelete(idText);
      if (receiptAt >= this.options.windowStart && committedAt !== undefined) state.detector.feed(receiptAt, committedAt, idText);
      return;
    }
    // Listener threads ask the server for the tick alone (listener-worker's MEASURED_FIELDS); whole events work too.
    const tick = event.tick ?? (event.operationType === 'insert' || event.operationType === 'replace'
      ? event.fullDocument?.tick
      : (event.updateDescription?.updatedFields?.tick ?? event.fullDocument?.tick));
    if (!tick || typeof tick.seq !== 'number' || typeof tick.at !== 'number') {
      this.foreign++;
      return;
    }
    const w = tick.w ?? 0;
    const inWindow = tick.at >= this.options.windowStart;
    const first = state.receipts.receive(w, tick.seq, inWindow);
    if (!inWindow || !first) return;
    const own = this.options.ownWriters;
    if (own && (w < own.from || w >= own.to)) {
      this.othersEvents++;
      if (committedAt !== undefined) state.detector.feed(receiptAt, committedAt, idText);
      return;
    }

    const endToEndUs = (receiptAt - tick.at) * 1000;
    this.record('endToEnd', receiptAt, endToEndUs);
    state.endToEnd.record(endToEndUs);
    state.events++;
    if (committedAt !== undefined) {
      this.record('commitToReceipt', receiptAt, (receiptAt - committedAt) * 1000);
      state.detector.feed(receiptAt, committedAt, idText);
    }
    if (replyTime && event.clusterTime) {
      // Cluster times count seconds: this figure has one-second resolution (MongoDB's own test uses it).
      this.record('serverSide', receiptAt, Math.max(0, replyTime.t - event.clusterTime.t) * 1_000_000);
    }
    const sentAt = this.ledger.sentAt(w, tick.seq);
    const committed = committedAt ?? Number.NaN;
    if (sentAt !== undefined) {
      this.record('uncorrected', receiptAt, (receiptAt - sentAt) * 1000);
      this.boundClock(committed, sentAt, receiptAt);
    } else {
      const key = pendingKey(w, tick.seq);
      const waiting = this.pending.get(key);
      if (waiting) waiting.push(receiptAt, committed);
      else this.pending.set(key, [receiptAt, committed]);
    }
  }

  /** The commit's server wallTime lies between the local send and receipt: narrows (server − local). */
  private boundClock(committedAt: number, sentAt: number, receiptAt: number): void {
    if (Number.isNaN(committedAt)) return;
    const c = this.clock;
    c.samples++;
    if (committedAt - receiptAt > c.lowMs) c.lowMs = committedAt - receiptAt;
    if (committedAt - sentAt < c.highMs) c.highMs = committedAt - sentAt;
  }

  finish(): GroupResult {
    const intervals = this.intervals.finish();
    const listeners: ListenerResult[] = [];
    const worst: StaggerRecord[] = [];
    for (const state of this.states) {
      state.detector.finish();
      const own = state.endToEnd.toHistogram();
      const s = summarize(own);
      own.destroy();
      listeners.push({
        listener: state.name, events: state.events, p99us: s.p99, maxUs: s.max, audit: this.ledger.audit(state.receipts),
        ...(this.options.keepReceipts ? { receipts: state.receipts.toData() } : {}),
      });
      for (const stagger of state.worst) keepWorst(worst, stagger, WORST_KEPT);
    }
    const histograms = Object.fromEntries(
      EVENT_HISTOGRAMS.map((name) => [name, encodeCounts(this.hist[name])]),
    ) as Record<EventHistogramName, string>;
    const result: GroupResult = {
      histograms,
      timeline: intervals.filter((i) => i.tag === 'endToEnd').map(({ second, encoded }) => ({ second, encoded })),
      intervals,
      listeners,
      staggers: { count: this.staggerCount, gaps: encodeHistogram(this.gaps), worst: worst.sort((a, b) => b.gapMs - a.gapMs) },
      foreign: this.foreign,
      othersEvents: this.othersEvents,
      clock: { ...this.clock },
    };
    this.gaps.destroy();
    return result;
  }

  /** Events counted so far per listener (for progress). */
  eventCounts(): number[] {
    return this.states.map((s) => s.events);
  }

  private onStagger(state: ListenerState, s: DetectedStagger): void {
    this.staggerCount++;
    recordMicros(this.gaps, s.gapMs * 1000);
    this.intervals.record('staggers', s.startAt + s.gapMs, s.gapMs * 1000);
    keepWorst(state.worst, {
      listener: state.name, startMs: s.startAt - this.options.windowStart, gapMs: s.gapMs, burst: s.burst, ids: s.ids,
    }, WORST_KEPT);
  }

  /** Into the run's histogram and its second's interval histogram. */
  private record(name: EventHistogramName, at: number, micros: number): void {
    this.hist[name].record(micros);
    this.series[name].record(at, micros);
  }
}

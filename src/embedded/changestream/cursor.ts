import type { Document, Timestamp } from 'bson';
import { compareTimestamps } from '../clock.js';
import type { DataNode } from '../data-node.js';
import { CommandError, ErrorCode } from '../errors.js';
import type { OplogEntry } from '../oplog.js';
import { eventsFor, type EventOptions } from './events.js';
import { eventBytes, shapesOf, type EventShape, type StreamEvent } from './shared.js';
import { splitLargeEvent, splitResumeMismatch } from './split.js';
import { decodeToken, encodeToken, TokenKind } from './token.js';

/** A reply is one BSON document of at most 16 MB; leave room for the cursor envelope and $clusterTime. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 64 * 1024;
/** An array element's type byte, key (up to 7 digits) and terminator, beside the event's own bytes. */
const ELEMENT_OVERHEAD = 9;

export interface ChangeStreamSpec extends EventOptions {
  resumeAfter?: Document;
  startAfter?: Document;
  startAtOperationTime?: Timestamp;
  pipeline: Document[];
}

export interface EventBatch {
  /** shared with other cursors of the same shape: read, never modify */
  events: readonly StreamEvent[];
  postBatchResumeToken: Document;
  /** True once an invalidate has been returned: the cursor is finished. */
  invalidated: boolean;
}

/**
 * One change stream over one node's oplog: a position in the log, the events produced but not yet
 * returned, and the resume token of the last thing the client has been given.
 */
export class ChangeStreamCursor {
  private position = 0;
  /** ts of the last entry fully examined (drives the high-water-mark token). */
  private examinedTs: Timestamp | undefined;
  private beforeTs: Timestamp | undefined;
  /** Events of the last entry examined not yet returned: pending[pendingAt..]. */
  private pending: readonly StreamEvent[] = [];
  private pendingAt = 0;
  private invalidated = false;
  private readonly shape: EventShape;
  private closed = false;

  constructor(private readonly node: DataNode, private readonly spec: ChangeStreamSpec) {
    // The pipeline is compiled (and refused) before the resume point is looked at, as before.
    this.shape = shapesOf(node.oplog).acquire(spec, spec.pipeline);
    try {
      this.position = this.startPosition();
    } catch (err) {
      this.shape.release(); // a stream that failed to open holds no shape
      throw err;
    }
  }

  private startPosition(): number {
    const { node, spec } = this;
    const { oplog } = node;
    const token = spec.startAfter ?? spec.resumeAfter;
    if (token) {
      const decoded = decodeToken(token);
      if (decoded.kind === TokenKind.Invalidate && !spec.startAfter) {
        throw new CommandError(ErrorCode.InvalidResumeToken, 'Attempting to resume a change stream using \'resumeAfter\' is not allowed from an invalidate notification.');
      }
      if (oplog.isLost(decoded.ts)) throw historyLost();
      const inclusive = decoded.kind === TokenKind.Before;
      const position = oplog.indexAfter(decoded.ts, inclusive);
      // Events of the same entry that follow the token's fragment (e.g. the invalidate after a drop).
      if (decoded.kind === TokenKind.Event) {
        const entry = oplog.at(position - 1);
        if (entry && compareTimestamps(entry.ts, decoded.ts) === 0) {
          const produced = this.produce(position - 1, entry);
          // After a fragment of a split event: its later fragments, then the entry's later events.
          const after = decoded.split ?? Infinity;
          if (decoded.split !== undefined && !produced.some((e) => { const t = decodeToken(e.doc._id); return t.fragment === decoded.fragment && t.split !== undefined; })) throw splitResumeMismatch();
          this.pending = produced.filter((e) => {
            const t = decodeToken(e.doc._id);
            return t.fragment > decoded.fragment || (t.fragment === decoded.fragment && (t.split ?? -1) > after);
          });
        }
      }
      if (inclusive) this.beforeTs = decoded.ts;
      else this.examinedTs = decoded.ts;
      return position;
    }
    if (spec.startAtOperationTime) {
      if (oplog.isLost(spec.startAtOperationTime)) throw historyLost();
      this.beforeTs = spec.startAtOperationTime;
      return oplog.indexAfter(spec.startAtOperationTime, true);
    }
    this.examinedTs = node.clock.now();
    return oplog.end;
  }

  /** The cursor was killed or exhausted: its shape no longer counts it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.shape.release();
  }

  /** The time the stream starts from, as MongoDB reports it to drivers (for startAtOperationTime on resume). */
  get startTime(): Timestamp | undefined {
    return this.examinedTs ?? this.beforeTs;
  }

  /**
   * Up to `batchSize` events; waits up to `maxTimeMS` for the first one when none is ready.
   * `signal` abandons the wait (connection closed, cursor killed).
   */
  async nextBatch(batchSize: number, maxTimeMS: number, signal?: AbortSignal | readonly AbortSignal[]): Promise<EventBatch> {
    const deadline = Date.now() + maxTimeMS;
    for (;;) {
      const events = this.collect(batchSize);
      const remaining = deadline - Date.now();
      if (events.length > 0 || this.invalidated || remaining <= 0 || batchSize === 0 || aborted(signal)) {
        return { events, postBatchResumeToken: this.resumeToken(events), invalidated: this.invalidated && !this.hasPending };
      }
      await this.node.oplog.waitForAppend(remaining, signal);
    }
  }

  private get hasPending(): boolean {
    return this.pendingAt < this.pending.length;
  }

  /**
   * Up to `batchSize` events (0: none, as an aggregate with batchSize 0 asks), stopping before a reply would
   * pass 16 MB. Cost is per entry examined and per event returned, never per oplog size; an entry's events
   * are made once per shape, not once per cursor.
   */
  private collect(batchSize: number): StreamEvent[] {
    const out: StreamEvent[] = [];
    const { oplog } = this.node;
    let bytes = 0;
    while (out.length < batchSize) {
      if (this.hasPending) {
        const event = this.pending[this.pendingAt]!;
        const size = eventBytes(event).length + ELEMENT_OVERHEAD;
        if (out.length > 0 && bytes + size > MAX_BATCH_BYTES) break;
        bytes += size;
        this.pendingAt++;
        out.push(event);
        if (event.doc.operationType === 'invalidate') {
          this.invalidated = true;
          this.pending = [];
          this.pendingAt = 0;
          break;
        }
        continue;
      }
      if (this.invalidated || this.position >= oplog.end) break;
      const entry = oplog.at(this.position);
      if (!entry) throw historyLost(); // trimmed while this cursor was behind
      this.pending = this.produce(this.position, entry);
      this.pendingAt = 0;
      this.position++;
      this.examinedTs = entry.ts;
    }
    return out;
  }

  private produce(index: number, entry: OplogEntry): readonly StreamEvent[] {
    return this.shape.eventsAt(index, this.node.oplog, () => {
      const events: StreamEvent[] = [];
      for (const event of eventsFor(entry, this.spec, this.node.catalog)) {
        if (event.operationType === 'invalidate') {
          events.push({ doc: event }); // the pipeline never filters out an invalidate
          continue;
        }
        const out = this.shape.transform(event);
        if (!out) continue;
        if (this.shape.split) for (const fragment of splitLargeEvent(out)) events.push({ doc: fragment });
        else events.push({ doc: out });
      }
      return events;
    });
  }

  private resumeToken(batch: readonly StreamEvent[]): Document {
    // The last event's own token, unless entries were examined past it (then a high-water mark).
    const last = batch.at(-1)?.doc;
    if (last && !this.hasPending) {
      const decoded = decodeToken(last._id);
      if (this.examinedTs && compareTimestamps(decoded.ts, this.examinedTs) === 0) return last._id as Document;
    } else if (last) {
      return last._id as Document;
    }
    if (this.examinedTs) return encodeToken({ ts: this.examinedTs, kind: TokenKind.HighWaterMark, fragment: 0 });
    return encodeToken({ ts: this.beforeTs!, kind: TokenKind.Before, fragment: 0 });
  }
}

function aborted(signal: AbortSignal | readonly AbortSignal[] | undefined): boolean {
  if (signal === undefined) return false;
  if (Array.isArray(signal)) return signal.some((s) => s.aborted);
  return (signal as AbortSignal).aborted;
}

function historyLost(): CommandError {
  return new CommandError(
    ErrorCode.ChangeStreamHistoryLost,
    'Resume of change stream was not possible, as the resume point may no longer be in the oplog.',
    ['NonResumableChangeStreamError'],
  );
}

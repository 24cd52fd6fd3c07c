import { BSON, type Document, type Timestamp } from 'bson';
import { compareTimestamps } from '../clock.js';
import type { DataNode } from '../data-node.js';
import { CommandError, ErrorCode } from '../errors.js';
import { eventsFor, type EventOptions } from './events.js';
import { compileEventPipeline } from './pipeline.js';
import { decodeToken, encodeToken, TokenKind } from './token.js';

/** A reply is one BSON document of at most 16 MB; leave room for the cursor envelope and $clusterTime. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 64 * 1024;

export interface ChangeStreamSpec extends EventOptions {
  resumeAfter?: Document;
  startAfter?: Document;
  startAtOperationTime?: Timestamp;
  pipeline: Document[];
}

export interface EventBatch {
  events: Document[];
  postBatchResumeToken: Document;
  /** True once an invalidate has been returned: the cursor is finished. */
  invalidated: boolean;
}

/**
 * One change stream over one node's oplog: a position in the log, the events produced but not yet
 * returned, and the resume token of the last thing the client has been given.
 */
export class ChangeStreamCursor {
  private position: number;
  /** ts of the last entry fully examined (drives the high-water-mark token). */
  private examinedTs: Timestamp | undefined;
  private beforeTs: Timestamp | undefined;
  private pending: Document[] = [];
  private invalidated = false;
  private readonly transform: (event: Document) => Document | undefined;

  constructor(private readonly node: DataNode, private readonly spec: ChangeStreamSpec) {
    this.transform = compileEventPipeline(spec.pipeline);
    const { oplog } = node;
    const token = spec.startAfter ?? spec.resumeAfter;
    if (token) {
      const decoded = decodeToken(token);
      if (decoded.kind === TokenKind.Invalidate && !spec.startAfter) {
        throw new CommandError(ErrorCode.InvalidResumeToken, 'Attempting to resume a change stream using \'resumeAfter\' is not allowed from an invalidate notification.');
      }
      if (oplog.isLost(decoded.ts)) throw historyLost();
      const inclusive = decoded.kind === TokenKind.Before;
      this.position = oplog.indexAfter(decoded.ts, inclusive);
      // Events of the same entry that follow the token's fragment (e.g. the invalidate after a drop).
      if (decoded.kind === TokenKind.Event) {
        const entry = oplog.at(this.position - 1);
        if (entry && compareTimestamps(entry.ts, decoded.ts) === 0) {
          this.pending = this.produce(entry).filter((e) => decodeToken(e._id).fragment > decoded.fragment);
        }
      }
      if (inclusive) this.beforeTs = decoded.ts;
      else this.examinedTs = decoded.ts;
    } else if (spec.startAtOperationTime) {
      if (oplog.isLost(spec.startAtOperationTime)) throw historyLost();
      this.position = oplog.indexAfter(spec.startAtOperationTime, true);
      this.beforeTs = spec.startAtOperationTime;
    } else {
      this.position = oplog.end;
      this.examinedTs = node.clock.now();
    }
  }

  /** The time the stream starts from, as MongoDB reports it to drivers (for startAtOperationTime on resume). */
  get startTime(): Timestamp | undefined {
    return this.examinedTs ?? this.beforeTs;
  }

  /**
   * Up to `batchSize` events; waits up to `maxTimeMS` for the first one when none is ready.
   * `signal` abandons the wait (connection closed, cursor killed).
   */
  async nextBatch(batchSize: number, maxTimeMS: number, signal?: AbortSignal): Promise<EventBatch> {
    const deadline = Date.now() + maxTimeMS;
    for (;;) {
      const events = this.collect(batchSize);
      const remaining = deadline - Date.now();
      if (events.length > 0 || this.invalidated || remaining <= 0 || batchSize === 0 || signal?.aborted) {
        return { events, postBatchResumeToken: this.resumeToken(events), invalidated: this.invalidated && this.pending.length === 0 };
      }
      await this.node.oplog.waitForAppend(remaining, signal);
    }
  }

  /**
   * Up to `batchSize` events (0: none, as an aggregate with batchSize 0 asks), stopping before a reply would
   * pass 16 MB. Cost is per entry examined and per event returned, never per oplog size.
   */
  private collect(batchSize: number): Document[] {
    const out: Document[] = [];
    const { oplog } = this.node;
    let bytes = 0;
    while (out.length < batchSize) {
      if (this.pending.length > 0) {
        const size = BSON.calculateObjectSize(this.pending[0]);
        if (out.length > 0 && bytes + size > MAX_BATCH_BYTES) break;
        bytes += size;
        const event = this.pending.shift()!;
        out.push(event);
        if (event.operationType === 'invalidate') {
          this.invalidated = true;
          this.pending = [];
          break;
        }
        continue;
      }
      if (this.invalidated || this.position >= oplog.end) break;
      const entry = oplog.at(this.position);
      if (!entry) throw historyLost(); // trimmed while this cursor was behind
      this.position++;
      this.examinedTs = entry.ts;
      this.pending = this.produce(entry);
    }
    return out;
  }

  private produce(entry: Parameters<typeof eventsFor>[0]): Document[] {
    const events: Document[] = [];
    for (const event of eventsFor(entry, this.spec, this.node.catalog)) {
      if (event.operationType === 'invalidate') {
        events.push(event); // the pipeline never filters out an invalidate
        continue;
      }
      const out = this.transform(event);
      if (out) events.push(out);
    }
    return events;
  }

  private resumeToken(batch: Document[]): Document {
    // The last event's own token, unless entries were examined past it (then a high-water mark).
    if (this.pending.length > 0 || batch.length > 0) {
      const last = batch.at(-1);
      if (last && this.pending.length === 0) {
        const decoded = decodeToken(last._id);
        if (this.examinedTs && compareTimestamps(decoded.ts, this.examinedTs) === 0) return last._id as Document;
      } else if (last) {
        return last._id as Document;
      }
    }
    if (this.examinedTs) return encodeToken({ ts: this.examinedTs, kind: TokenKind.HighWaterMark, fragment: 0 });
    return encodeToken({ ts: this.beforeTs!, kind: TokenKind.Before, fragment: 0 });
  }
}

function historyLost(): CommandError {
  return new CommandError(
    ErrorCode.ChangeStreamHistoryLost,
    'Resume of change stream was not possible, as the resume point may no longer be in the oplog.',
    ['NonResumableChangeStreamError'],
  );
}

import { Timestamp, type Document } from 'bson';
import { compareTimestamps } from '../clock.js';
import { ChangeStreamCursor, type ChangeStreamSpec, type EventBatch } from '../changestream/cursor.js';
import { compileEventPipeline, isFilterOnly } from '../changestream/pipeline.js';
import { splitLargeEvent, withoutSplitStage } from '../changestream/split.js';
import type { StreamEvent } from '../changestream/shared.js';
import { decodeToken, encodeToken, TokenKind } from '../changestream/token.js';
import type { Shard } from './shard.js';

export interface RouterStreamOptions {
  /**
   * How long a shard's getMore waits before answering with no events (a real mongos asks with at most 1 s).
   * Until it answers, the router does not learn that an idle shard's clock moved (its no-ops).
   */
  shardWaitMs: number;
  /** Events buffered per shard before the router stops reading that shard ahead. */
  bufferLimit: number;
  /** The primary shard of a database: DDL events (drop, rename, invalidate...) are taken from it alone. */
  primaryOf: (db: string) => number | undefined;
  /**
   * The router's cluster time, gossiped with every shard getMore as a mongos does: an idle shard's next
   * no-op is then stamped after every write the router has seen, so it releases them all.
   */
  clusterTime: () => Timestamp;
}

/** One shard's stream as the router sees it. */
interface Feed {
  shard: Shard;
  cursor: ChangeStreamCursor;
  /** Events read from the shard, not yet released (all at or before `known`); shared with other streams. */
  buffer: StreamEvent[];
  /** The latest cluster time the shard is known to have reached: everything up to it has been read. */
  known: Timestamp;
  /** When the shard last answered a getMore (the router's view of its clock is as old as that). */
  answeredAt: number;
}

const END_OF_TIME = new Timestamp({ t: 0xffffffff, i: 0xffffffff });
const CRUD = new Set(['insert', 'update', 'replace', 'delete']);

/**
 * A change stream through the router: one shard stream per shard, merged in cluster-time order. An event
 * is released only once every shard is known to have reached its cluster time, so an idle shard holds the
 * whole stream back until its next no-op (a "stagger"), exactly as a mongos does.
 */
export class RouterChangeStream {
  private readonly feeds: Feed[];
  private readonly transform: (event: Document) => Document | undefined;
  /** A pipeline that can reshape events gets its own copy: shard events are shared by every router stream. */
  private readonly copyFirst: boolean;
  /** Events over 16 MiB come out as fragments (forwards only: a resume from a fragment restarts after the event). */
  private readonly split: boolean;
  private invalidated = false;
  private lastToken: Document;
  private lastTs: Timestamp;

  constructor(shards: Shard[], private readonly spec: ChangeStreamSpec, pipeline: Document[], private readonly options: RouterStreamOptions, startAt: Timestamp) {
    this.transform = compileEventPipeline(pipeline);
    this.split = withoutSplitStage(pipeline).split;
    this.copyFirst = !isFilterOnly(pipeline);
    const token = spec.startAfter ?? spec.resumeAfter;
    // Where each shard starts, and what the router may assume each shard has reached.
    let shardSpec: ChangeStreamSpec;
    let known: Timestamp;
    if (token) {
      const decoded = decodeToken(token);
      shardSpec = { ...spec, pipeline: [] };
      known = decoded.kind === TokenKind.Before ? previous(decoded.ts) : decoded.ts;
      startAt = decoded.ts;
    } else if (spec.startAtOperationTime) {
      shardSpec = { ...spec, pipeline: [] };
      known = previous(spec.startAtOperationTime);
      startAt = spec.startAtOperationTime;
    } else {
      // Like a mongos: start every shard just after the router's cluster time.
      shardSpec = { ...spec, pipeline: [], resumeAfter: encodeToken({ ts: startAt, kind: TokenKind.HighWaterMark, fragment: 0 }) };
      known = startAt;
    }
    const now = Date.now();
    this.feeds = [];
    try {
      for (const shard of shards) {
        shard.node.clock.advanceTo(startAt); // gossip: the shard's next write is after the start point
        this.feeds.push({ shard, cursor: new ChangeStreamCursor(shard.node, shardSpec), buffer: [], known, answeredAt: now });
      }
    } catch (err) {
      this.close(); // the shard streams already opened let go of what they share
      throw err;
    }
    this.lastTs = known;
    this.lastToken = encodeToken({ ts: known, kind: TokenKind.HighWaterMark, fragment: 0 });
  }

  close(): void {
    for (const feed of this.feeds) feed.cursor.close();
  }

  get startTime(): Timestamp {
    return this.lastTs;
  }

  /** The cluster time up to which every shard is known to have been read: events up to it can be released. */
  get frontier(): Timestamp {
    let min = this.feeds[0].known;
    for (const feed of this.feeds) if (compareTimestamps(feed.known, min) < 0) min = feed.known;
    return min;
  }

  /** Up to `batchSize` events (0 = no limit), waiting up to `maxTimeMS` for the first one. */
  async nextBatch(batchSize: number, maxTimeMS: number, signal?: AbortSignal | readonly AbortSignal[]): Promise<EventBatch> {
    const deadline = Date.now() + maxTimeMS;
    const limit = batchSize > 0 ? batchSize : Infinity;
    for (;;) {
      await this.readShards();
      const events = this.invalidated ? [] : this.release(limit);
      const now = Date.now();
      if (events.length > 0 || this.invalidated || now >= deadline || anyAborted(signal)) {
        return { events, postBatchResumeToken: this.lastToken, invalidated: this.invalidated };
      }
      // Wake on a write to a shard that can still be read ahead, or when the next shard getMore answers.
      let wait = deadline - now;
      for (const feed of this.feeds) wait = Math.min(wait, Math.max(1, feed.answeredAt + this.options.shardWaitMs - now));
      const watched = this.feeds.filter((f) => f.buffer.length < this.options.bufferLimit).map((f) => f.shard.node.oplog);
      await waitForAny(watched, wait, signal);
    }
  }

  /** One round of shard getMores that have something to say (events, or their wait ran out). */
  private async readShards(): Promise<void> {
    const now = Date.now();
    const clusterTime = this.options.clusterTime();
    for (const feed of this.feeds) {
      if (feed.known === END_OF_TIME) continue;
      const room = this.options.bufferLimit - feed.buffer.length;
      if (room <= 0) continue;
      feed.shard.node.clock.advanceTo(clusterTime);
      const batch = await feed.cursor.nextBatch(room, 0);
      for (const event of batch.events) if (this.keep(feed, event)) feed.buffer.push(event);
      if (batch.invalidated) {
        // This shard's stream ended (its copy of the collection was dropped); it no longer holds others back.
        feed.known = END_OF_TIME;
        continue;
      }
      // A shard's awaitData getMore answers as soon as its oplog moves (an event, another collection's
      // write, a no-op), with a post-batch resume token that far; otherwise after shardWaitMs, empty.
      const reached = reachedBy(batch.postBatchResumeToken);
      const moved = compareTimestamps(reached, feed.known) > 0;
      if (!moved && batch.events.length === 0 && now - feed.answeredAt < this.options.shardWaitMs) continue;
      feed.answeredAt = now;
      if (moved) feed.known = reached;
    }
  }

  /** DDL and invalidate events happen on every shard that holds the collection; report them once. */
  private keep(feed: Feed, { doc: event }: StreamEvent): boolean {
    if (CRUD.has(event.operationType)) return true;
    const scope = this.spec.scope;
    const db = (event.ns as Document | undefined)?.db ?? (scope.kind === 'cluster' ? undefined : scope.db);
    const primary = db === undefined ? 0 : this.options.primaryOf(db) ?? 0;
    return feed.shard.index === primary;
  }

  /** Events every shard has passed, in cluster-time order; advances the resume token. */
  private release(limit: number): StreamEvent[] {
    const frontier = this.frontier;
    const out: StreamEvent[] = [];
    while (out.length < limit) {
      let best: Feed | undefined;
      let bestTs: Timestamp | undefined;
      for (const feed of this.feeds) {
        const head = feed.buffer[0];
        if (head === undefined) continue;
        const ts = head.doc.clusterTime as Timestamp;
        if (bestTs === undefined || compareTimestamps(ts, bestTs) < 0) {
          best = feed;
          bestTs = ts;
        }
      }
      if (!best || compareTimestamps(bestTs!, frontier) > 0) break;
      const event = best.buffer.shift()!;
      this.lastTs = bestTs!;
      this.lastToken = event.doc._id as Document;
      if (event.doc.operationType === 'invalidate') {
        out.push(event);
        this.invalidated = true;
        return out;
      }
      const shown = this.transform(this.copyFirst ? copyPlain(event.doc) : event.doc);
      if (shown && this.split) for (const fragment of splitLargeEvent(shown)) out.push(fragment === event.doc ? event : { doc: fragment });
      else if (shown === event.doc) out.push(event); // unchanged: the shard's encoded bytes are reused
      else if (shown) out.push({ doc: shown });
    }
    if (out.length < limit && frontier !== END_OF_TIME && compareTimestamps(frontier, this.lastTs) > 0) {
      this.lastTs = frontier;
      this.lastToken = encodeToken({ ts: frontier, kind: TokenKind.HighWaterMark, fragment: 0 });
    }
    return out;
  }
}

/**
 * A copy of a document's plain objects and arrays (the parts a pipeline stage may write into); BSON values
 * (Timestamp, Binary, ObjectId...) are kept as they are: structuredClone would turn them into plain objects.
 */
function copyPlain<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyPlain) as T;
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Document = {};
  for (const key of Object.keys(value)) out[key] = copyPlain((value as Document)[key]);
  return out as T;
}

/** The cluster time a shard's post-batch resume token says it has reached. */
function reachedBy(token: Document): Timestamp {
  const decoded = decodeToken(token);
  return decoded.kind === TokenKind.Before ? previous(decoded.ts) : decoded.ts;
}

/** The Timestamp just before `ts`. */
function previous(ts: Timestamp): Timestamp {
  return ts.i > 0 ? new Timestamp({ t: ts.t, i: ts.i - 1 }) : new Timestamp({ t: Math.max(0, ts.t - 1), i: 0xffffffff });
}

function anyAborted(signal: AbortSignal | readonly AbortSignal[] | undefined): boolean {
  if (signal === undefined) return false;
  return Array.isArray(signal) ? signal.some((s) => s.aborted) : (signal as AbortSignal).aborted;
}

/** Resolves at the first append to any of `oplogs`, after `ms`, or when a signal aborts. */
function waitForAny(oplogs: Array<{ waitForAppend(ms: number, signal?: readonly AbortSignal[]): Promise<void> }>, ms: number, signal?: AbortSignal | readonly AbortSignal[]): Promise<void> {
  const local = new AbortController();
  const signals = [local.signal, ...(signal === undefined ? [] : Array.isArray(signal) ? signal : [signal as AbortSignal])];
  const waits = oplogs.map((oplog) => oplog.waitForAppend(ms, signals));
  if (waits.length === 0) {
    waits.push(new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        for (const s of signals) s.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      for (const s of signals) s.addEventListener('abort', done, { once: true });
    }));
  }
  return Promise.race(waits).finally(() => local.abort());
}

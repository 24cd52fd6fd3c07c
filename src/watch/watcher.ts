import type { ChangeStream, ChangeStreamDocument, ClientSession, Document, MongoClient, ResumeToken, Timestamp } from 'mongodb';
import { FAMILIAR_SYMBOL_NAMES } from '../load/dataset.js';
import { awaitTimeForThreshold, HoldBackTracker, resumeTokenTime, type LiveStagger } from '../measure/staggers.js';
import { epochNow } from '../mutate/timer.js';

/**
 * The one watcher: initial sync + resume token + change stream, delivering plain data to subscribers.
 *
 * Start-up, so nothing between the read and the stream is lost and nothing is delivered twice:
 *   1. read the current prices of the followed symbols with read concern `snapshot` (MongoDB 5.0+ replica
 *      sets and clusters), which says the cluster time it read at (`atClusterTime`);
 *   2. open the change stream at that time (`startAtOperationTime`);
 *   3. deliver events after it (those at it are in the snapshot already).
 * On a server without snapshot reads: open the stream and take its resume token first, then read (a
 * change in between may then be both in the read and delivered).
 *
 * The driver resumes by itself after resumable errors; the watcher also remembers what it delivered so a
 * subscriber never sees an event twice. When the token fell off the oplog (ChangeStreamHistoryLost, 286)
 * it announces a `resync`, re-does the initial sync and goes on. The watcher never prints.
 *
 * Staggers (with `staggerThresholdMs`): the stream runs in a session of its own, so the session's cluster
 * time is what this stream's replies said; on each reply (the driver's `resumeTokenChanged`) the watcher
 * notes that time and, once a batch is consumed, the post-batch resume token, and `HoldBackTracker`
 * (src/measure/staggers.ts) judges the hold-back. Per event that is one property read and a comparison.
 */

export interface Tick {
  seq: number;
  at: number;
  w: number;
}

export type Operation = 'update' | 'insert' | 'delete' | 'replace' | 'other';

export interface SnapshotEvent {
  kind: 'snapshot';
  /** Current price of every followed symbol found (a symbol missing from the collection is absent). */
  prices: Record<string, number>;
  /** Receipt time of the snapshot (epoch ms). */
  at: number;
}

export interface ChangeEvent {
  kind: 'change';
  /** The document `_id`: the stock symbol. */
  symbol: string;
  /** The new price; null after a delete, or when the event carries none (`--all`). */
  price: number | null;
  /** The price before this change as far as the watcher knows (snapshot or earlier event), else null. */
  previous: number | null;
  op: Operation;
  /** Receipt time, epoch ms with sub-millisecond precision. */
  at: number;
  /** The event's cluster time as `{ t, i }`. */
  clusterTime: { t: number; i: number } | null;
  /** The server's wall clock for the event (epoch ms), when it says. */
  wallTime: number | null;
  /** The mutator's stamp: sequence number, intended send time, writer id. */
  tick?: Tick;
}

export interface ResyncEvent {
  kind: 'resync';
  reason: string;
}

/** A stagger, once it ended: for `gapMs` the server held back events of this stream (see src/measure/staggers.ts). */
export interface StaggerEvent extends LiveStagger {
  kind: 'stagger';
  thresholdMs: number;
}

export type WatchEvent = SnapshotEvent | ChangeEvent | ResyncEvent | StaggerEvent;
export type Subscriber = (event: WatchEvent) => void;

export interface WatcherOptions {
  client: MongoClient;
  db: string;
  coll: string;
  /** Symbols to follow; default the thirteen familiar symbols. */
  symbols?: readonly string[];
  /** Deliver every event of the collection, not only price updates of the followed symbols. */
  all?: boolean;
  /**
   * Test hook: runs in the gap between the two steps of start-up (after the snapshot read, before the
   * stream opens at its time; without snapshot reads, after the stream's token is taken, before the read).
   */
  inStartUpGap?: () => Promise<void> | void;
  /** How long the server waits for events per getMore (ms). Default 1000, or half the stagger threshold. */
  maxAwaitTimeMS?: number;
  /** Watch for staggers: a hold-back longer than this (ms) is one (published as a `stagger` event). */
  staggerThresholdMs?: number;
  /** After a non-resumable failure (e.g. the server went away), wait this long between reconnects. */
  retryDelayMs?: number;
  /** Give up after this many consecutive failed restarts. Default 10. */
  maxRestarts?: number;
}

export interface Watcher {
  /** Adds a subscriber; returns the function that removes it. A subscriber cannot stop the stream. */
  subscribe(subscriber: Subscriber): () => void;
  /** Opens the stream, reads the snapshot and delivers it; resolves once events flow. */
  start(): Promise<SnapshotEvent>;
  /** Resolves when the watcher stopped; rejects when it failed for good. */
  readonly done: Promise<void>;
  /** The latest known price of each followed symbol. */
  prices(): Record<string, number>;
  stats(): WatcherStats;
  /** The stream's current resume token (post-batch: it advances on an idle stream too), if open. */
  resumeToken(): unknown;
  /** How long the server has been holding this stream's events back (ms; 0 when not, or not watched). */
  heldBackMs(now?: number): number;
  /** Closes the stream; idempotent. */
  stop(): Promise<void>;
}

export interface WatcherStats {
  delivered: number;
  /** Events the stream repeated after a resume and the watcher held back. */
  duplicatesDropped: number;
  /** Events already reflected in a snapshot, held back. */
  coveredBySnapshot: number;
  resyncs: number;
  restarts: number;
}

export const HISTORY_LOST = 286;

/** The `$match` of the original TRACE/DISPLAY: price updates of the followed symbols. */
export function priceUpdateFilter(symbols: readonly string[]): Document {
  return {
    operationType: 'update',
    'updateDescription.updatedFields.price': { $exists: true },
    'documentKey._id': { $in: [...symbols] },
  };
}

export function createWatcher(options: WatcherOptions): Watcher {
  const symbols = [...(options.symbols ?? FAMILIAR_SYMBOL_NAMES)];
  const collection = options.client.db(options.db).collection<Document>(options.coll);
  const pipeline = options.all ? [] : [{ $match: priceUpdateFilter(symbols) }];
  const subscribers = new Set<Subscriber>();
  const prices: Record<string, number> = {};
  const stats: WatcherStats = { delivered: 0, duplicatesDropped: 0, coveredBySnapshot: 0, resyncs: 0, restarts: 0 };

  let stream: ChangeStream<Document> | undefined;
  let stopped = false;
  const threshold = options.staggerThresholdMs;
  const holdBack = threshold === undefined ? undefined : new HoldBackTracker(threshold, (s) => publish({ kind: 'stagger', thresholdMs: threshold, ...s }));
  /** The stream's own session (no causal consistency: nothing is read after its operation time). */
  const session: ClientSession | undefined = holdBack ? options.client.startSession({ causalConsistency: false }) : undefined;
  const settleTimer = holdBack ? setInterval(() => holdBack.tick(epochNow()), 50) : undefined;
  settleTimer?.unref();
  let started: Promise<SnapshotEvent> | undefined;
  let lastToken: ResumeToken | undefined;
  /** Cluster time the snapshot is known to include; events at or before it are in it already. */
  let snapshotTime: Timestamp | undefined;
  /** Delivery order guard: the last delivered cluster time and the tokens delivered at that time. */
  let lastTime: Timestamp | undefined;
  let tokensAtLastTime = new Set<string>();

  let resolveDone!: () => void;
  let rejectDone!: (error: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  done.catch(() => undefined); // a caller that never awaits `done` must not crash the process

  const publish = (event: WatchEvent): void => {
    for (const subscriber of [...subscribers]) {
      try {
        subscriber(event);
      } catch {
        // A subscriber's bug must not stop the stream or the other subscribers.
      }
    }
  };

  const awaitMs = options.maxAwaitTimeMS ?? (threshold === undefined ? 1000 : awaitTimeForThreshold(threshold));
  const open = (from?: { resumeAfter: ResumeToken } | { startAtOperationTime: Timestamp }): ChangeStream<Document> => {
    const opened = collection.watch(pipeline, { maxAwaitTimeMS: awaitMs, ...from, ...(session ? { session } : {}) });
    if (holdBack && session) {
      let seen: unknown;
      opened.on('resumeTokenChanged', (token: unknown) => {
        const clusterTime = session.clusterTime;
        const now = epochNow();
        if (clusterTime !== seen && clusterTime) {
          seen = clusterTime;
          holdBack.clusterTime(clusterTime.clusterTime, now);
        }
        // Mid-batch the token is an event's (its delivery says as much); after the batch, the post-batch token.
        if (opened.bufferedCount() === 0) {
          const at = resumeTokenTime(token);
          if (at) holdBack.resumePoint(at, now);
        }
      });
    }
    return opened;
  };

  /** A fresh stream; its first tryNext runs the aggregate, after which the driver holds a resume token. */
  const openFresh = async (from?: { startAtOperationTime: Timestamp }): Promise<ChangeStreamDocument<Document>[]> => {
    await stream?.close().catch(() => undefined);
    const fresh = open(from);
    stream = fresh;
    const first = await fresh.tryNext();
    lastToken = fresh.resumeToken;
    return first ? [first] : [];
  };

  /** Steps 1 and 2: the snapshot, then the stream from its time. Returns events that came with the stream's first batch. */
  const initialSync = async (): Promise<{ snapshot: SnapshotEvent; early: ChangeStreamDocument<Document>[] }> => {
    let early: ChangeStreamDocument<Document>[] = [];
    let read = await readPrices(options.client, options.db, options.coll, symbols, 'snapshot');
    if (read.readTime) {
      await options.inStartUpGap?.();
      early = await openFresh({ startAtOperationTime: read.readTime });
    } else {
      early = await openFresh();
      await options.inStartUpGap?.();
      read = await readPrices(options.client, options.db, options.coll, symbols, 'plain');
    }
    for (const key of Object.keys(prices)) delete prices[key];
    Object.assign(prices, read.found);
    snapshotTime = read.readTime;
    return { snapshot: { kind: 'snapshot', prices: { ...read.found }, at: epochNow() }, early };
  };

  const deliver = (doc: ChangeStreamDocument<Document>): void => {
    lastToken = doc._id as ResumeToken;
    const time = (doc as { clusterTime?: Timestamp }).clusterTime;
    const tokenKey = JSON.stringify(doc._id);
    if (time) {
      if (snapshotTime && compareTs(time, snapshotTime) <= 0) {
        stats.coveredBySnapshot++;
        return;
      }
      if (lastTime) {
        const order = compareTs(time, lastTime);
        if (order < 0 || (order === 0 && tokensAtLastTime.has(tokenKey))) {
          stats.duplicatesDropped++;
          return;
        }
        if (order > 0) tokensAtLastTime = new Set();
      }
      lastTime = time;
      tokensAtLastTime.add(tokenKey);
    }
    const event = toChangeEvent(doc, prices);
    holdBack?.delivered(event.clusterTime, event.at);
    if (event.price !== null) prices[event.symbol] = event.price;
    else if (event.op === 'delete') delete prices[event.symbol];
    stats.delivered++;
    publish(event);
  };

  const loop = async (): Promise<void> => {
    let failures = 0;
    /** The most telling error of the current outage (not the driver's "ChangeStream is closed" after it gave up). */
    let cause: unknown;
    while (!stopped) {
      try {
        const doc = await stream!.next();
        failures = 0;
        cause = undefined;
        if (stopped) return;
        deliver(doc);
      } catch (error) {
        if (stopped) return;
        if (codeOf(error) === HISTORY_LOST) {
          await announceResync();
          continue;
        }
        if (!isClosedStreamError(error) || cause === undefined) cause = error;
        // Not resumable by the driver (or its own resume failed): reopen from our last token.
        if (++failures > (options.maxRestarts ?? 10)) throw cause;
        stats.restarts++;
        await sleep(options.retryDelayMs ?? 500);
        if (stopped) return;
        await stream?.close().catch(() => undefined);
        try {
          stream = open(lastToken ? { resumeAfter: lastToken } : undefined);
          // Runs the aggregate now, so "history lost" shows up here rather than inside next().
          const first = await stream.tryNext();
          if (first) deliver(first);
        } catch (reopenError) {
          if (codeOf(reopenError) === HISTORY_LOST) await announceResync();
          else if (!isClosedStreamError(reopenError)) cause = reopenError;
          // Otherwise the next turn fails again and counts it.
        }
      }
    }
  };

  const announceResync = async (): Promise<void> => {
    stats.resyncs++;
    publish({ kind: 'resync', reason: 'the resume point fell off the oplog (ChangeStreamHistoryLost); reading current prices again' });
    await resyncOrRetry();
  };

  const resyncOrRetry = async (): Promise<void> => {
    for (let attempt = 0; !stopped; attempt++) {
      try {
        const { snapshot, early } = await initialSync();
        lastTime = undefined;
        tokensAtLastTime = new Set();
        publish(snapshot);
        for (const doc of early) deliver(doc);
        return;
      } catch (error) {
        if (attempt >= (options.maxRestarts ?? 10)) throw error;
        await sleep(options.retryDelayMs ?? 500);
      }
    }
  };

  return {
    subscribe(subscriber) {
      subscribers.add(subscriber);
      return () => void subscribers.delete(subscriber);
    },
    start() {
      started ??= (async () => {
        const { snapshot, early } = await initialSync();
        publish(snapshot);
        for (const doc of early) deliver(doc);
        loop().then(resolveDone, async (error) => {
          await stream?.close().catch(() => undefined);
          rejectDone(error);
        });
        return snapshot;
      })();
      return started;
    },
    done,
    prices: () => ({ ...prices }),
    stats: () => ({ ...stats }),
    resumeToken: () => stream?.resumeToken ?? lastToken,
    heldBackMs: (now = epochNow()) => holdBack?.heldMs(now) ?? 0,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (settleTimer) clearInterval(settleTimer);
      await stream?.close().catch(() => undefined);
      holdBack?.finish();
      await session?.endSession().catch(() => undefined);
      resolveDone(); // the loop sees `stopped` and returns
    },
  };
}

/**
 * Reads the followed symbols' prices. A `snapshot` read also says the cluster time it read at; `readTime` is
 * absent when the server refused the snapshot read (so the caller falls back) or for a `plain` read.
 */
async function readPrices(
  client: MongoClient,
  db: string,
  coll: string,
  symbols: readonly string[],
  how: 'snapshot' | 'plain',
): Promise<{ found: Record<string, number>; readTime?: Timestamp }> {
  const database = client.db(db);
  const find = { find: coll, filter: { _id: { $in: [...symbols] } }, projection: { price: 1 }, batchSize: symbols.length + 1 };
  let reply: Document;
  let readTime: Timestamp | undefined;
  if (how === 'snapshot') {
    try {
      reply = await database.command({ ...find, readConcern: { level: 'snapshot' } });
      readTime = reply.cursor?.atClusterTime;
    } catch (error) {
      if (!isRefusedSnapshotRead(error)) throw error;
      return { found: {} };
    }
    if (!readTime) return { found: {} };
  } else {
    reply = await database.command(find);
  }
  const docs: Document[] = [...(reply.cursor?.firstBatch ?? [])];
  let cursorId = reply.cursor?.id;
  while (cursorId && !isZero(cursorId)) {
    const more = await database.command({ getMore: cursorId, collection: coll });
    docs.push(...(more.cursor?.nextBatch ?? []));
    cursorId = more.cursor?.id;
  }
  const found: Record<string, number> = {};
  for (const doc of docs) if (typeof doc._id === 'string' && typeof doc.price === 'number') found[doc._id] = doc.price;
  return readTime ? { found, readTime } : { found };
}

/**
 * A server that cannot do snapshot reads says so with a server error (InvalidOptions, NotAReplicaSet,
 * IllegalOperation, ReadConcernMajorityNotEnabled, a pre-5.0 server's refusal); a network error is no answer.
 */
function isRefusedSnapshotRead(error: unknown): boolean {
  return error instanceof Error && error.name === 'MongoServerError';
}

function isZero(id: unknown): boolean {
  if (typeof id === 'number' || typeof id === 'bigint') return Number(id) === 0;
  const maybeLong = id as { isZero?: () => boolean };
  return typeof maybeLong.isZero === 'function' ? maybeLong.isZero() : false;
}

export function toChangeEvent(doc: ChangeStreamDocument<Document>, known: Record<string, number>): ChangeEvent {
  const d = doc as Document;
  const symbol = String(d.documentKey?._id ?? '');
  const op: Operation = ['update', 'insert', 'delete', 'replace'].includes(d.operationType) ? d.operationType : 'other';
  const fields: Document | undefined = op === 'update' ? d.updateDescription?.updatedFields : d.fullDocument;
  const price = typeof fields?.price === 'number' ? fields.price : null;
  const tick = fields?.tick;
  const time = d.clusterTime as Timestamp | undefined;
  const event: ChangeEvent = {
    kind: 'change',
    symbol,
    price,
    previous: Object.hasOwn(known, symbol) ? known[symbol]! : null,
    op,
    at: epochNow(),
    clusterTime: time ? { t: time.t, i: time.i } : null,
    wallTime: d.wallTime instanceof Date ? d.wallTime.getTime() : null,
  };
  if (tick && typeof tick.seq === 'number' && typeof tick.at === 'number') event.tick = { seq: tick.seq, at: tick.at, w: Number(tick.w ?? 0) };
  return event;
}

function compareTs(a: Timestamp, b: Timestamp): number {
  return a.t !== b.t ? a.t - b.t : a.i - b.i;
}

function isClosedStreamError(error: unknown): boolean {
  return error instanceof Error && error.name === 'MongoAPIError' && /closed/i.test(error.message);
}

function codeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

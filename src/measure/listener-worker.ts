/**
 * A listener thread (piscina worker): one task runs a group of listeners, each its own change stream on
 * the collection, and records their events with a ListenerGroupRecorder. Talks to the main thread over
 * the task's MessagePort:
 *   worker → main  { type: 'ready' } once every stream is open; { type: 'progress', events } each 500 ms
 *   main → worker  { type: 'go', windowStart, windowEnd }; { type: 'finish', drainMs } once the writers are done
 * and, over one port per writer thread (`writerPorts`, straight from the writer: the main thread is not
 * woken per batch), { type: 'writes', batch } in order, then { type: 'end' }; the results wait for every
 * writer's end.
 * A listener ends when it receives the fence document (written after the last write) or when the drain
 * time after 'finish' runs out. Measuring code: never prints.
 */
import type { EventEmitter } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { MessagePort } from 'node:worker_threads';
import { MongoClient, type ChangeStream, type Document } from 'mongodb';
import { resumeTokenSeconds } from '../metrics/oplog-window.js';
import { epochNow } from '../mutate/timer.js';
import { ListenerGroupRecorder, type ChangeEventLike, type GroupResult, type WriteBatch } from './recorder.js';

export interface ListenerTask {
  uri: string;
  db: string;
  coll: string;
  /** names of the listeners in this group */
  listeners: string[];
  fullDocument: boolean;
  staggerThresholdMs: number;
  /** `_id` of the document written after the last write: a listener that receives it is complete */
  fenceId: string;
  /**
   * A distributed run: the fences of every agent (each writes its own after its last write); a listener
   * is complete once it has received all of them. Default: `[fenceId]`.
   */
  fenceIds?: string[];
  /** RecorderOptions of the same names: time only these writers' events; return the receipts */
  ownWriters?: { from: number; to: number };
  keepReceipts?: boolean;
  port: MessagePort;
  /** one per writer thread: its reports, straight from it (see the header) */
  writerPorts: MessagePort[];
  /** sequence numbers per writer in the run (rate x run time): the audit arrays are sized for it */
  expectedSeqs?: number;
  /** post each closed second's endToEnd histogram ({ type: 'latency', encoded }) for live metrics */
  liveLatency?: boolean;
  /**
   * Watch with MEASURED_FIELDS (a server-side $project) rather than whole events: the server sends less
   * and the listener decodes less (latency-run's PROJECT_FROM_LISTENERS says when).
   */
  measuredFieldsOnly?: boolean;
  /** the change stream's batch size (events per getMore); default the server's */
  batchSize?: number;
}

export interface ListenerTaskResult extends GroupResult {
  errors: string[];
  /** How far each listener fell behind its stream: events that waited in this thread, not at the server. */
  backlog: ListenerBacklog[];
  /** this thread's event-loop delay while listening: a busy thread delays every listener in it */
  loopDelayMs: { p99: number; max: number };
}

export interface ListenerBacklog {
  listener: string;
  /** most events the driver held for this listener, received but not yet read */
  maxBuffered: number;
  /** longest an event waited in this thread between its reply's arrival and being read, ms */
  maxQueuedMs: number;
}

/**
 * Only what the recorder reads (kind, times, key and the write's tick, lifted to the top): the server
 * sends less and the listener decodes about half as much per event (2.7 µs instead of 5.3 for an update,
 * bson 6 on this machine). _id, the resume token, stays. With fullDocument: 'updateLookup' the server
 * still looks the document up; only its tick travels. The server pays for it once per event for every
 * stream with this pipeline (identical streams share it): see `measuredFieldsOnly`.
 */
export const MEASURED_FIELDS = [{
  $project: {
    operationType: 1, clusterTime: 1, wallTime: 1, documentKey: 1,
    tick: { $ifNull: ['$updateDescription.updatedFields.tick', '$fullDocument.tick'] },
  },
}];

type MainMessage =
  | { type: 'go'; windowStart: number; windowEnd?: number }
  | { type: 'finish'; drainMs: number; fences?: string[] };

type WriterMessage = { type: 'writes'; batch: WriteBatch } | { type: 'end' };

const PROGRESS_MS = 500;

export default async function listenerTask(task: ListenerTask): Promise<ListenerTaskResult> {
  const { port } = task;
  const client = new MongoClient(task.uri, {
    appName: 'ticker-listener',
    maxPoolSize: task.listeners.length + 2,
    serverSelectionTimeoutMS: 5_000,
  });
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const errors: string[] = [];
  let recorder: ListenerGroupRecorder | undefined;
  let finishResolve!: (drainMs: number) => void;
  const finished = new Promise<number>((resolve) => (finishResolve = resolve));
  const early: WriteBatch[] = [];
  const fences = new FenceSet(task.fenceIds ?? [task.fenceId]);

  port.on('message', (message: MainMessage) => {
    switch (message.type) {
      case 'go':
        recorder = new ListenerGroupRecorder({
          listeners: task.listeners,
          windowStart: message.windowStart,
          ...(message.windowEnd === undefined ? {} : { windowEnd: message.windowEnd }),
          staggerThresholdMs: task.staggerThresholdMs,
          ...(task.liveLatency
            ? { onInterval: (i) => i.tag === 'endToEnd' && port.postMessage({ type: 'latency', encoded: i.encoded }) }
            : {}),
          ownWriters: task.ownWriters,
          keepReceipts: task.keepReceipts,
          expectedSeqs: task.expectedSeqs,
        });
        for (const batch of early.splice(0)) recorder.onWrites(batch);
        break;
      case 'finish':
        // Fences of agents that went missing will never come: wait only for those still expected.
        if (message.fences) fences.expect(message.fences);
        finishResolve(message.drainMs);
        break;
    }
  });

  // Each writer's reports, in order; `writersDone` once every writer said it has sent its last.
  const writersDone = Promise.all(task.writerPorts.map((writer) => new Promise<void>((resolve) => {
    const end = (): void => {
      writer.close();
      resolve();
    };
    writer.on('message', (message: WriterMessage) => {
      if (message.type === 'end') end();
      else if (recorder) recorder.onWrites(message.batch);
      else early.push(message.batch);
    });
    writer.once('close', resolve); // a writer thread that died sends no end
  })));

  const streams: ChangeStream[] = [];
  const lastReceipt = task.listeners.map(() => 0);
  const backlog: ListenerBacklog[] = task.listeners.map((listener) => ({ listener, maxBuffered: 0, maxQueuedMs: 0 }));
  const progress = setInterval(() => {
    if (!recorder) return;
    // the stream furthest behind speaks for the group: the oldest last receipt and resume token
    const tokens = streams.map((s) => resumeTokenSeconds(s.resumeToken)).filter((t) => t !== undefined);
    port.postMessage({
      type: 'progress',
      events: recorder.eventCounts().reduce((a, b) => a + b, 0),
      lastReceiptAt: Math.min(...lastReceipt),
      ...(tokens.length > 0 ? { tokenSeconds: Math.min(...tokens) } : {}),
    });
  }, PROGRESS_MS);
  try {
    await client.connect();
    const collection = client.db(task.db).collection(task.coll);
    const opened: Promise<void>[] = [];
    const done: Promise<void>[] = [];
    task.listeners.forEach((_, index) => {
      const stream = collection.watch(task.measuredFieldsOnly ? MEASURED_FIELDS : [], {
        ...(task.fullDocument ? { fullDocument: 'updateLookup' as const } : {}),
        ...(task.batchSize !== undefined ? { batchSize: task.batchSize } : {}),
      });
      streams.push(stream);
      const { open, ended } = runListener(index, stream, fences, () => recorder, (e) => errors.push(e), (at) => (lastReceipt[index] = at), backlog[index]!);
      opened.push(open);
      done.push(ended);
    });
    await Promise.all(opened);
    loopDelay.enable();
    port.postMessage({ type: 'ready' });

    const drainMs = await finished;
    const deadline = setTimeout(() => {
      for (const stream of streams) void stream.close().catch(() => undefined);
    }, drainMs);
    await Promise.all(done);
    clearTimeout(deadline);
    await writersDone;
    loopDelay.disable();
    const result = (recorder ?? new ListenerGroupRecorder({ listeners: task.listeners, windowStart: Infinity, staggerThresholdMs: task.staggerThresholdMs })).finish();
    const delay = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
    return { ...result, errors, backlog, loopDelayMs: Number.isFinite(delay.max) ? delay : { p99: 0, max: 0 } };
  } finally {
    loopDelay.disable();
    clearInterval(progress);
    port.removeAllListeners('message');
    port.close();
    for (const writer of task.writerPorts) writer.close();
    await Promise.all(streams.map((s) => s.close().catch(() => undefined)));
    await client.close().catch(() => undefined);
  }
}

/**
 * Iterates one change stream. `open` resolves when the server has opened it (the aggregate replied), so
 * writes made after it are seen; `ended` when the fence arrived or the stream was closed.
 */
function runListener(
  index: number,
  stream: ChangeStream,
  fences: FenceSet,
  recorder: () => ListenerGroupRecorder | undefined,
  onError: (message: string) => void,
  onReceipt: (at: number) => void,
  backlog: ListenerBacklog,
): { open: Promise<void>; ended: Promise<void> } {
  let replyTime: { t: number } | undefined;
  /** when the reply carrying the events being read arrived (epoch ms) */
  let replyAt = 0;
  let openResolve!: () => void;
  const open = new Promise<void>((resolve) => (openResolve = resolve));
  let watched: EventEmitter | undefined;
  // The driver's change-stream cursor reports each aggregate/getMore reply; its operationTime is the
  // server-side reference MongoDB's own latency test uses. A resume replaces the cursor: re-attach.
  const attach = (): void => {
    const cursor = (stream as unknown as { cursor?: EventEmitter }).cursor;
    if (!cursor || cursor === watched) return;
    watched = cursor;
    const onReply = (response: { operationTime?: { t: number } } | undefined): void => {
      replyAt = epochNow();
      if (response?.operationTime) replyTime = response.operationTime;
    };
    cursor.on('init', (response) => {
      onReply(response);
      openResolve();
    });
    cursor.on('more', onReply);
  };
  attach();

  const ended = (async () => {
    try {
      for (;;) {
        const event = (await stream.next()) as Document | null;
        const receiptAt = epochNow();
        if (event === null) break;
        attach();
        const id = event.documentKey?._id;
        if (typeof id === 'string' && fences.isFence(id)) {
          if (fences.receive(index, id)) break;
          continue;
        }
        recorder()?.onEvent(index, event as ChangeEventLike, receiptAt, replyTime);
        onReceipt(receiptAt);
        // What this listener has not read yet, and how long this event sat here: its own lag, not the server's.
        const buffered = (stream as unknown as { cursor?: { bufferedCount(): number } }).cursor?.bufferedCount() ?? 0;
        if (buffered > backlog.maxBuffered) backlog.maxBuffered = buffered;
        if (replyAt > 0 && receiptAt - replyAt > backlog.maxQueuedMs) backlog.maxQueuedMs = receiptAt - replyAt;
      }
    } catch (error) {
      if (!stream.closed) onError(error instanceof Error ? error.message : String(error));
    } finally {
      openResolve(); // never leave the caller waiting on a stream that failed to open
    }
  })();
  // A listener waiting only for a fence that is no longer expected is complete now.
  fences.onComplete(index, () => void stream.close().catch(() => undefined));
  return { open, ended };
}

/** The fences each listener has received, against those still expected. */
class FenceSet {
  private expected: Set<string>;
  private readonly all: Set<string>;
  private readonly seen = new Map<number, Set<string>>();
  private readonly waiters = new Map<number, () => void>();

  constructor(ids: readonly string[]) {
    this.all = new Set(ids);
    this.expected = new Set(ids);
  }

  isFence(id: string): boolean {
    return this.all.has(id);
  }

  /** Records a fence for listener `index`; true when that listener has every expected fence. */
  receive(index: number, id: string): boolean {
    let seen = this.seen.get(index);
    if (!seen) this.seen.set(index, (seen = new Set()));
    seen.add(id);
    return this.complete(index);
  }

  expect(ids: readonly string[]): void {
    this.expected = new Set(ids);
    for (const [index, done] of this.waiters) if (this.complete(index)) done();
  }

  onComplete(index: number, done: () => void): void {
    this.waiters.set(index, done);
  }

  private complete(index: number): boolean {
    const seen = this.seen.get(index);
    for (const id of this.expected) if (!seen?.has(id)) return false;
    return true;
  }
}

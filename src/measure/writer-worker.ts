/**
 * A writer thread (piscina worker): one task runs the mutator (open loop, at `rate`) and reports, in
 * batches over the task's MessagePort, each operation's actual send time and whether it was
 * acknowledged (deletes: which `_id`), so the listener threads can compute the uncorrected latency and the audit. Write
 * acknowledgement time is recorded here, in a histogram.
 *   worker → main  { type: 'ready' }; { type: 'progress', ... }; { type: 'writes', batch } only with
 *                  `batchesToMain`; { type: 'done', result } (always the last message)
 *   main → worker  { type: 'go', startAt, windowStart, durationMs }; { type: 'stop' }
 *   worker → each listener thread's port (`listenerPorts`)  { type: 'writes', batch }, then { type: 'end' }
 * The batches go to the listener threads directly: relayed by the main thread, they woke it 200 times a
 * second, a third busy thread on a machine whose cores the server and the listener already use.
 * Measuring code: never prints.
 */
import type { MessagePort } from 'node:worker_threads';
import { MongoClient } from 'mongodb';
import { inRanges } from '../connect/chunk-map.js';
import type { BulkLayout } from '../load/dataset.js';
import { runMutator, type WriteEvent } from '../mutate/mutator.js';
import { epochNow, hybridTimer } from '../mutate/timer.js';
import { WriteState } from './audit.js';
import { createLatencyMicros, encodeHistogram, recordMicros } from './histograms.js';
import { IntervalRecorder, type IntervalHistogram } from './intervals.js';
import { WRITE_FIELDS, type WriteBatch } from './recorder.js';

export interface WriterTask {
  uri: string;
  db: string;
  coll: string;
  writerId: number;
  /** how many writers share the bulk `Z` symbols (each takes the numbers ≡ writerId mod writers) */
  writers: number;
  /** this writer's operations per second */
  rate: number;
  /**
   * How long after the common start this writer's plan begins (less than one of its intervals): writers
   * of one run, in one process or on several agents, interleave their sends instead of sending together.
   */
  phaseMs?: number;
  mix?: string;
  /** the bulk key space, read once by the main thread */
  layout: BulkLayout;
  /** symbols in these [min, max) `_id` ranges are never written (a cold shard); null is unbounded */
  avoid?: { min: string | null; max: string | null }[];
  port: MessagePort;
  /** one per listener thread, its end of a channel to it: the batches of writer reports */
  listenerPorts: MessagePort[];
  /** also send the batches to the main thread (a distributed run's agent keeps a ledger there) */
  batchesToMain?: boolean;
}

export interface WriterResult {
  writerId: number;
  /** operations intended inside the measured window */
  writes: number;
  writeErrors: number;
  /** writes per second inside the window */
  achievedRate: number;
  maxBehindMs: number;
  /** write acknowledged − actual send, microseconds, acknowledged writes of the window */
  writeAck: string;
  /** writeAck per second of the window (by acknowledgement time) and sendLag (by intended time), for the .hlog */
  intervals: IntervalHistogram[];
  firstError?: string;
  error?: string;
}

type MainMessage = { type: 'go'; startAt: number; windowStart: number; durationMs: number } | { type: 'stop' };

const FLUSH_MS = 5;
const FLUSH_OPS = 512;

export default async function writerTask(task: WriterTask): Promise<void> {
  const { port } = task;
  const stop = new AbortController();
  let go: Extract<MainMessage, { type: 'go' }> | undefined;
  let goResolve!: () => void;
  const started = new Promise<void>((resolve) => (goResolve = resolve));
  port.on('message', (message: MainMessage) => {
    if (message.type === 'go') {
      go = message;
      goResolve();
    } else {
      stop.abort();
      goResolve();
    }
  });

  const writeAck = createLatencyMicros();
  const result: WriterResult = { writerId: task.writerId, writes: 0, writeErrors: 0, achievedRate: 0, maxBehindMs: 0, writeAck: '', intervals: [] };
  let intervals: IntervalRecorder | undefined;
  let lastAckAt = 0;
  let buffer: number[] = [];
  let deletes: WriteBatch['deletes'] = [];
  const targets = task.batchesToMain ? [...task.listenerPorts, port] : task.listenerPorts;
  const flush = (): void => {
    if (buffer.length === 0 && deletes.length === 0) return;
    const batch: WriteBatch = { writes: Float64Array.from(buffer), deletes };
    // one receiver takes the buffer; several get a copy each
    if (targets.length === 1) targets[0]!.postMessage({ type: 'writes', batch }, [batch.writes.buffer as ArrayBuffer]);
    else for (const target of targets) target.postMessage({ type: 'writes', batch });
    buffer = [];
    deletes = [];
  };

  const client = new MongoClient(task.uri, { appName: 'ticker-writer', serverSelectionTimeoutMS: 5_000 });
  const timer = setInterval(flush, FLUSH_MS);
  try {
    await client.connect();
    port.postMessage({ type: 'ready' });
    await started;
    if (!go || stop.signal.aborted) return;
    const { windowStart } = go;
    intervals = new IntervalRecorder(windowStart);
    const phaseMs = task.phaseMs ?? 0;
    const startAt = go.startAt + phaseMs;
    await hybridTimer().waitUntil(startAt, stop.signal);

    let lastIntended = 0;
    const onWrite = (e: WriteEvent): void => {
      const inWindow = e.intendedAt >= windowStart;
      const isDelete = e.kind === 'z-delete';
      const state = !e.ok || isDelete ? WriteState.NotCounted : inWindow ? WriteState.Expected : WriteState.Warmup;
      buffer.push(task.writerId, e.seq, e.sentAt, state);
      if (isDelete && e.ok) deletes.push({ id: e.id, inWindow });
      if (inWindow) {
        result.writes++;
        if (!e.ok) result.writeErrors++;
        else {
          recordMicros(writeAck, (e.doneAt - e.sentAt) * 1000);
          lastAckAt = e.doneAt;
          intervals!.record('writeAck', e.doneAt, (e.doneAt - e.sentAt) * 1000);
        }
        const behind = e.sentAt - e.intendedAt;
        intervals!.record('sendLag', e.intendedAt, Math.max(0, behind) * 1000);
        if (behind > result.maxBehindMs) result.maxBehindMs = behind;
        if (e.intendedAt > lastIntended) lastIntended = e.intendedAt;
      }
      if (buffer.length >= FLUSH_OPS * WRITE_FIELDS) flush();
    };

    const summary = await runMutator({
      client,
      db: task.db,
      coll: task.coll,
      rate: task.rate,
      // Every writer's plan ends at the same time, whatever its phase.
      durationMs: go.durationMs - phaseMs,
      // The warm-up ramps up to the rate, so the measured window does not open on a start-up backlog.
      rampMs: Math.max(0, windowStart - startAt),
      startAt,
      mix: task.mix,
      signal: stop.signal,
      writerId: task.writerId,
      layout: task.layout,
      symbolFilter: shareOf(task),
      avoid: task.avoid?.length ? (symbol) => inRanges(task.avoid!, symbol) : undefined,
      onWrite,
      onProgress: (p) =>
        port.postMessage({ type: 'progress', issued: p.issued, behindMs: p.behindMs, writes: result.writes, writeErrors: result.writeErrors, lastAckAt }),
      progressIntervalMs: 500,
    });
    const windowEnd = Math.max(epochNow(), windowStart);
    const windowMs = Math.min(windowEnd, go.startAt + go.durationMs) - windowStart;
    result.achievedRate = windowMs > 0 ? (result.writes * 1000) / windowMs : 0;
    const firstError = Object.values(summary.firstErrorByKind)[0];
    if (firstError !== undefined) result.firstError = firstError;
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
  } finally {
    clearInterval(timer);
    flush();
    // the listener thread closes the channel once it has read this
    for (const listener of task.listenerPorts) listener.postMessage({ type: 'end' });
    result.writeAck = encodeHistogram(writeAck);
    result.intervals = intervals?.finish() ?? [];
    writeAck.destroy();
    port.postMessage({ type: 'done', result });
    port.removeAllListeners('message');
    port.close();
    await client.close().catch(() => undefined);
  }
}

/** The bulk symbols this writer may pick when several share the work: the numbers ≡ writerId mod writers. */
function shareOf(task: WriterTask): ((symbol: string) => boolean) | undefined {
  if (task.writers <= 1) return undefined;
  return (symbol) => Number(symbol.slice(1)) % task.writers === task.writerId;
}

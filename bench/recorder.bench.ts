/**
 * The listener threads' per-event cost: CPU time per event of the ListenerGroupRecorder (four run
 * histograms, their per-second interval histograms, the listener's own histogram, the stagger detector and
 * the audit), fed the events of a 2,000 ops/s run and the writers' reports as they arrive (every 5 ms,
 * after most of their events), against a naive recorder measured in the same run: one HdrHistogram record
 * per event and a growing Set of "writer:seq" strings for the audit, the least a recorder of latency and
 * loss does. Both see the same pre-built events (the driver's decode is not part of this); no I/O.
 *   node dist/bench/recorder.bench.js        (BENCH_QUICK=1 for fewer events)
 */
import { WriteState } from '../src/measure/audit.js';
import { createLatencyMicros, recordMicros } from '../src/measure/histograms.js';
import { ListenerGroupRecorder, type ChangeEventLike, type WriteBatch } from '../src/measure/recorder.js';
import { median, round } from './lib/harness.js';
import { QUICK, type BenchResult } from './lib/result.js';

const RATE = 2_000;
const FLUSH_MS = 5;
const WINDOW_START = 1_700_000_000_000;

interface Workload {
  events: ChangeEventLike[];
  receiptAt: number[];
  /** after event k (k in the map), this batch of writer reports arrives */
  batchesAfter: Map<number, WriteBatch>;
  seqs: number;
}

/** One writer at RATE for `seconds`: event k received 1.5 ms after its intended time, its report flushed every 5 ms. */
function workload(seconds: number): Workload {
  const seqs = RATE * seconds;
  const events: ChangeEventLike[] = [];
  const receiptAt: number[] = [];
  const batchesAfter = new Map<number, WriteBatch>();
  let batch: number[] = [];
  let flushAt = WINDOW_START + FLUSH_MS;
  for (let seq = 0; seq < seqs; seq++) {
    const at = WINDOW_START + (seq * 1000) / RATE;
    events.push({
      operationType: 'update',
      documentKey: { _id: `A${10_000 + (seq % 20_000)}` },
      tick: { seq, at, w: 0 },
      wallTime: new Date(at + 1),
      clusterTime: { t: Math.floor((at + 1) / 1000), i: seq },
    });
    receiptAt.push(at + 1.5);
    batch.push(0, seq, at + 0.05, WriteState.Expected);
    if (at + 1 >= flushAt) {
      batchesAfter.set(seq, { writes: Float64Array.from(batch), deletes: [] });
      batch = [];
      flushAt += FLUSH_MS;
    }
  }
  if (batch.length > 0) batchesAfter.set(seqs - 1, { writes: Float64Array.from(batch), deletes: [] });
  return { events, receiptAt, batchesAfter, seqs };
}

/** CPU µs per event of the harness's recorder, for `listeners` listeners in one group (each receives every event). */
function recorderCost(w: Workload, listeners: number): number {
  const names = Array.from({ length: listeners }, (_, i) => String(i));
  const recorder = new ListenerGroupRecorder({
    listeners: names, windowStart: WINDOW_START, staggerThresholdMs: 250, expectedSeqs: w.seqs,
  });
  const t0 = process.cpuUsage();
  for (let k = 0; k < w.events.length; k++) {
    for (let l = 0; l < listeners; l++) recorder.onEvent(l, w.events[k]!, w.receiptAt[k]!, { t: w.events[k]!.clusterTime!.t });
    const batch = w.batchesAfter.get(k);
    if (batch) recorder.onWrites(batch);
  }
  const result = recorder.finish();
  const used = process.cpuUsage(t0);
  if (result.listeners.some((l) => l.audit.lost !== 0 || l.audit.received !== w.seqs)) throw new Error('recorder bench: the audit is wrong');
  return (used.user + used.system) / (w.events.length * listeners);
}

/** The naive recorder: one histogram record and one Set entry per event and listener. */
function naiveCost(w: Workload, listeners: number): number {
  const hist = createLatencyMicros();
  const seen = Array.from({ length: listeners }, () => new Set<string>());
  const t0 = process.cpuUsage();
  for (let k = 0; k < w.events.length; k++) {
    const tick = w.events[k]!.tick!;
    for (let l = 0; l < listeners; l++) {
      recordMicros(hist, (w.receiptAt[k]! - tick.at) * 1000);
      seen[l]!.add(`${tick.w}:${tick.seq}`);
    }
  }
  const used = process.cpuUsage(t0);
  if (seen.some((s) => s.size !== w.seqs)) throw new Error('naive bench: the audit is wrong');
  return (used.user + used.system) / (w.events.length * listeners);
}

export async function run(): Promise<BenchResult[]> {
  const seconds = QUICK ? 5 : 30;
  const rounds = QUICK ? 3 : 5;
  const results: BenchResult[] = [];
  for (const listeners of [1, 25]) {
    const w = workload(listeners === 1 ? seconds : Math.max(2, seconds / 5));
    recorderCost(w, listeners); // JIT warm-up of both
    naiveCost(w, listeners);
    const ours: number[] = [];
    const naive: number[] = [];
    for (let r = 0; r < rounds; r++) {
      ours.push(recorderCost(w, listeners));
      naive.push(naiveCost(w, listeners));
    }
    const a = median(ours);
    const b = median(naive);
    results.push({
      name: `recorder CPU per event, ${listeners} listener${listeners > 1 ? 's' : ''} in a thread`,
      value: round(a, 3), unit: 'µs',
      baseline: { name: 'naive recorder (one histogram, a Set of strings)', value: round(b, 3) },
      ratio: round(a / b),
      notes: `${w.seqs.toLocaleString('en-US')} events at ${RATE} ops/s, writer reports every ${FLUSH_MS} ms; median of ${rounds} alternating rounds; ` +
        `recorder ${ours.map((x) => round(x, 3)).join(', ')} µs, naive ${naive.map((x) => round(x, 3)).join(', ')} µs`,
    });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await run();
  process.stdout.write(JSON.stringify(results, null, 2) + '\n');
}

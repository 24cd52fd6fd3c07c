/**
 * The bare driver program of the fan-out bench: N plain change streams on one MongoClient in one process,
 * each awaiting `next()` and recording receipt minus the write's intended time (`updatedFields.at`). No
 * threads, no audit, no report: what an application watching with the driver alone would see.
 *   forked by bench/fanout.bench.ts; IPC: parent → { uri, db, coll, streams } then 'stop' (with a drain);
 *   child → { type: 'ready' } once every stream is open, { type: 'result', ... } after 'stop'.
 */
import { MongoClient, type ChangeStream, type Document } from 'mongodb';
import { createLatencyMicros, recordMicros, summarize } from '../../src/measure/histograms.js';
import { epochNow } from '../../src/mutate/timer.js';

interface Setup {
  uri: string;
  db: string;
  coll: string;
  streams: number;
}

export interface BareListenersResult {
  type: 'result';
  /** events received whose write was intended at or after windowStart, all streams together */
  events: number;
  p50ms: number;
  p99ms: number;
  maxMs: number;
  errors: string[];
}

const setup = await new Promise<Setup>((resolve) => process.once('message', (m) => resolve(m as Setup)));
const client = new MongoClient(setup.uri, { appName: 'ticker-bench-bare-fanout', maxPoolSize: setup.streams + 4, serverSelectionTimeoutMS: 5_000 });
await client.connect();
const coll = client.db(setup.db).collection<Document>(setup.coll);
const h = createLatencyMicros();
const errors: string[] = [];
let windowStart = Infinity;
let lastAt = Infinity;
let events = 0;
let caughtUp = 0;
let onCaughtUp: (() => void) | undefined;
const streams: ChangeStream[] = [];
const opened: Promise<void>[] = [];
const reading: Promise<void>[] = [];
for (let s = 0; s < setup.streams; s++) {
  const stream = coll.watch([]);
  streams.push(stream);
  opened.push(new Promise((resolve) => (stream as unknown as { cursor: NodeJS.EventEmitter }).cursor.once('init', () => resolve())));
  reading.push((async () => {
    let done = false;
    try {
      for (;;) {
        const event = (await stream.next()) as Document | null;
        const receiptAt = epochNow();
        if (!event) return;
        const at = event.updateDescription?.updatedFields?.at;
        if (typeof at !== 'number') continue;
        if (at >= windowStart) {
          recordMicros(h, (receiptAt - at) * 1000);
          events++;
        }
        if (!done && at >= lastAt) {
          done = true;
          if (++caughtUp === setup.streams) onCaughtUp?.();
        }
      }
    } catch (error) {
      if (!stream.closed) errors.push((error as Error).message);
    }
  })());
}
await Promise.all(opened);
process.on('message', (m: { type: string; windowStart?: number; lastAt?: number; drainMs?: number }) => {
  if (m.type === 'window') windowStart = m.windowStart!;
  if (m.type !== 'stop') return;
  lastAt = m.lastAt!;
  void (async () => {
    // Every stream has seen the last write, or the drain time ran out (a stream that fell behind).
    await new Promise<void>((resolve) => {
      onCaughtUp = resolve;
      if (caughtUp === setup.streams) resolve();
      setTimeout(resolve, m.drainMs ?? 5_000).unref();
    });
    await Promise.all(streams.map((s) => s.close().catch(() => undefined)));
    await Promise.all(reading);
    await client.close();
    const s = summarize(h);
    const result: BareListenersResult = { type: 'result', events, p50ms: s.p50 / 1000, p99ms: s.p99 / 1000, maxMs: s.max / 1000, errors };
    process.send!(result, () => process.exit(0));
  })();
});
process.send!({ type: 'ready' });

/**
 * `ticker mutate`'s open-loop scheduler against the embedded server (in its own process): achieved rate
 * and send lag (actual − intended send time) at 16, 1,000 and 10,000 ops/s, beside a naive closed-loop
 * `setInterval` mutator at the same rate, measured in the same run (alternating per rate). Each run
 * ramps up over its first second (`--ramp 1s`), as a user starting a high rate on a cold client would.
 * The machine's own ceiling is measured too: the same operations sent back to back by one driver client,
 * 64 at a time; a rate above it cannot be achieved by any single-client mutator here.
 * The floor under send lag is measured too: the same scheduler at the same rate sending nothing.
 * Targets: achieved rate within 1% of the requested one; send lag p99 < 2 ms.
 *   node dist/bench/mutate.bench.js        (BENCH_QUICK=1: 10 s runs instead of 30 s)
 */
import { MongoClient, type Collection } from 'mongodb';
import { bulkDocs, familiarDocs, layoutFor, type StockDoc } from '../src/load/dataset.js';
import { LagStats } from '../src/mutate/lag-stats.js';
import { createMix } from '../src/mutate/mix.js';
import { runMutator } from '../src/mutate/mutator.js';
import { runOpenLoop } from '../src/mutate/scheduler.js';
import { epochNow } from '../src/mutate/timer.js';
import { spawnChild } from './lib/child.js';
import { round } from './lib/harness.js';
import { QUICK, type BenchResult } from './lib/result.js';

const RATES = [16, 1000, 10_000];
const DURATION_MS = Number(process.env.BENCH_MUTATE_MS ?? (QUICK ? 10_000 : 30_000));
const RAMP_MS = 1_000;
const DB = 'bench_mutate';
const COLL = 'stocksymbols';

/** The naive way: setInterval(1000 / rate), one write per tick, skipping a tick while the last is in flight. */
async function naiveMutator(coll: Collection<StockDoc>, rate: number, durationMs: number): Promise<{ achieved: number; lagP99: number }> {
  const layout = layoutFor(20_000);
  const next = createMix({ layout });
  const lag = new LagStats();
  let seq = 0;
  let inFlight = false;
  const started = epochNow();
  const interval = 1000 / rate;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = epochNow();
      if (now - started >= durationMs) {
        clearInterval(timer);
        resolve();
        return;
      }
      if (inFlight) return; // closed loop: wait for the reply
      const intended = started + seq * interval;
      lag.record(now - intended);
      const op = next(seq++, intended);
      inFlight = true;
      const done = (): void => void (inFlight = false);
      if (op.kind === 'z-delete') coll.deleteOne(op.filter).then(done, done);
      else if (op.kind === 'z-insert') coll.insertOne(op.doc as never).then(done, done);
      else coll.updateOne(op.filter, op.update as never).then(done, done);
    }, interval);
  });
  const elapsed = epochNow() - started;
  return { achieved: (seq * 1000) / elapsed, lagP99: lag.summary().p99 };
}

/** The same operations back to back, `inFlight` at a time, for `ms`: ops/s. */
async function closedLoopCeiling(coll: Collection<StockDoc>, ms: number, inFlight = 64): Promise<number> {
  const next = createMix({ layout: layoutFor(20_000) });
  let seq = 0;
  const end = epochNow() + ms;
  const started = epochNow();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (epochNow() < end) {
      const op = next(seq++, epochNow());
      if (op.kind === 'z-delete') await coll.deleteOne(op.filter);
      else if (op.kind === 'z-insert') await coll.insertOne(op.doc as never).catch(() => undefined); // another lane's pair may have put it back
      else await coll.updateOne(op.filter, op.update as never);
    }
  }));
  return (seq * 1000) / (epochNow() - started);
}

/**
 * The floor under send lag: the same scheduler and timer at the same rate, with nothing to send (no
 * driver, no I/O). Whatever lag it shows is the machine's (another process or VM taking the CPU, GC).
 */
async function idleSchedulerLag(rate: number, durationMs: number): Promise<number> {
  const lag = new LagStats();
  await runOpenLoop({ rate, durationMs, rampMs: RAMP_MS }, async (op) => void lag.record(op.lagMs));
  return lag.summary().p99;
}

export async function run(): Promise<BenchResult[]> {
  const child = await spawnChild<{ port: number }>('server-child', ['embedded']);
  const uri = `mongodb://127.0.0.1:${child.ready.port}/?replicaSet=rs0`;
  const client = await new MongoClient(uri, { maxPoolSize: 100 }).connect();
  const results: BenchResult[] = [];
  try {
    const coll = client.db(DB).collection<StockDoc>(COLL);
    await coll.insertMany([...bulkDocs(layoutFor(20_000), 0, 20_000), ...familiarDocs()], { ordered: false });
    const ceiling = await closedLoopCeiling(coll, QUICK ? 3_000 : 10_000);
    results.push({
      name: 'driver ceiling: mix operations back to back, 64 in flight', value: round(ceiling, 0), unit: 'ops/s',
      baseline: { name: 'highest rate requested', value: RATES.at(-1)! }, ratio: round(ceiling / RATES.at(-1)!, 3),
      notes: 'one client, closed loop: the most this client and server can do on this machine, whatever the scheduler',
    });
    for (const rate of RATES) {
      const summary = await runMutator({ client, db: DB, coll: COLL, rate, durationMs: DURATION_MS, rampMs: RAMP_MS, layout: layoutFor(20_000) });
      const naive = await naiveMutator(coll, rate, DURATION_MS);
      const floorP99 = await idleSchedulerLag(rate, Math.min(DURATION_MS, 10_000));
      const errors = Object.values(summary.errorsByKind).reduce((a, b) => a + b, 0);
      const off = Math.abs(summary.achievedRate - rate) / rate; // achieved after the ramp
      const notes = `${DURATION_MS / 1000} s runs, ${RAMP_MS / 1000} s ramp; errors ${errors}; p50 lag ${round(summary.lag.p50, 3)} ms, max ${round(summary.lag.max, 2)} ms; ` +
        `fell behind at most ${round(summary.maxBehindMs, 2)} ms${rate > ceiling ? `; ${rate} ops/s is above this machine's driver ceiling (${Math.round(ceiling)} ops/s)` : ''}`;
      results.push({
        name: `mutate ${rate} ops/s: achieved rate`, value: round(summary.achievedRate, 2), unit: 'ops/s',
        baseline: { name: 'naive setInterval mutator, same rate', value: round(naive.achieved, 2) },
        ratio: round(summary.achievedRate / naive.achieved, 3), target: `within 1% of ${rate}`, pass: off <= 0.01, notes,
      });
      results.push({
        name: `mutate ${rate} ops/s: send lag p99 (actual − intended)`, value: round(summary.lag.p99, 3), unit: 'ms',
        baseline: { name: 'naive setInterval mutator, same rate', value: round(naive.lagP99, 3) },
        ratio: round(summary.lag.p99 / Math.max(naive.lagP99, 1e-6), 4), target: 'p99 < 2 ms', pass: summary.lag.p99 < 2, notes,
      });
      results.push({
        name: `mutate ${rate} ops/s: send lag p99 over the idle scheduler's`, value: round(summary.lag.p99, 3), unit: 'ms',
        baseline: { name: 'the same scheduler sending nothing (the machine\'s floor), p99', value: round(floorP99, 3) },
        ratio: round(summary.lag.p99 / Math.max(floorP99, 1e-6), 2),
        notes: 'what the driver and replies add to the lag beyond this machine\'s own scheduling hiccups',
      });
    }
    return results;
  } finally {
    await client.db(DB).dropDatabase().catch(() => undefined);
    await client.close();
    await child.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const result of await run()) console.log(JSON.stringify(result));
}

import { hybridTimer, type Timer } from './timer.js';

/**
 * An open-loop scheduler (wrk2 style). Operation k is due at start + k / rate, whatever the server does:
 * a slow reply never delays the next send, and after a stall the scheduler catches up by issuing every
 * overdue operation at once, each keeping its own intended time. So latency measured against the intended
 * time shows a stall in every operation that should have been sent during it.
 */

export interface ScheduledOp {
  /** 0, 1, 2, ... in intended-time order. */
  seq: number;
  /** When the plan says this operation is sent (timer clock, ms). */
  intendedAt: number;
  /** When it was actually sent (timer clock, ms). */
  sentAt: number;
  /** sentAt - intendedAt: how far behind the plan the sender was (>= 0 up to timer precision). */
  lagMs: number;
}

export interface SchedulerOptions {
  /** Operations per second, > 0. */
  rate: number;
  /** Stop planning operations at start + durationMs; without it, run until maxOps or the signal. */
  durationMs?: number;
  maxOps?: number;
  signal?: AbortSignal;
  /**
   * At most this many operations in flight. When reached, sending waits for a completion (a dead server
   * cannot grow memory without bound); the waiting operations keep their intended times, so the wait
   * shows up as lag. Default 1000.
   */
  maxInFlight?: number;
  /** Operations sent back to back before yielding to I/O while catching up. Default 64. */
  burst?: number;
  timer?: Timer;
}

export interface SchedulerStats {
  /** Timer clock at the start of the plan. */
  startedAt: number;
  /** Operations handed to `issue`. */
  issued: number;
  /** Operations whose promise rejected (the caller usually handles its own errors). */
  rejected: number;
  /** The longest the sender was ever behind the plan, ms. */
  maxBehindMs: number;
  /** The highest number of operations in flight at once. */
  peakInFlight: number;
  /** From the start to the end of the plan (or the abort), excluding the wait for in-flight operations. */
  elapsedMs: number;
  /** issued / elapsed seconds. */
  achievedRate: number;
  aborted: boolean;
}

export type IssueOp = (op: ScheduledOp) => Promise<unknown>;

/** Runs the plan, calling `issue` for each operation; resolves when the plan ends and all ops settled. */
export async function runOpenLoop(options: SchedulerOptions, issue: IssueOp): Promise<SchedulerStats> {
  const { rate, durationMs, maxOps, signal } = validate(options);
  const timer = options.timer ?? hybridTimer();
  const maxInFlight = options.maxInFlight ?? 1000;
  const burst = options.burst ?? 64;
  const plannedOps = Math.min(maxOps ?? Infinity, durationMs === undefined ? Infinity : Math.ceil((durationMs * rate) / 1000 - 1e-9));

  const startedAt = timer.now();
  const stats: SchedulerStats = {
    startedAt, issued: 0, rejected: 0, maxBehindMs: 0, peakInFlight: 0, elapsedMs: 0, achievedRate: 0, aborted: false,
  };
  const inFlight = new Set<Promise<unknown>>();
  let sentWithoutYield = 0;

  for (let seq = 0; seq < plannedOps && !signal?.aborted; seq++) {
    // Computed from seq, not by adding an interval each time: no drift from accumulated rounding.
    const intendedAt = startedAt + (seq * 1000) / rate;

    while (inFlight.size >= maxInFlight && !signal?.aborted) await raceWithAbort(Promise.race(inFlight), signal);
    if (timer.now() < intendedAt) {
      await timer.waitUntil(intendedAt, signal);
      sentWithoutYield = 0;
    } else if (++sentWithoutYield >= burst) {
      await timer.yield(); // catching up: let replies be read between bursts
      sentWithoutYield = 0;
    }
    if (signal?.aborted) break;

    const sentAt = timer.now();
    const lagMs = sentAt - intendedAt;
    if (lagMs > stats.maxBehindMs) stats.maxBehindMs = lagMs;
    stats.issued++;

    const pending: Promise<unknown> = Promise.resolve()
      .then(() => issue({ seq, intendedAt, sentAt, lagMs }))
      .catch(() => void stats.rejected++)
      .finally(() => inFlight.delete(pending));
    inFlight.add(pending);
    if (inFlight.size > stats.peakInFlight) stats.peakInFlight = inFlight.size;
  }

  // A run of fixed duration lasts that long even though the last operation is due a little before the end.
  if (durationMs !== undefined && maxOps === undefined && !signal?.aborted) {
    await timer.waitUntil(startedAt + durationMs, signal);
  }
  const endedAt = timer.now();
  stats.aborted = signal?.aborted === true;
  stats.elapsedMs = endedAt - startedAt;
  stats.achievedRate = stats.elapsedMs > 0 ? (stats.issued * 1000) / stats.elapsedMs : 0;

  await Promise.all(inFlight);
  return stats;
}

function validate(options: SchedulerOptions): SchedulerOptions {
  if (!(Number.isFinite(options.rate) && options.rate > 0)) throw new RangeError(`rate must be > 0 ops/s, got ${options.rate}`);
  if (options.durationMs !== undefined && !(options.durationMs >= 0)) throw new RangeError(`durationMs must be >= 0, got ${options.durationMs}`);
  if (options.durationMs === undefined && options.maxOps === undefined && options.signal === undefined) {
    throw new RangeError('an open loop needs an end: durationMs, maxOps or signal');
  }
  if (options.maxInFlight !== undefined && !(options.maxInFlight >= 1)) throw new RangeError('maxInFlight must be >= 1');
  return options;
}

function raceWithAbort(promise: Promise<unknown>, signal?: AbortSignal): Promise<unknown> {
  if (!signal) return promise;
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, resolve).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

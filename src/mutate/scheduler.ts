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
  /**
   * The rate rises linearly from zero to `rate` over the first `rampMs` (default 0: full rate at once),
   * so a warm-up lets the JIT, the connection pool and the server settle instead of opening with a backlog.
   */
  rampMs?: number;
  /**
   * Where the plan begins (timer clock); default: when runOpenLoop is called. Writers given a common
   * start keep it even when their thread wakes a little late: the lateness shows as lag, not as a shift.
   */
  startAt?: number;
  /**
   * After the plan ends, wait at most this long for operations still in flight (default: until they
   * settle). Those still out then are counted in `abandoned`: their outcome is unknown.
   */
  drainMs?: number;
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
  /**
   * Operations the plan had due within `durationMs` that were never sent: the run ends on time whatever the
   * backlog, so a sender that cannot keep the rate leaves these behind (0 when it kept up).
   */
  unsent: number;
  /** The highest number of operations in flight at once. */
  peakInFlight: number;
  /** Operations still in flight when the drain's bound ran out (not settled: outcome unknown). */
  abandoned: number;
  /** From the start to the end of the plan (or the abort), excluding the wait for in-flight operations. */
  elapsedMs: number;
  /** issued / elapsed seconds (after the ramp, when there is one). */
  achievedRate: number;
  aborted: boolean;
}

/** How late after --duration's end a due operation is still sent. */
const END_SLACK_MS = 50;

export type IssueOp = (op: ScheduledOp) => Promise<unknown>;

/** Runs the plan, calling `issue` for each operation; resolves when the plan ends and all ops settled. */
export async function runOpenLoop(options: SchedulerOptions, issue: IssueOp): Promise<SchedulerStats> {
  const { rate, durationMs, maxOps, signal } = validate(options);
  // Spin margin: 1.5 ms at low rates, a quarter interval at higher ones (the timer adds 1 ms for setTimeout's slack).
  const timer = options.timer ?? hybridTimer({ spinMs: Math.min(1.5, 250 / rate) });
  const maxInFlight = options.maxInFlight ?? 1000;
  const burst = options.burst ?? 64;
  const plan = openLoopPlan(rate, options.rampMs ?? 0);
  const plannedOps = Math.min(maxOps ?? Infinity, durationMs === undefined ? Infinity : plan.opsWithin(durationMs));

  const startedAt = options.startAt ?? timer.now();
  const stats: SchedulerStats = {
    startedAt, issued: 0, rejected: 0, unsent: 0, maxBehindMs: 0, peakInFlight: 0, abandoned: 0, elapsedMs: 0, achievedRate: 0, aborted: false,
  };
  const endAt = durationMs === undefined ? Number.POSITIVE_INFINITY : startedAt + durationMs;
  // A count and one waiter, not Promise.race over the in-flight set: racing N promises on every
  // completion attaches N reactions each time, which turns a backlog into quadratic CPU and garbage.
  let inFlight = 0;
  let slotFreed: (() => void) | undefined;
  let drained: (() => void) | undefined;
  const settle = (): void => {
    inFlight--;
    slotFreed?.();
    if (inFlight === 0) drained?.();
  };
  let sentWithoutYield = 0;

  for (let seq = 0; seq < plannedOps && !signal?.aborted; seq++) {
    const intendedAt = startedAt + plan.offsetOf(seq);

    while (inFlight >= maxInFlight && !signal?.aborted && timer.now() < endAt + END_SLACK_MS) await untilSlotFreed();
    const now = timer.now();
    // --duration ends the run on time, however far behind the plan it is (a timer waking a little late for
    // the last operations is not a backlog: those are still sent).
    if (now >= endAt + END_SLACK_MS) break;
    if (now < intendedAt) {
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

    inFlight++;
    if (inFlight > stats.peakInFlight) stats.peakInFlight = inFlight;
    Promise.resolve()
      .then(() => issue({ seq, intendedAt, sentAt, lagMs }))
      .catch(() => void stats.rejected++)
      .finally(settle);
  }

  // A run of fixed duration lasts that long even though the last operation is due a little before the end.
  if (durationMs !== undefined && maxOps === undefined && !signal?.aborted) {
    await timer.waitUntil(startedAt + durationMs, signal);
  }
  const endedAt = timer.now();
  stats.aborted = signal?.aborted === true;
  if (!stats.aborted && Number.isFinite(plannedOps)) stats.unsent = plannedOps - stats.issued;
  stats.elapsedMs = endedAt - startedAt;
  // After a ramp, the rate achieved at full speed (the ramp asks for less by design).
  const rampMs = options.rampMs ?? 0;
  const fullSpeed = rampMs > 0 && stats.elapsedMs > rampMs
    ? { ops: stats.issued - Math.min(stats.issued, plan.opsWithin(rampMs)), ms: stats.elapsedMs - rampMs }
    : { ops: stats.issued, ms: stats.elapsedMs };
  stats.achievedRate = fullSpeed.ms > 0 ? (fullSpeed.ops * 1000) / fullSpeed.ms : 0;

  if (inFlight > 0) {
    const drainMs = options.drainMs ?? Number.POSITIVE_INFINITY;
    let bound: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      drained = resolve;
      if (Number.isFinite(drainMs)) bound = setTimeout(resolve, drainMs);
    });
    if (bound) clearTimeout(bound);
    drained = undefined;
    stats.abandoned = inFlight;
  }
  return stats;

  function untilSlotFreed(): Promise<void> {
    return new Promise((resolve) => {
      // A server that stopped answering must not keep the run past its end.
      const deadline = Number.isFinite(endAt) ? setTimeout(() => done(), Math.max(0, endAt + END_SLACK_MS - timer.now())) : undefined;
      const done = (): void => {
        if (slotFreed === done) slotFreed = undefined;
        if (deadline) clearTimeout(deadline);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      slotFreed = done;
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

/**
 * When operation k is due, as an offset from the start (ms), and how many are due within a duration.
 * Computed from k, never by adding intervals: no drift from accumulated rounding. During a ramp of T ms
 * the rate is rate·t/T, so k operations are due by t = √(2·T·k / rate); after it, one every 1/rate.
 */
export function openLoopPlan(rate: number, rampMs: number): { offsetOf(seq: number): number; opsWithin(ms: number): number } {
  const perMs = rate / 1000;
  const rampOps = (perMs * rampMs) / 2;
  return {
    offsetOf: (seq) => (seq < rampOps ? Math.sqrt((2 * rampMs * seq) / perMs) : rampMs / 2 + seq / perMs),
    opsWithin: (ms) => Math.ceil((ms < rampMs ? (perMs * ms * ms) / (2 * rampMs) : perMs * (ms - rampMs / 2)) - 1e-9),
  };
}

function validate(options: SchedulerOptions): SchedulerOptions {
  if (!(Number.isFinite(options.rate) && options.rate > 0)) throw new RangeError(`rate must be > 0 ops/s, got ${options.rate}`);
  if (options.durationMs !== undefined && !(options.durationMs >= 0)) throw new RangeError(`durationMs must be >= 0, got ${options.durationMs}`);
  if (options.durationMs === undefined && options.maxOps === undefined && options.signal === undefined) {
    throw new RangeError('an open loop needs an end: durationMs, maxOps or signal');
  }
  if (options.rampMs !== undefined && !(options.rampMs >= 0)) throw new RangeError(`rampMs must be >= 0, got ${options.rampMs}`);
  if (options.maxInFlight !== undefined && !(options.maxInFlight >= 1)) throw new RangeError('maxInFlight must be >= 1');
  return options;
}

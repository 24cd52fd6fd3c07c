import { performance } from 'node:perf_hooks';

/**
 * Time for the open-loop scheduler: a clock and a way to wait until a point on it. Injected so tests can
 * drive the scheduling logic with a fake clock.
 */
export interface Timer {
  /** Milliseconds, monotonic, sub-millisecond precision. */
  now(): number;
  /** Resolves at `target` (not before), or early when `signal` aborts. */
  waitUntil(target: number, signal?: AbortSignal): Promise<void>;
  /** Lets I/O callbacks run between operations issued back to back. */
  yield(): Promise<void>;
}

/**
 * Epoch milliseconds with sub-millisecond precision that never jump backwards: `timeOrigin` is fixed
 * for the process, `performance.now()` is monotonic. Another process computes the same way, so an
 * intended send time written here can be compared with a receipt time read there.
 */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

const setImmediatePromise = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The real timer. setTimeout sleeps whole milliseconds on libuv's millisecond clock and can wake up to
 * one late; so sleep only while more than `spinMs` + 1 ms remains and spin on setImmediate (which still
 * lets I/O run) for the rest. Below about 1 ms between operations (1,000 ops/s and up) that is a spin
 * all the time: one core, the price of sends within microseconds of their plan (with sleep(1) instead,
 * every send at 1,000 ops/s went 0.5 ms late and p99 5-10 ms: bench/mutate.bench.ts).
 */
export function hybridTimer(options: { spinMs?: number; now?: () => number } = {}): Timer {
  const spinMs = options.spinMs ?? 0.5;
  const now = options.now ?? epochNow;
  return {
    now,
    yield: setImmediatePromise,
    async waitUntil(target, signal) {
      for (;;) {
        const ms = target - now();
        if (ms <= 0 || signal?.aborted) return;
        // setTimeout counts on libuv's millisecond clock, so it can wake up to 1 ms after its delay:
        // sleep only what ends a whole millisecond before the spin starts.
        const sleepMs = Math.floor(ms - spinMs - 1);
        if (sleepMs >= 1) await sleep(sleepMs, signal);
        else await setImmediatePromise();
      }
    },
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timeout);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timeout = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

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
 * The real timer. setTimeout alone is late by ~1 ms or more, which at 1,000 ops/s is a whole interval;
 * so sleep with setTimeout until `spinMs` before the target, then spin on setImmediate (which still lets
 * I/O run) for the rest. At high rates the spin is continuous: a load generator may spend a core.
 */
export function hybridTimer(options: { spinMs?: number; now?: () => number } = {}): Timer {
  const spinMs = options.spinMs ?? 1.5;
  const now = options.now ?? epochNow;
  return {
    now,
    yield: setImmediatePromise,
    async waitUntil(target, signal) {
      const sleepMs = target - now() - spinMs;
      if (sleepMs >= 1) await sleep(Math.floor(sleepMs), signal);
      while (now() < target && !signal?.aborted) await setImmediatePromise();
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

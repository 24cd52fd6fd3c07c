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
 * The real timer. setTimeout sleeps whole milliseconds and wakes a fraction of one late; so sleep while
 * more than `spinMs` remains and spin on setImmediate (which still lets I/O run) for the last part. The
 * spin is kept short: on a small machine a spinning load generator takes the CPU the server needs, so
 * at high rates sends may go a fraction of a millisecond late (measured as lag) rather than spin.
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
        if (ms > spinMs) await sleep(Math.max(1, Math.floor(ms - spinMs)), signal);
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

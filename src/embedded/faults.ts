import type { Topology } from './topology.js';

/**
 * Faults a real deployment suffers, injected on purpose so tests and soak runs can check that the
 * official driver (and ticker on top of it) recovers on its own:
 * - `drop`: every client connection is cut, as a network partition or a crashed proxy does;
 * - `stepDown`: the primary turns secondary for `durationMs` (writes get NotWritablePrimary with
 *   RetryableWriteError, change-stream getMores a ResumableChangeStreamError, hello says secondary), then
 *   is elected again; both transitions bump topologyVersion so the driver's monitors notice at once;
 * - `pause`: nothing is answered for `durationMs` (a stop-the-world stall: commands arriving or in flight wait);
 * - `restart`: listener and connections closed, `durationMs` down, then the same port again with the data
 *   kept, cursors lost and a new topologyVersion.processId.
 */
export type FaultKind = 'drop' | 'stepDown' | 'pause' | 'restart';
export const FAULT_KINDS: readonly FaultKind[] = ['drop', 'stepDown', 'pause', 'restart'];

export interface Fault {
  kind: FaultKind;
  /** stepDown/pause: how long; restart: downtime before listening again; drop: ignored. */
  durationMs: number;
}

/** What the injector needs from the wire server (WireServer implements it). */
export interface FaultTarget {
  readonly topology: Topology;
  dropConnections(): void;
  /** Closes listener and connections, waits `downMs`, listens again on the same port. */
  restart(downMs: number): Promise<void>;
}

/** How long each fault lasts unless told otherwise. */
export const DEFAULT_FAULT_MS: Readonly<Record<FaultKind, number>> = { drop: 0, stepDown: 2_000, pause: 1_000, restart: 200 };

/** The fault state of one server; the wire server asks it before each command and before each reply. */
export class FaultInjector {
  private pauseEnd: Promise<void> | undefined;
  private pauseResume: (() => void) | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private stepDownEnd: (() => void) | undefined;

  constructor(private readonly target: FaultTarget) {}

  get paused(): boolean {
    return this.pauseEnd !== undefined;
  }

  /** Resolves at once unless paused; then when the pause ends. */
  gate(): Promise<void> | undefined {
    return this.pauseEnd;
  }

  dropConnections(): void {
    this.target.dropConnections();
  }

  /** Secondary for `ms`, then primary again; resolves when primary again. */
  stepDown(ms: number = DEFAULT_FAULT_MS.stepDown): Promise<void> {
    this.stepDownEnd?.();
    this.target.topology.writablePrimary = false;
    return new Promise((resolve) => {
      const end = () => {
        clearTimeout(timer);
        this.timers.delete(timer);
        if (this.stepDownEnd === end) this.stepDownEnd = undefined;
        this.target.topology.writablePrimary = true;
        resolve();
      };
      const timer = this.after(ms, end);
      this.stepDownEnd = end;
    });
  }

  /** Every command waits `ms` (including those already running, before they answer); resolves at the end. */
  pause(ms: number = DEFAULT_FAULT_MS.pause): Promise<void> {
    if (this.pauseEnd) return this.pauseEnd;
    this.pauseEnd = new Promise((resolve) => {
      this.pauseResume = () => {
        this.pauseEnd = undefined;
        this.pauseResume = undefined;
        resolve();
      };
      this.after(ms, this.pauseResume);
    });
    return this.pauseEnd;
  }

  restart(downMs: number = DEFAULT_FAULT_MS.restart): Promise<void> {
    this.stepDownEnd?.();
    return this.target.restart(downMs);
  }

  /** Injects one fault; resolves when it is over (the server is primary, answering and listening again). */
  async inject(fault: Fault): Promise<void> {
    switch (fault.kind) {
      case 'drop': return this.dropConnections();
      case 'stepDown': return this.stepDown(fault.durationMs);
      case 'pause': return this.pause(fault.durationMs);
      case 'restart': return this.restart(fault.durationMs);
    }
  }

  /** Ends every fault at once (the server is closing). */
  clear(): void {
    this.stepDownEnd?.();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.pauseResume?.();
  }

  private after(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }
}

/** mulberry32: a small seeded PRNG (uniform in [0, 1)), so a fault plan or a fuzz run can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultPlanOptions {
  seed: number;
  /** Gap between the end of one fault and the start of the next, drawn uniformly from [min, max] ms. */
  intervalMs?: [number, number];
  kinds?: readonly FaultKind[];
  /** Duration ranges per kind, ms. */
  durationMs?: Partial<Record<FaultKind, [number, number]>>;
  /** Called as each fault starts. */
  onFault?: (fault: Fault, at: Date) => void;
}

const DEFAULT_DURATIONS: Record<FaultKind, [number, number]> = { drop: [0, 0], stepDown: [500, 3_000], pause: [200, 1_500], restart: [0, 500] };

/** Injects a random (seeded) fault every few seconds until stopped: the soak test's adversary. */
export class FaultPlan {
  readonly injected: { fault: Fault; at: Date }[] = [];
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly random: () => number;

  constructor(private readonly injector: FaultInjector, private readonly options: FaultPlanOptions) {
    this.random = seededRandom(options.seed);
  }

  /** The next fault this plan would inject (advances the sequence). */
  next(): { fault: Fault; gapMs: number } {
    const kinds = this.options.kinds ?? FAULT_KINDS;
    const kind = kinds[Math.floor(this.random() * kinds.length)];
    const [lo, hi] = this.options.durationMs?.[kind] ?? DEFAULT_DURATIONS[kind];
    const [gapLo, gapHi] = this.options.intervalMs ?? [2_000, 6_000];
    return {
      fault: { kind, durationMs: Math.round(lo + this.random() * (hi - lo)) },
      gapMs: Math.round(gapLo + this.random() * (gapHi - gapLo)),
    };
  }

  start(): this {
    this.loop ??= this.run();
    return this;
  }

  /** Stops injecting; resolves once the fault in progress (if any) is over. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const { fault, gapMs } = this.next();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, gapMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      if (this.stopped) return;
      const at = new Date();
      this.injected.push({ fault, at });
      this.options.onFault?.(fault, at);
      await this.injector.inject(fault);
    }
  }
}

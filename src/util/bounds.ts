import { availableParallelism, totalmem } from 'node:os';

/**
 * The upper bound of every number a command accepts, and the one line that says why. Flag parsers
 * (`src/util/flags.ts`) refuse a value above its bound with that line, so nothing a user types can make
 * a run grow until it is killed. Bounds come from this machine (cores, memory) or from MongoDB's limits.
 */
export interface Bound {
  max: number;
  /** Completes "at most <max> <why>". */
  why: string;
}

const cores = availableParallelism();
const memoryGiB = totalmem() / 2 ** 30;
const n = (value: number): string => value.toLocaleString('en-US');

/** Threads that each hold a MongoClient: beyond four per core they only wait for a core. */
const threadsPerCore = 4;
const threads = Math.max(8, threadsPerCore * cores);

/** Node's longest timer, ~24.8 days: a longer one fires at once. Whole hours below it. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
export const MAX_DURATION_MS = MAX_TIMER_MS - (MAX_TIMER_MS % 3_600_000);

/** What one Node.js thread can send to MongoDB: a plan above it is only a backlog. */
export const MAX_RATE_PER_THREAD = 100_000;

export const BOUNDS = {
  workers: { max: threads, why: `(${threadsPerCore} per core on this ${cores}-core machine, at least 8): more threads only wait for a core` },
  writers: { max: threads, why: `(${threadsPerCore} per core on this ${cores}-core machine, at least 8): more writer threads only wait for a core` },
  listeners: {
    max: Math.max(100, 50 * cores),
    why: `(50 per core on this ${cores}-core machine, at least 100): each listener is its own change stream; beyond that the listeners measure their own queue, not the server`,
  },
  count: {
    max: 100_000_000,
    why: '(12.5 times the sharded data set of 8,000,000; at the ~50,000 documents/s a real cluster takes, more would load for hours)',
  },
  /** mongod's maxWriteBatchSize: a larger insertMany is split by the driver anyway. */
  batchSize: { max: 100_000, why: "(mongod's maxWriteBatchSize: the server takes no more writes per batch)" },
  rate: { max: MAX_RATE_PER_THREAD, why: 'ops/s (about what one Node.js thread can send to MongoDB; a higher plan only falls behind)' },
  /** Each entry is kept in memory; about 1 KiB each with its document, at most a quarter of this machine's memory. */
  oplogSize: {
    max: Math.max(1_000_000, Math.floor((totalmem() / 4) / 1024)),
    why: `(about 1 KiB each in memory: a quarter of this machine's ${memoryGiB.toFixed(0)} GiB)`,
  },
  shards: { max: 16, why: '(each shard is an in-memory data node with its own oplog and no-op timer in this one process)' },
  routers: { max: 16, why: '(each router is a listener with its own connections, cursors and sessions in this one process)' },
  limit: { max: 1_000_000_000, why: '(changes; a count beyond that is better given as --duration)' },
  /** mulberry32 seeds are 32-bit. */
  seed: { max: 2 ** 32 - 1, why: '(seeds are 32-bit)' },
  duration: { max: MAX_DURATION_MS, why: "(Node.js's longest timer is about 24.8 days)" },
  /** mongod's periodicNoopIntervalSecs: 1 to 10 seconds. */
  noopInterval: { max: 10_000, why: "(mongod's periodicNoopIntervalSecs is at most 10 s)" },
  /** A threshold above this is never reached by a run: longest run a live view could wait for. */
  staggerThreshold: { max: 3_600_000, why: '(a stagger of an hour is an outage, not a stagger)' },
} as const satisfies Record<string, Bound>;

/** The bench's total rate: each writer thread sends at most MAX_RATE_PER_THREAD. */
export function rateBoundFor(writers: number): Bound {
  return {
    max: MAX_RATE_PER_THREAD * writers,
    why: `ops/s with ${writers} writer${writers === 1 ? '' : 's'} (about ${n(MAX_RATE_PER_THREAD)} per writer thread; add --writers for more)`,
  };
}

/** "at most 8 (4 per core ...)": the one line a refusal and --help both use. */
export function describeBound(bound: Bound, format: (value: number) => string = n): string {
  return `at most ${format(bound.max)} ${bound.why}`;
}

import type { Collection, MongoClient } from 'mongodb';
import { requireLoaded } from '../connect/collection.js';
import { asUserError } from '../util/errors.js';
import type { BulkLayout, Random } from '../load/dataset.js';
import { detectLayout } from './key-space.js';
import { LagStats, type LagSummary } from './lag-stats.js';
import { createMix, ORIGINAL_MIX, parseMix, type MixOp, type MixSpec, type OpKind, type Tick } from './mix.js';
import { runOpenLoop, type ScheduledOp } from './scheduler.js';
import { epochNow, type Timer } from './timer.js';

export type CountsByKind = Record<OpKind, number>;

export interface MutatorProgress {
  elapsedMs: number;
  issued: number;
  inFlight: number;
  opsByKind: CountsByKind;
  errorsByKind: CountsByKind;
  /** Send lag of the latest operation, ms. */
  behindMs: number;
}

/** One finished write, for a caller that records latency (e.g. into a histogram). Times on the timer clock. */
export interface WriteEvent {
  kind: OpKind;
  /** The written document's `_id` (a delete carries no tick, so this is how it is followed). */
  id: string;
  seq: number;
  intendedAt: number;
  sentAt: number;
  doneAt: number;
  ok: boolean;
}

export interface MutatorOptions {
  client: MongoClient;
  db: string;
  coll: string;
  /** Operations per second. */
  rate: number;
  durationMs: number;
  /** Rise from zero to `rate` over this long first (see runOpenLoop); default 0. */
  rampMs?: number;
  /** Where the plan begins (timer clock, see runOpenLoop); default: now. */
  startAt?: number;
  /** A spec or `--mix` text; default: the original four kinds, once each per round. */
  mix?: MixSpec | string;
  signal?: AbortSignal;
  /** Called once everything is checked, just before the first operation (a place to announce the run). */
  onStart?: () => void;
  onProgress?: (progress: MutatorProgress) => void;
  progressIntervalMs?: number;
  onWrite?: (event: WriteEvent) => void;
  /** Written into every tick as `w`. */
  writerId?: number;
  maxInFlight?: number;
  /** The bulk key space; read from the collection when absent. */
  layout?: BulkLayout;
  symbolFilter?: (symbol: string) => boolean;
  /** Symbols never written, familiar or bulk (a cold shard's). */
  avoid?: (symbol: string) => boolean;
  random?: Random;
  timer?: Timer;
  /** How long to wait after the end for operations still in flight (default DEFAULT_DRAIN_MS). */
  drainMs?: number;
}

/** The wait for in-flight operations after the end is bounded: a server that stopped answering cannot keep mutate running. */
export const DEFAULT_DRAIN_MS = 5_000;

export interface MutatorSummary {
  requestedRate: number;
  achievedRate: number;
  elapsedMs: number;
  mix: MixSpec;
  opsByKind: CountsByKind;
  errorsByKind: CountsByKind;
  /** The first error message seen for each kind that failed. */
  firstErrorByKind: Partial<Record<OpKind, string>>;
  maxBehindMs: number;
  /** Operations due within --duration that were never sent (the run ended on time, behind its plan). */
  unsent: number;
  /** Send lag: actual send − intended time, ms. */
  lag: LagSummary;
  /** Operations still in flight when the wait for them (`drainMs`) ran out: their outcome is unknown. */
  abandoned: number;
  drainMs: number;
}

type TickedDoc = { _id: string; price: number; tick?: Tick };

const zeroCounts = (): CountsByKind => ({ familiar: 0, 'a-update': 0, 'z-delete': 0, 'z-insert': 0 });

/**
 * Drives the collection with the operation mix at a constant rate (open loop) and returns plain numbers.
 * Never prints. Refuses an empty collection. Each `z-insert` is sent only after its `z-delete` finished
 * (same `_id`), and a `Z` symbol is not picked again while its pair is in flight.
 */
export async function runMutator(options: MutatorOptions): Promise<MutatorSummary> {
  const { client, db, coll, rate, durationMs, signal } = options;
  await requireLoaded(client, db, coll);
  const collection: Collection<TickedDoc> = client.db(db).collection<TickedDoc>(coll);
  const layout = options.layout ?? (await detectLayout(client.db(db).collection<{ _id: string }>(coll)));
  const spec = typeof options.mix === 'string' ? parseMix(options.mix) : (options.mix ?? ORIGINAL_MIX);

  const zInFlight = new Map<string, Promise<unknown>>();
  const userFilter = options.symbolFilter;
  const nextOp = asUserError(() => createMix({
    spec,
    layout,
    writerId: options.writerId ?? 0,
    random: options.random,
    symbolFilter: (symbol) => !zInFlight.has(symbol) && (userFilter?.(symbol) ?? true),
    avoid: options.avoid,
  }));

  const opsByKind = zeroCounts();
  const errorsByKind = zeroCounts();
  const firstErrorByKind: Partial<Record<OpKind, string>> = {};
  const lag = new LagStats();
  let issued = 0;
  let settled = 0;
  let behindMs = 0;
  let lastScheduled: { seq: number; kind: OpKind } | undefined;
  let startedAt: number | undefined;
  const now = (): number => options.timer?.now() ?? epochNow();

  const fail = (kind: OpKind, message: string): void => {
    errorsByKind[kind]++;
    firstErrorByKind[kind] ??= message;
  };

  const issue = async (scheduled: ScheduledOp): Promise<void> => {
    startedAt ??= scheduled.intendedAt;
    behindMs = scheduled.lagMs;
    lag.record(scheduled.lagMs);
    const op = nextOp(scheduled.seq, scheduled.intendedAt);
    lastScheduled = { seq: scheduled.seq, kind: op.kind };
    await send(op, scheduled);
  };

  const send = async (op: MixOp, scheduled: ScheduledOp): Promise<void> => {
    issued++;
    let ok = false;
    try {
      const problem = await write(collection, op, zInFlight);
      if (problem) fail(op.kind, problem);
      else {
        opsByKind[op.kind]++;
        ok = true;
      }
    } catch (error) {
      fail(op.kind, error instanceof Error ? error.message : String(error));
    } finally {
      settled++;
      options.onWrite?.({ kind: op.kind, id: 'doc' in op ? op.doc._id : op.filter._id, seq: scheduled.seq, intendedAt: scheduled.intendedAt, sentAt: scheduled.sentAt, doneAt: now(), ok });
    }
  };

  const progress = (): void =>
    options.onProgress?.({
      elapsedMs: startedAt === undefined ? 0 : now() - startedAt,
      issued,
      inFlight: issued - settled,
      opsByKind: { ...opsByKind },
      errorsByKind: { ...errorsByKind },
      behindMs,
    });
  const ticker = options.onProgress ? setInterval(progress, options.progressIntervalMs ?? 1000) : undefined;
  ticker?.unref();

  options.onStart?.();
  try {
    const drainMs = options.drainMs ?? DEFAULT_DRAIN_MS;
    const stats = await runOpenLoop(
      { rate, durationMs, signal, rampMs: options.rampMs, startAt: options.startAt, maxInFlight: options.maxInFlight, timer: options.timer, drainMs },
      issue,
    );
    // The plan (or Ctrl-C) may end between a delete and its insert: put the symbol back, or the data set shrinks.
    // Within the same bound: a server that does not answer the delete will not answer the insert either.
    let abandoned = stats.abandoned;
    if (lastScheduled?.kind === 'z-delete') {
      const seq = lastScheduled.seq + 1;
      const at = now();
      const restored = send(nextOp(seq, at), { seq, intendedAt: at, sentAt: at, lagMs: 0 }).then(() => true);
      let bound: NodeJS.Timeout | undefined;
      const inTime = await Promise.race([restored, new Promise<false>((resolve) => (bound = setTimeout(() => resolve(false), drainMs)))]);
      clearTimeout(bound);
      if (!inTime) abandoned++;
    }
    return {
      requestedRate: rate,
      achievedRate: stats.achievedRate,
      elapsedMs: stats.elapsedMs,
      mix: spec,
      // Copies: an abandoned operation that settles later must not change a summary already given.
      opsByKind: { ...opsByKind },
      errorsByKind: { ...errorsByKind },
      firstErrorByKind: { ...firstErrorByKind },
      maxBehindMs: stats.maxBehindMs,
      unsent: stats.unsent,
      lag: lag.summary(),
      abandoned,
      drainMs,
    };
  } finally {
    if (ticker) clearInterval(ticker);
    progress();
  }
}

/** Sends one operation; returns a problem description when the server accepted it but nothing changed. */
async function write(collection: Collection<TickedDoc>, op: MixOp, zInFlight: Map<string, Promise<unknown>>): Promise<string | undefined> {
  switch (op.kind) {
    case 'familiar':
    case 'a-update': {
      const result = await collection.updateOne(op.filter, op.update);
      return result.matchedCount === 0 ? `no document with _id ${op.filter._id}` : undefined;
    }
    case 'z-delete': {
      const deleting = collection.deleteOne(op.filter);
      zInFlight.set(op.filter._id, deleting);
      const result = await deleting;
      return result.deletedCount === 0 ? `no document with _id ${op.filter._id}` : undefined;
    }
    case 'z-insert': {
      const symbol = op.doc._id;
      try {
        // The insert must not overtake its delete: they may travel on different connections.
        await zInFlight.get(symbol)?.catch(() => undefined);
        await collection.insertOne(op.doc);
        return undefined;
      } finally {
        zInFlight.delete(symbol);
      }
    }
  }
}

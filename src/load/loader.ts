import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { MongoBulkWriteError, type MongoClient } from 'mongodb';
import { Piscina } from 'piscina';
import { collectionState } from '../connect/collection.js';
import { describeTarget, type Target } from '../connect/topology.js';
import { UserError } from '../util/errors.js';
import { commandHint } from '../util/invocation.js';
import { DATABASE, DATASET_SIZES, FAMILIAR_SYMBOLS, familiarDocs, layoutFor, seededRandom, type StockDoc } from './dataset.js';
import { insertSlice } from './insert-slice.js';
import { prepareShardedCollection } from './sharding.js';
import type { LoadTask, LoadTaskResult, LoadWorkerData } from './worker.js';

export interface LoadOptions {
  /** For the workers' own clients. */
  uri: string;
  /** The caller's client: checks, sharding, the familiar symbols. */
  client: MongoClient;
  db: string;
  coll: string;
  /** Bulk documents; default 20,000, or 8,000,000 when `sharded` or the target is a mongos. */
  count?: number;
  sharded?: boolean;
  workers?: number;
  batchSize?: number;
  seed?: number;
  signal?: AbortSignal;
  /** Called as documents land: (documents so far, documents planned). */
  onProgress?: (done: number, total: number) => void;
  /** Called once the size is known, before the first write (the up-front announcement of a large load). */
  onPlan?: (plan: LoadPlan) => void;
  /** Already known target (saves a round trip). */
  target?: Target;
  /** Test hooks, passed to the workers. */
  maxAttempts?: number;
  failFirstAttemptEvery?: number;
  /** Leave every bulk slice to the pool (by default this thread helps until the first worker writes). */
  poolOnly?: boolean;
  /** This thread keeps taking slices after the first worker wrote (default: it stops, the pool does the rest). */
  mainThreadKeepsHelping?: boolean;
}

export interface LoadSummary {
  namespace: string;
  /** Documents this load inserted (bulk + familiar); never a document another client wrote. */
  documents: number;
  /**
   * Documents found in the collection that this load did not write (another load or client wrote to it at
   * the same time). When above zero the load is not what was asked for: the command exits 1.
   */
  foreign: number;
  bulk: number;
  familiar: number;
  /** Documents planned (bulk + familiar). */
  planned: number;
  seconds: number;
  docsPerSecond: number;
  /** Worker threads used: 0 when this thread loaded alone (a load under POOL_MIN_DOCS, no --workers). */
  workers: number;
  batchSize: number;
  retriedBatches: number;
  /** Bulk documents this thread wrote while the pool's threads were starting. */
  mainThreadDocs: number;
  sharded: boolean;
  topology: Target['topology'];
  /** True when Ctrl-C (the signal) stopped the load; `documents` is then what the collection holds. */
  interrupted: boolean;
}

export const DEFAULT_BATCH_SIZE = 1000;
/** Below this many documents (and without --workers) this thread loads alone: see runLoad. */
export const POOL_MIN_DOCS = 100_000;

/** One thread per core but one (the server or the driver's I/O needs a core too), at most four. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/**
 * Loads the data set with a piscina pool: each worker generates and inserts bulk slices with its own
 * client; the familiar symbols go in last from this thread. Refuses a collection that holds documents.
 * Never prints.
 */
/** What a load is about to do, said before it starts. */
export interface LoadPlan {
  namespace: string;
  /** documents, familiar symbols included */
  planned: number;
  /** why this size: the default small set, the large one because of --sharded or a mongos, or --count */
  why: 'default' | 'sharded-flag' | 'mongos' | 'count';
  isEmbedded: boolean;
}

export async function runLoad(options: LoadOptions): Promise<LoadSummary> {
  const { client, db, coll } = options;
  const namespace = `${db}.${coll}`;
  const workers = options.workers ?? defaultWorkers();
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const startedAt = performance.now();
  const workerData = workerSettings(options, batchSize);
  let pool: Piscina<LoadTask, LoadTaskResult> | undefined;
  try {
    return await load();
  } finally {
    await pool?.destroy().catch(() => undefined);
  }

  async function load(): Promise<LoadSummary> {
    const state = await collectionState(client, db, coll);
    if (typeof state === 'number') {
      throw new UserError(`${namespace} already holds ${state.toLocaleString('en-US')} document${state === 1 ? '' : 's'}: run ${commandHint(db === DATABASE ? 'clean' : `clean --db ${db}`)} first`);
    }
    const target = options.target ?? (await describeTarget(client));
    const large = options.sharded === true || target.topology === 'sharded';
    const count = options.count ?? (large ? DATASET_SIZES.large : DATASET_SIZES.small);
    const layout = layoutFor(count);
    const planned = count + FAMILIAR_SYMBOLS.length;
    const why = options.count !== undefined ? 'count' : !large ? 'default' : options.sharded === true ? 'sharded-flag' : 'mongos';
    options.onPlan?.({ namespace, planned, why, isEmbedded: target.isEmbedded });
    // Threads start (import the driver, connect) while this thread prepares the collection and begins.
    // A load smaller than POOL_MIN_DOCS is over before they could help (unless --workers asks for them):
    // their start-up would only take CPU from the server.
    const usePool = options.workers !== undefined || options.poolOnly === true || count >= POOL_MIN_DOCS;
    if (usePool) pool = startPool(workerData, workers);
    const sharding = await prepareShardedCollection(client, db, coll, { target, layout });

    let progressed = 0;
    const report = (n: number): void => {
      progressed += n;
      options.onProgress?.(progressed, planned);
    };

    let bulk = 0;
    let foreign = 0;
    let retriedBatches = 0;
    let mainThreadDocs = 0;
    let interrupted = false;
    const onAbort = (): void => {
      interrupted = true;
      void pool?.destroy();
    };
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // Slices are handed out from one queue to the pool's lanes (two tasks in flight per worker) and,
      // until the first worker has written a batch, to this thread too: starting threads and loading the
      // driver in each takes a few hundred ms, which a small load would otherwise spend waiting. A lane
      // takes its first slice only once its thread is connected, so no slice waits on a thread starting.
      const queue = slices(count, batchSize, workers);
      let next = 0;
      let poolWriting = false;
      let failed = false;
      const take = (): [number, number] | undefined => (failed || interrupted ? undefined : queue[next++]);
      const runSlice = async ([from, to]: [number, number]): Promise<void> => {
        const { port1, port2 } = new MessageChannel();
        let seen = 0;
        let finished = false;
        port1.on('message', (n: number) => {
          poolWriting = true;
          if (finished) return; // a late message: the result below already counted it
          seen += n;
          report(n);
        });
        try {
          const result = await pool!.run({ count, from, to, port: port2 }, { transferList: [port2] });
          finished = true;
          const landed = result.inserted + result.preexisting;
          if (landed > seen) report(landed - seen);
          bulk += result.inserted;
          foreign += result.preexisting;
          retriedBatches += result.retriedBatches;
        } finally {
          port1.close();
        }
      };
      let mainLaneDone!: () => void;
      const mainLaneEnded = new Promise<void>((resolve) => (mainLaneDone = resolve));
      let poolUsed = false;
      const poolLane = async (): Promise<void> => {
        const connected = pool!.run({ warmUp: true, count, from: 0, to: 0 });
        connected.catch(() => undefined); // raced below; a pool destroyed before it is up is no error
        // A small load may be done by this thread before the pool is up: then the pool is not waited for.
        await (options.poolOnly ? connected : Promise.race([connected, mainLaneEnded]));
        for (let slice = take(); slice; slice = take()) {
          poolUsed = true;
          await runSlice(slice);
        }
      };
      const mainLane = async (): Promise<void> => {
        if (options.poolOnly) return;
        const collection = client.db(db).collection<StockDoc>(coll);
        for (let slice = take(); slice; slice = poolWriting && !options.mainThreadKeepsHelping ? undefined : take()) {
          const result = await insertSlice(collection, layout, slice[0], slice[1], workerData, report);
          bulk += result.inserted;
          foreign += result.preexisting;
          retriedBatches += result.retriedBatches;
          mainThreadDocs += result.inserted;
        }
      };
      // Two main lanes: while the server inserts one batch, this thread builds and sends the next.
      const mainLanes = Promise.all([mainLane(), mainLane()]).finally(mainLaneDone);
      const lanes = [...Array.from({ length: pool ? workers * 2 : 0 }, poolLane), mainLanes].map((lane) =>
        lane.catch((error: unknown) => {
          failed = true;
          throw error;
        }),
      );
      const tasks = lanes;
      const settled = await Promise.allSettled(tasks);
      const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (interrupted) return await interruptedSummary();
      if (failure) {
        const held = await client.db(db).collection(coll).countDocuments();
        throw new UserError(`load failed after ${held.toLocaleString('en-US')} documents: ${messageOf(failure.reason)}`);
      }
      // A pool that never got a slice may still be starting: nothing of it is worth waiting for.
      await (poolUsed ? pool?.close() : pool?.destroy());
      pool = undefined;

      // The familiar symbols last, as the original did.
      const familiar = await insertFamiliar(client, db, coll, options.seed);
      report(familiar.inserted);
      foreign += familiar.foreign;
      const seconds = (performance.now() - startedAt) / 1000;
      const documents = bulk + familiar.inserted;
      // The collection was empty when we began: whatever it holds beyond our own documents, someone else wrote.
      const held = await client.db(db).collection(coll).countDocuments();
      foreign = Math.max(foreign, held - documents);
      return {
        namespace, documents, foreign, bulk, familiar: familiar.inserted, planned, seconds, docsPerSecond: documents / seconds, workers: usePool ? workers : 0, batchSize,
        retriedBatches, mainThreadDocs, sharded: sharding.sharded, topology: target.topology, interrupted: false,
      };
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }

    async function interruptedSummary(): Promise<LoadSummary> {
      await pool?.destroy().catch(() => undefined);
      pool = undefined;
      // What is really there: in-flight batches may have landed after their last progress message.
      const held = await client.db(db).collection(coll).countDocuments();
      const seconds = (performance.now() - startedAt) / 1000;
      // Ours: what we counted, plus batches in flight that landed after their last message (never more than is there).
      const ours = Math.min(held, Math.max(bulk, held - foreign));
      return {
        namespace, documents: ours, foreign: held - ours, bulk: ours, familiar: 0, planned, seconds, docsPerSecond: ours / seconds, workers: usePool ? workers : 0, batchSize,
        retriedBatches, mainThreadDocs, sharded: sharding.sharded, topology: target.topology, interrupted: true,
      };
    }
  }
}

function workerSettings(options: LoadOptions, batchSize: number): LoadWorkerData {
  return {
    uri: options.uri, db: options.db, coll: options.coll, batchSize, maxAttempts: options.maxAttempts ?? 5,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.failFirstAttemptEvery ? { failFirstAttemptEvery: options.failFirstAttemptEvery } : {}),
  };
}

function startPool(workerData: LoadWorkerData, workers: number): Piscina<LoadTask, LoadTaskResult> {
  return new Piscina<LoadTask, LoadTaskResult>({
    filename: new URL('./worker.js', import.meta.url).href,
    workerData,
    minThreads: workers,
    maxThreads: workers,
    concurrentTasksPerWorker: 2,
    idleTimeout: 60_000,
  });
}

/** Splits [0, count) into tasks of whole batches: about 8 tasks per worker, at most 20 batches each. */
export function slices(count: number, batchSize: number, workers: number): Array<[number, number]> {
  const batches = Math.ceil(count / batchSize);
  const batchesPerTask = Math.max(1, Math.min(20, Math.ceil(batches / (workers * 8))));
  const size = batchesPerTask * batchSize;
  const out: Array<[number, number]> = [];
  for (let from = 0; from < count; from += size) out.push([from, Math.min(count, from + size)]);
  return out;
}

async function insertFamiliar(client: MongoClient, db: string, coll: string, seed?: number): Promise<{ inserted: number; foreign: number }> {
  const docs: StockDoc[] = familiarDocs(seed === undefined ? Math.random : seededRandom(seed - 1));
  const collection = client.db(db).collection<StockDoc>(coll);
  try {
    const reply = await collection.insertMany(docs, { ordered: false });
    return { inserted: reply.insertedCount, foreign: 0 };
  } catch (error) {
    const writeErrors = error instanceof MongoBulkWriteError ? [error.writeErrors].flat() : [];
    if (writeErrors.length === 0 || !writeErrors.every((e) => e.code === 11000)) throw error;
    // One attempt: a duplicate is another client's. (The driver's own retry after a lost reply is answered by
    // the server with the first attempt's result, never a duplicate key; comparing prices, drawn from a
    // small range, counted another load's document as ours when the two happened to match.)
    return { inserted: (error as MongoBulkWriteError).insertedCount, foreign: writeErrors.length };
  }
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ');
}

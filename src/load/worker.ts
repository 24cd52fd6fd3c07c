import type { MessagePort } from 'node:worker_threads';
import { workerData } from 'node:worker_threads';
import { MongoBulkWriteError, MongoClient, type Collection } from 'mongodb';
import { bulkDocs, layoutFor, seededRandom, type BulkLayout, type StockDoc } from './dataset.js';

/**
 * The loader's piscina worker: one exported task. Settings arrive once in `workerData`; each worker
 * thread keeps ONE MongoClient for all its tasks. A task inserts the bulk slice `[from, to)` in unordered
 * `insertMany` batches and posts the number of documents each batch added to `port`.
 */

export interface LoadWorkerData {
  uri: string;
  db: string;
  coll: string;
  batchSize: number;
  /** When set, prices are reproducible: slice `[from, to)` draws from seededRandom(seed + from). */
  seed?: number;
  /** Attempts per batch before the task fails. */
  maxAttempts: number;
  /** Test hook: fail the first attempt of every batch whose first index is a multiple of this (after inserting half). */
  failFirstAttemptEvery?: number;
}

export interface LoadTask {
  /** Bulk document count of the whole load (defines the key space). */
  count: number;
  from: number;
  to: number;
  port?: MessagePort;
}

export interface LoadTaskResult {
  /** Documents this task put in the collection (a duplicate key met on a retry counts: our earlier attempt wrote it). */
  inserted: number;
  /** Documents that were already there on a first attempt (not ours). */
  preexisting: number;
  /** Batches that needed more than one attempt. */
  retriedBatches: number;
}

const settings = workerData as LoadWorkerData;
const layouts = new Map<number, BulkLayout>();
let client: Promise<MongoClient> | undefined;

function getClient(): Promise<MongoClient> {
  client ??= new MongoClient(settings.uri, { appName: 'ticker-load', maxPoolSize: 4, serverSelectionTimeoutMS: 5_000 }).connect();
  return client;
}
// Connect while the main thread is still checking the collection: the first task finds a ready client.
getClient().catch(() => {
  client = undefined; // the first task connects again and reports the error
});

const DUPLICATE_KEY = 11000;

export default async function loadSlice(task: LoadTask): Promise<LoadTaskResult> {
  let layout = layouts.get(task.count);
  if (!layout) layouts.set(task.count, (layout = layoutFor(task.count)));
  const collection = (await getClient()).db(settings.db).collection<StockDoc>(settings.coll);
  const random = settings.seed === undefined ? Math.random : seededRandom(settings.seed + task.from);
  const result: LoadTaskResult = { inserted: 0, preexisting: 0, retriedBatches: 0 };
  try {
    for (let start = task.from; start < task.to; start += settings.batchSize) {
      const docs = bulkDocs(layout, start, Math.min(task.to, start + settings.batchSize), random);
      const batch = await insertBatch(collection, docs, start);
      result.inserted += batch.inserted;
      result.preexisting += batch.preexisting;
      if (batch.attempts > 1) result.retriedBatches++;
      task.port?.postMessage(batch.inserted + batch.preexisting);
    }
  } finally {
    task.port?.close();
  }
  return result;
}

interface BatchOutcome {
  inserted: number;
  preexisting: number;
  attempts: number;
}

/**
 * Unordered insert with retries. After a failure only the documents that did not make it are sent again;
 * when the failure leaves it unknown which did (a lost connection), the whole rest is sent again and a
 * duplicate key on that retry means our earlier attempt wrote it: counted once, as done.
 */
async function insertBatch(collection: Collection<StockDoc>, docs: StockDoc[], first: number): Promise<BatchOutcome> {
  let pending = docs;
  const outcome: BatchOutcome = { inserted: 0, preexisting: 0, attempts: 0 };
  let lastError: unknown;
  while (pending.length > 0) {
    if (outcome.attempts >= settings.maxAttempts) {
      throw new Error(`a batch of ${docs.length} documents still failed after ${outcome.attempts} attempts: ${messageOf(lastError)}`);
    }
    const retry = outcome.attempts > 0;
    outcome.attempts++;
    try {
      if (!retry && settings.failFirstAttemptEvery && first % settings.failFirstAttemptEvery === 0) {
        const half = pending.slice(0, Math.ceil(pending.length / 2));
        await collection.insertMany(half, { ordered: false });
        throw new Error('injected failure after a partial write (test hook)');
      }
      const reply = await collection.insertMany(pending, { ordered: false });
      outcome.inserted += reply.insertedCount;
      pending = [];
    } catch (error) {
      lastError = error;
      if (error instanceof MongoBulkWriteError) {
        const writeErrors = [error.writeErrors].flat();
        const failed = new Set<number>();
        for (const writeError of writeErrors) {
          if (writeError.code === DUPLICATE_KEY) {
            if (retry) outcome.inserted++;
            else outcome.preexisting++;
          } else failed.add(writeError.index);
        }
        outcome.inserted += error.insertedCount ?? 0;
        pending = pending.filter((_, i) => failed.has(i));
      }
      // Any other error: unknown which documents arrived; send all the rest again.
      if (pending.length > 0) await sleep(Math.min(1000, 50 * 2 ** (outcome.attempts - 1)));
    }
  }
  return outcome;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

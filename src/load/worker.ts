import type { MessagePort } from 'node:worker_threads';
import { workerData } from 'node:worker_threads';
import { MongoClient } from 'mongodb';
import { layoutFor, type BulkLayout, type StockDoc } from './dataset.js';
import { insertSlice, type SliceSettings, type SliceResult } from './insert-slice.js';

/**
 * The loader's piscina worker: one exported task. Settings arrive once in `workerData`; each worker
 * thread keeps ONE MongoClient for all its tasks. A task inserts the bulk slice `[from, to)` in unordered
 * `insertMany` batches and posts the number of documents each batch added to `port`.
 */

export interface LoadWorkerData extends SliceSettings {
  uri: string;
  db: string;
  coll: string;
}

export interface LoadTask {
  /** Only connect (the loader waits for this before it hands the thread a slice). */
  warmUp?: boolean;
  /** Bulk document count of the whole load (defines the key space). */
  count: number;
  from: number;
  to: number;
  port?: MessagePort;
}

export type LoadTaskResult = SliceResult;

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

export default async function loadSlice(task: LoadTask): Promise<LoadTaskResult> {
  if (task.warmUp) {
    await getClient();
    return { inserted: 0, preexisting: 0, retriedBatches: 0 };
  }
  let layout = layouts.get(task.count);
  if (!layout) layouts.set(task.count, (layout = layoutFor(task.count)));
  const collection = (await getClient()).db(settings.db).collection<StockDoc>(settings.coll);
  try {
    return await insertSlice(collection, layout, task.from, task.to, settings, (n) => task.port?.postMessage(n));
  } finally {
    task.port?.close();
  }
}

import { MongoBulkWriteError, type Collection } from 'mongodb';
import { bulkDocs, seededRandom, type BulkLayout, type StockDoc } from './dataset.js';

/** How a slice is written; the same for the pool's workers and the main thread. */
export interface SliceSettings {
  batchSize: number;
  /**
   * When set, prices are reproducible: the batch starting at document k draws from seededRandom(seed + k).
   * Slices are whole batches, so the same seed and batch size give the same prices however the slices
   * are shared out (worker threads, this thread, how many of either).
   */
  seed?: number;
  /** Attempts per batch before the slice fails. */
  maxAttempts: number;
  /** Test hook: the first attempt of every batch whose first index is a multiple of this writes half, then fails. */
  failFirstAttemptEvery?: number;
}

export interface SliceResult {
  /**
   * Documents this slice put in the collection. A duplicate key met on a retry counts only when our own
   * earlier attempt may have written it (its outcome was unknown) and the stored document is the one we sent.
   */
  inserted: number;
  /** Documents that were already there and are not ours: another client wrote them. */
  preexisting: number;
  /** Batches that needed more than one attempt. */
  retriedBatches: number;
}

const DUPLICATE_KEY = 11000;

/** Generates and inserts bulk documents `[from, to)` in unordered batches; `onBatch` gets each batch's count. */
export async function insertSlice(
  collection: Collection<StockDoc>,
  layout: BulkLayout,
  from: number,
  to: number,
  settings: SliceSettings,
  onBatch?: (documents: number) => void,
): Promise<SliceResult> {
  const result: SliceResult = { inserted: 0, preexisting: 0, retriedBatches: 0 };
  for (let start = from; start < to; start += settings.batchSize) {
    const random = settings.seed === undefined ? Math.random : seededRandom(settings.seed + start);
    const docs = bulkDocs(layout, start, Math.min(to, start + settings.batchSize), random);
    const batch = await insertBatch(collection, docs, start, settings);
    result.inserted += batch.inserted;
    result.preexisting += batch.preexisting;
    if (batch.attempts > 1) result.retriedBatches++;
    onBatch?.(batch.inserted + batch.preexisting);
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
async function insertBatch(collection: Collection<StockDoc>, docs: StockDoc[], first: number, settings: SliceSettings): Promise<BatchOutcome> {
  let pending = docs;
  const outcome: BatchOutcome = { inserted: 0, preexisting: 0, attempts: 0 };
  let lastError: unknown;
  /** The last failure left unknown which documents arrived: a duplicate key now may be our own write. */
  let outcomeUnknown = false;
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
        const inserted = error.insertedCount ?? 0;
        // Only when every document is accounted for (inserted, or has its own write error) do we know
        // exactly which to send again; otherwise (a command-level failure) all of them go again.
        if (inserted + writeErrors.length === pending.length) {
          const failed = new Set<number>();
          const duplicates: StockDoc[] = [];
          for (const writeError of writeErrors) {
            if (writeError.code === DUPLICATE_KEY) duplicates.push(pending[writeError.index]!);
            else failed.add(writeError.index);
          }
          // Ours only if our unknown earlier attempt may have written it, and what is stored is what we sent.
          const ours = retry && outcomeUnknown && duplicates.length > 0 ? await ownCopies(collection, duplicates) : 0;
          outcome.inserted += inserted + ours;
          outcome.preexisting += duplicates.length - ours;
          pending = pending.filter((_, i) => failed.has(i));
          outcomeUnknown = false;
        } else outcomeUnknown = true;
      } else outcomeUnknown = true;
      // Any other error: unknown which documents arrived; send all the rest again.
      if (pending.length > 0) await sleep(Math.min(1000, 50 * 2 ** (outcome.attempts - 1)));
    }
  }
  return outcome;
}

/** How many of `docs` the collection holds exactly as given (only on a retry after an unknown outcome: rare). */
async function ownCopies(collection: Collection<StockDoc>, docs: StockDoc[]): Promise<number> {
  const sent = new Map(docs.map((d) => [d._id, d.price]));
  const stored = await collection.find({ _id: { $in: [...sent.keys()] } }, { projection: { price: 1 } }).toArray();
  return stored.filter((d) => sent.get(d._id) === d.price).length;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

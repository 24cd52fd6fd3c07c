import type { Collection, Filter } from 'mongodb';

type BulkDoc = { _id: string };
import { BULK_LETTERS, type BulkLayout, type LetterRange } from '../load/dataset.js';
import { UserError } from '../util/errors.js';
import { commandHint } from '../util/invocation.js';

/**
 * Reads which bulk symbols a loaded collection holds: the lowest and highest number of each letter
 * (`A10000`..`A14999`). Numbers share one digit count within a data set, so `_id` order is numeric order.
 * Familiar symbols such as `AAPL` are outside the range: a bulk `_id` is a letter then digits.
 */
export async function detectLayout(collection: Collection<BulkDoc>): Promise<BulkLayout> {
  let offset = 0;
  const letters: LetterRange[] = [];
  for (const letter of BULK_LETTERS) {
    // ':' sorts right after '9': [A0, A:) holds exactly the A symbols whose next character is a digit.
    const range: Filter<BulkDoc> = { _id: { $gte: `${letter}0`, $lt: `${letter}:` } };
    const [low] = await collection.find(range, { projection: { _id: 1 } }).sort({ _id: 1 }).limit(1).toArray();
    const [high] = await collection.find(range, { projection: { _id: 1 } }).sort({ _id: -1 }).limit(1).toArray();
    const first = numberOf(low?._id, letter);
    const last = numberOf(high?._id, letter);
    const count = first === undefined || last === undefined ? 0 : last - first + 1;
    letters.push({ letter, first: first ?? 0, count, offset });
    offset += count;
  }
  if (offset === 0) {
    throw new UserError(`${collection.dbName}.${collection.collectionName} holds no bulk symbols (A10000 ...): run ${commandHint('load')} first`);
  }
  return { count: offset, letters };
}

function numberOf(id: unknown, letter: string): number | undefined {
  if (typeof id !== 'string' || !id.startsWith(letter)) return undefined;
  const n = Number(id.slice(1));
  return Number.isSafeInteger(n) ? n : undefined;
}

import { Long, type Document } from 'bson';
import { documentWithEncodedArray } from '../wire/encoded.js';
import type { EventBatch } from './cursor.js';
import { eventBytes } from './shared.js';

/**
 * The reply to a change stream's aggregate or getMore. Its events go in as the bytes they were encoded
 * to once (shared with every cursor of the same shape), so a reply copies them instead of re-serialising.
 */
export function changeStreamReply(id: number, ns: string, batch: EventBatch, first: boolean): Document {
  const cursor = documentWithEncodedArray(first ? 'firstBatch' : 'nextBatch', batch.events.map(eventBytes), {
    id: Long.fromNumber(id), ns, postBatchResumeToken: batch.postBatchResumeToken,
  });
  return { cursor, ok: 1 };
}

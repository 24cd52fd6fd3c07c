import { BSON, type Document } from 'bson';
import { changeStreamGetMore } from '../changestream/get-more.js';
import { cursorReply } from '../cursors.js';
import { MAX_BSON_OBJECT_SIZE } from '../wire/opcodes.js';
import type { CommandContext } from './context.js';

/** mongod's default first batch: 101 documents (or 16 MB, whichever comes first). */
export const DEFAULT_FIRST_BATCH = 101;
/** A reply is one BSON document of at most 16 MB; the cursor envelope and $clusterTime need a little room. */
const MAX_BATCH_BYTES = MAX_BSON_OBJECT_SIZE - 64 * 1024;

/**
 * The first `count` documents from `offset` that fit in one reply (at least one document, as mongod
 * always returns at least one even if it alone is near 16 MB).
 */
function takeBatch(docs: Document[], offset: number, count: number): Document[] {
  const end = Math.min(docs.length, offset + count);
  let bytes = 0;
  let at = offset;
  for (; at < end; at++) {
    bytes += BSON.calculateObjectSize(docs[at]) + 8; // + array key and type byte
    if (bytes > MAX_BATCH_BYTES && at > offset) break;
  }
  return docs.slice(offset, at);
}

/**
 * The first batch of a result; the rest stays in a server cursor for getMore. `batchSize` 0 opens the
 * cursor without returning anything; `singleBatch` closes it after this batch whatever is left.
 */
export function firstBatch(ctx: CommandContext, ns: string, docs: Document[], batchSize: number | undefined, singleBatch = false): Document {
  const size = typeof batchSize === 'number' && batchSize >= 0 ? batchSize : DEFAULT_FIRST_BATCH;
  const batch = size === 0 ? [] : takeBatch(docs, 0, size);
  if (batch.length === docs.length || singleBatch) return cursorReply(0, ns, batch, true);
  const id = ctx.cursors.allocateId();
  ctx.cursors.add({ kind: 'documents', id, ns, docs, offset: batch.length });
  return cursorReply(id, ns, batch, true);
}

/** getMore for both kinds of cursor; change streams wait for events up to maxTimeMS. */
export async function nextBatch(ctx: CommandContext, id: number, ns: string, batchSize: number | undefined, maxTimeMS: number | undefined): Promise<Document> {
  const cursor = ctx.cursors.get(id, ns);
  if (cursor.kind === 'documents') {
    const size = typeof batchSize === 'number' && batchSize > 0 ? batchSize : Number.MAX_SAFE_INTEGER;
    const batch = takeBatch(cursor.docs, cursor.offset, size);
    cursor.offset += batch.length;
    const done = cursor.offset >= cursor.docs.length;
    if (done) ctx.cursors.kill(id);
    return cursorReply(done ? 0 : id, ns, batch, false);
  }
  return changeStreamGetMore(ctx, cursor, batchSize, maxTimeMS);
}

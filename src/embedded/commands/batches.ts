import type { Document } from 'bson';
import { cursorReply } from '../cursors.js';
import { CommandError, ErrorCode } from '../errors.js';
import type { CommandContext } from './context.js';

const DEFAULT_FIRST_BATCH = 101;
// Batches stop short of the 16 MB reply limit; this bound keeps the estimate cheap.
const MAX_BATCH_DOCS = 100_000;

/** The first batch of a result; the rest stays in a server cursor for getMore. */
export function firstBatch(ctx: CommandContext, ns: string, docs: Document[], batchSize: number | undefined, singleBatch = false): Document {
  const size = typeof batchSize === 'number' ? batchSize : DEFAULT_FIRST_BATCH;
  const batch = docs.slice(0, Math.min(size, MAX_BATCH_DOCS));
  if (batch.length === docs.length || singleBatch) return cursorReply(0, ns, batch, true);
  const id = ctx.cursors.allocateId();
  ctx.cursors.add({ kind: 'documents', id, ns, docs, offset: batch.length });
  return cursorReply(id, ns, batch, true);
}

/** getMore for both kinds of cursor; change streams wait for events up to maxTimeMS. */
export async function nextBatch(ctx: CommandContext, id: number, ns: string, batchSize: number | undefined, maxTimeMS: number | undefined): Promise<Document> {
  const cursor = ctx.cursors.get(id, ns);
  if (cursor.kind === 'documents') {
    const size = typeof batchSize === 'number' && batchSize > 0 ? batchSize : MAX_BATCH_DOCS;
    const batch = cursor.docs.slice(cursor.offset, cursor.offset + size);
    cursor.offset += batch.length;
    const done = cursor.offset >= cursor.docs.length;
    if (done) ctx.cursors.kill(id);
    return cursorReply(done ? 0 : id, ns, batch, false);
  }
  const size = typeof batchSize === 'number' && batchSize > 0 ? batchSize : MAX_BATCH_DOCS;
  const signal = AbortSignal.any([cursor.abort.signal, ctx.conn.closed]);
  let result;
  try {
    result = await cursor.stream.nextBatch(size, typeof maxTimeMS === 'number' ? maxTimeMS : 1000, signal);
  } catch (err) {
    ctx.cursors.kill(id);
    throw err;
  }
  if (cursor.abort.signal.aborted) throw new CommandError(ErrorCode.CursorNotFound, `cursor id ${id} was killed`);
  if (result.invalidated) ctx.cursors.kill(id);
  return cursorReply(result.invalidated ? 0 : id, ns, result.events, false, { postBatchResumeToken: result.postBatchResumeToken });
}

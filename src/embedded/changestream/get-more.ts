import type { Document } from 'bson';
import type { CommandContext } from '../commands/context.js';
import type { ServerCursor } from '../cursors.js';
import { CommandError, ErrorCode } from '../errors.js';
import { labelChangeStreamError } from './errors.js';
import { changeStreamReply } from './reply.js';

type ChangeStreamServerCursor = Extract<ServerCursor, { kind: 'changeStream' }>;

/** mongod's await time for a tailable, awaitData getMore sent without maxTimeMS. */
const DEFAULT_AWAIT_MS = 1000;

/**
 * getMore on a change-stream cursor: waits (woken by the oplog append, never polling) up to maxTimeMS for
 * the first event, and always answers with a postBatchResumeToken. A failure kills the cursor and carries
 * the change-stream error labels the driver's resume logic reads.
 */
export async function changeStreamGetMore(ctx: CommandContext, cursor: ChangeStreamServerCursor, batchSize: number | undefined, maxTimeMS: number | undefined): Promise<Document> {
  const { id, ns } = cursor;
  const injected = ctx.failPoints.take('failGetMoreAfterCursorCheckout');
  if (injected) {
    ctx.cursors.kill(id);
    throw labelChangeStreamError(new CommandError(injected.errorCode ?? 1, "Hit the 'failGetMoreAfterCursorCheckout' failpoint"));
  }
  const size = typeof batchSize === 'number' && batchSize > 0 ? batchSize : Number.MAX_SAFE_INTEGER;
  // Two signals, not AbortSignal.any (which allocates a signal per getMore and is slow to collect).
  const signal = [cursor.abort.signal, ctx.conn.closed];
  let result;
  try {
    result = await cursor.stream.nextBatch(size, typeof maxTimeMS === 'number' ? maxTimeMS : DEFAULT_AWAIT_MS, signal);
  } catch (err) {
    ctx.cursors.kill(id);
    throw labelChangeStreamError(err);
  }
  if (cursor.abort.signal.aborted) throw new CommandError(ErrorCode.CursorNotFound, `cursor id ${id} was killed`);
  if (result.invalidated) ctx.cursors.kill(id);
  return changeStreamReply(result.invalidated ? 0 : id, ns, result, false);
}

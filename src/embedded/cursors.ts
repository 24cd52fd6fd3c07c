import { Long, type Document } from 'bson';
import type { ChangeStreamCursor } from './changestream/cursor.js';
import { CommandError, ErrorCode } from './errors.js';

export type ServerCursor =
  | { kind: 'documents'; id: number; ns: string; docs: Document[]; offset: number; lsid?: string }
  | { kind: 'changeStream'; id: number; ns: string; stream: ChangeStreamCursor; abort: AbortController; lsid?: string };

/** Open cursors by id. Ids are int64 on the wire and never 0 (0 means "exhausted"). */
export class CursorRegistry {
  private readonly cursors = new Map<number, ServerCursor>();
  private nextId = 1 + Math.floor(Math.random() * 1_000_000) * 1_000;

  allocateId(): number {
    return this.nextId++;
  }

  add(cursor: ServerCursor): void {
    this.cursors.set(cursor.id, cursor);
  }

  get(id: number, ns: string): ServerCursor {
    const cursor = this.cursors.get(id);
    if (!cursor) throw new CommandError(ErrorCode.CursorNotFound, `cursor id ${id} not found`);
    if (cursor.ns !== ns) throw new CommandError(ErrorCode.Unauthorized, `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${cursor.ns}`);
    return cursor;
  }

  kill(id: number): boolean {
    const cursor = this.cursors.get(id);
    if (!cursor) return false;
    if (cursor.kind === 'changeStream') cursor.abort.abort();
    this.cursors.delete(id);
    return true;
  }

  killAll(): void {
    for (const id of [...this.cursors.keys()]) this.kill(id);
  }

  get size(): number {
    return this.cursors.size;
  }
}

/** The `cursor` document of a find/aggregate/getMore reply. */
export function cursorReply(id: number, ns: string, batch: Document[], first: boolean, extra: Document = {}): Document {
  return { cursor: { [first ? 'firstBatch' : 'nextBatch']: batch, id: Long.fromNumber(id), ns, ...extra }, ok: 1 };
}

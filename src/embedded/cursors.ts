import { Long, type Document } from 'bson';
import type { EventBatch } from './changestream/cursor.js';
import { CommandError, ErrorCode } from './errors.js';

/** A change stream behind a cursor id: one node's (ChangeStreamCursor) or the router's merge of shards. */
export interface ChangeStreamSource {
  nextBatch(batchSize: number, maxTimeMS: number, signal?: AbortSignal | readonly AbortSignal[]): Promise<EventBatch>;
  /** killed, timed out or exhausted: what it shares with other streams is let go */
  close(): void;
}

export type ServerCursor =
  | { kind: 'documents'; id: number; ns: string; docs: Document[]; offset: number; lsid?: string }
  | { kind: 'changeStream'; id: number; ns: string; stream: ChangeStreamSource; abort: AbortController; lsid?: string };

/** mongod's default `cursorTimeoutMillis`: a cursor nobody has used for this long is killed. */
export const CURSOR_TIMEOUT_MS = 10 * 60_000;
const SWEEP_EVERY_MS = 60_000;

/**
 * Open cursors by id. Ids are int64 on the wire and never 0 (0 means "exhausted"). Cursors a client
 * abandoned (it died, or resumed its change stream on a new cursor) time out as on mongod, swept lazily
 * when cursors are opened so no timer keeps the process alive.
 */
export class CursorRegistry {
  private readonly cursors = new Map<number, ServerCursor>();
  private readonly lastUsed = new Map<number, number>();
  private nextId = 1 + Math.floor(Math.random() * 1_000_000) * 1_000;
  private lastSweep = Date.now();

  constructor(private readonly timeoutMs = CURSOR_TIMEOUT_MS) {}

  allocateId(): number {
    return this.nextId++;
  }

  add(cursor: ServerCursor): void {
    const now = Date.now();
    if (now - this.lastSweep >= Math.min(SWEEP_EVERY_MS, this.timeoutMs)) this.sweep(now);
    this.cursors.set(cursor.id, cursor);
    this.lastUsed.set(cursor.id, now);
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [id, used] of this.lastUsed) if (now - used >= this.timeoutMs) this.kill(id);
  }

  get(id: number, ns: string): ServerCursor {
    const cursor = this.cursors.get(id);
    if (!cursor) throw new CommandError(ErrorCode.CursorNotFound, `cursor id ${id} not found`);
    if (cursor.ns !== ns) throw new CommandError(ErrorCode.Unauthorized, `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${cursor.ns}`);
    this.lastUsed.set(id, Date.now());
    return cursor;
  }

  kill(id: number): boolean {
    const cursor = this.cursors.get(id);
    if (!cursor) return false;
    if (cursor.kind === 'changeStream') {
      cursor.abort.abort();
      cursor.stream.close();
    }
    this.cursors.delete(id);
    this.lastUsed.delete(id);
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

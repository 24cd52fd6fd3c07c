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

/** The session (lsid id, hex) and authenticated user a cursor was opened by. */
export interface CursorOwner {
  lsid?: string;
  user?: string;
}

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
  private readonly owners = new Map<number, CursorOwner>();
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
    this.owners.delete(id);
    return true;
  }

  setOwner(id: number, owner: CursorOwner): void {
    if (this.cursors.has(id)) this.owners.set(id, owner);
  }

  /** getMore from another user (Unauthorized, 13) or another session (50736/50737) is refused, as by mongod. */
  checkOwner(id: number, by: CursorOwner): void {
    const owner = this.owners.get(id);
    if (!owner) return;
    if (owner.user !== by.user) throw new CommandError(ErrorCode.Unauthorized, `cursor id ${id} was not created by the authenticated user`);
    if (owner.lsid === by.lsid) return;
    if (owner.lsid === undefined) {
      throw new CommandError(50736, `Cannot run getMore on cursor ${id}, which was not created in a session, in session ${by.lsid}`, [], { codeName: 'Location50736' });
    }
    throw new CommandError(50737, `Cannot run getMore on cursor ${id}, which was created in session ${owner.lsid}, ${by.lsid === undefined ? 'without an lsid' : `in session ${by.lsid}`}`, [], { codeName: 'Location50737' });
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

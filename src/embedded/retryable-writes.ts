import type { Document } from 'bson';
import { CommandError } from './errors.js';
import type { FailPoints } from './failpoints.js';

const RETRYABLE_COMMANDS = new Set(['insert', 'update', 'delete', 'findAndModify', 'findandmodify']);
/** Sessions whose last retryable write is remembered; the oldest is forgotten first. */
const MAX_SESSIONS = 100_000;

/** A retryable write: its session and its transaction number. */
export interface RetryKey {
  session: string;
  txnNumber: number;
}

interface SessionRecord {
  txnNumber: number;
  reply?: Document;
  log?: StatementLog;
}

/**
 * The result of each session's last retryable write, as a mongod's session transaction table keeps it: a
 * retry of an already-applied write returns the first result instead of applying the write twice. Only
 * the newest txnNumber per session is kept (a retry of an older one is refused with TransactionTooOld,
 * by the session), so memory follows the number of sessions, not of writes.
 */
export class RetryableWrites {
  private readonly sessions = new Map<string, SessionRecord>();

  /** The statements of this retryable write already applied by an earlier, interrupted attempt. */
  log(key: RetryKey): StatementLog {
    const record = this.record(key);
    const log = record?.log ?? { done: new Map(), incomplete: false, dropReply: false };
    if (record) record.log = log;
    log.incomplete = false;
    log.dropReply = false;
    return log;
  }

  keyOf(commandName: string, cmd: Document): RetryKey | undefined {
    if (!RETRYABLE_COMMANDS.has(commandName) || cmd.txnNumber === undefined || !cmd.lsid?.id) return undefined;
    if (cmd.autocommit !== undefined || cmd.startTransaction !== undefined) return undefined;
    return { session: Buffer.from(cmd.lsid.id.buffer ?? cmd.lsid.id).toString('hex'), txnNumber: Number(cmd.txnNumber) };
  }

  get(key: RetryKey): Document | undefined {
    const record = this.sessions.get(key.session);
    return record?.txnNumber === key.txnNumber ? record.reply : undefined;
  }

  remember(key: RetryKey, reply: Document): void {
    const record = this.record(key);
    if (!record) return;
    record.reply = reply;
    delete record.log;
  }

  /**
   * The session's record for this txnNumber: a newer txnNumber replaces what the session remembered; an
   * older one has none (its write finished after a newer one began, and is not kept).
   */
  private record(key: RetryKey): SessionRecord | undefined {
    let record = this.sessions.get(key.session);
    if (record && record.txnNumber > key.txnNumber) return undefined;
    if (record?.txnNumber === key.txnNumber) return record;
    // re-inserted, so the map's order is the order of last use and the first key the least recent
    this.sessions.delete(key.session);
    record = { txnNumber: key.txnNumber };
    this.sessions.set(key.session, record);
    if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    return record;
  }
}

/**
 * One attempt of a retryable write, statement by statement (mongod keys them by stmtId): a retry after an
 * attempt that failed part-way applies only the statements the first attempt did not.
 */
export interface StatementLog {
  /** Statement index → its outcome, for statements already applied. */
  done: Map<number, unknown>;
  /** A statement of this attempt failed before committing (onPrimaryTransactionalWrite): keep no reply. */
  incomplete: boolean;
  /** The fail point closed the connection: the reply is never sent. */
  dropReply: boolean;
}

/**
 * Runs statement `index` of a retryable write once: an earlier attempt's outcome is reused, and the
 * onPrimaryTransactionalWrite fail point fires here, as in mongod (close the connection once the statement
 * is done, or fail it with failBeforeCommitExceptionCode before it commits).
 */
export function runStatement<T>(ctx: { retry?: StatementLog; failPoints: FailPoints }, index: number, apply: () => T): T {
  const log = ctx.retry;
  if (!log) return apply();
  // An async statement's outcome was stored resolved; awaiting it again is harmless.
  if (log.done.has(index)) return log.done.get(index) as T;
  const fired = ctx.failPoints.take('onPrimaryTransactionalWrite');
  if (fired) {
    if (fired.closeConnection !== false) log.dropReply = true;
    if (fired.failBeforeCommitExceptionCode !== undefined) {
      log.incomplete = true;
      throw new CommandError(fired.failBeforeCommitExceptionCode, 'Failing write for test due to failpoint');
    }
  }
  const outcome = apply();
  if (outcome instanceof Promise) {
    return outcome.then((value) => {
      log.done.set(index, value);
      return value;
    }) as T;
  }
  log.done.set(index, outcome);
  return outcome;
}

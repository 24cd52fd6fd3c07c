import type { Document } from 'bson';
import { CommandError } from './errors.js';
import type { FailPoints } from './failpoints.js';

const RETRYABLE_COMMANDS = new Set(['insert', 'update', 'delete', 'findAndModify', 'findandmodify']);
const MAX_REMEMBERED = 100_000;

/**
 * Results of retryable writes by (lsid, txnNumber): a retry of an already-applied write returns the first
 * result instead of applying the write twice, as a mongod's session transaction table does.
 */
export class RetryableWrites {
  private readonly results = new Map<string, Document>();
  private readonly logs = new Map<string, StatementLog>();

  /** The statements of this retryable write already applied by an earlier, interrupted attempt. */
  log(key: string): StatementLog {
    let log = this.logs.get(key);
    if (!log) {
      log = { done: new Map(), incomplete: false, dropReply: false };
      this.logs.set(key, log);
      if (this.logs.size > MAX_REMEMBERED) this.logs.delete(this.logs.keys().next().value!);
    }
    log.incomplete = false;
    log.dropReply = false;
    return log;
  }

  keyOf(commandName: string, cmd: Document): string | undefined {
    if (!RETRYABLE_COMMANDS.has(commandName) || cmd.txnNumber === undefined || !cmd.lsid?.id) return undefined;
    if (cmd.autocommit !== undefined || cmd.startTransaction !== undefined) return undefined;
    return `${Buffer.from(cmd.lsid.id.buffer ?? cmd.lsid.id).toString('hex')}:${Number(cmd.txnNumber)}`;
  }

  get(key: string): Document | undefined {
    return this.results.get(key);
  }

  remember(key: string, reply: Document): void {
    this.logs.delete(key);
    this.results.set(key, reply);
    if (this.results.size > MAX_REMEMBERED) this.results.delete(this.results.keys().next().value!);
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

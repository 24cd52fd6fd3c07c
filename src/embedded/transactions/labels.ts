import type { Document } from 'bson';

/** ErrorCodes::isRetriableError (src/mongo/base/error_codes.yml, category RetriableError). */
export const RETRIABLE_CODES = new Set([6, 7, 89, 91, 134, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);
/** ErrorCodes::isSnapshotError: SnapshotTooOld, StaleChunkHistory, SnapshotUnavailable, MigrationConflict. */
const SNAPSHOT_ERRORS = new Set([239, 241, 246, 293]);
/** ErrorCodes::isNeedRetargettingError: StaleShardVersion, StaleEpoch, StaleConfig. */
const NEED_RETARGETTING = new Set([63, 150, 13388]);
/** WriteConflict, LockTimeout, PreparedTransactionInProgress, StaleDbVersion, TenantMigrationAborted/Committed. */
const ALWAYS_TRANSIENT = new Set([112, 24, 267, 249, 325, 326]);
const COMMIT_OR_ABORT = new Set(['commitTransaction', 'abortTransaction']);

/** mongo::isTransientTransactionError (src/mongo/db/error_labels.cpp). */
function isTransientTransactionError(code: number, hasWriteConcernError: boolean, commitOrAbort: boolean): boolean {
  if (ALWAYS_TRANSIENT.has(code) || SNAPSHOT_ERRORS.has(code) || NEED_RETARGETTING.has(code)) return true;
  if (commitOrAbort) return code === 251 && !hasWriteConcernError;
  return RETRIABLE_CODES.has(code) || code === 251;
}

/**
 * The labels mongod's ErrorLabelBuilder puts on a reply: TransientTransactionError for a transaction's
 * statement (autocommit present) that failed with nothing to undo; otherwise RetryableWriteError for a
 * retryable write, or a transaction's commit/abort, that failed (or met a write-concern error) with a
 * retriable code. `code` is the command's error, `wcCode` its writeConcernError's.
 */
export function errorLabelsFor(commandName: string, cmd: Document, code: number | undefined, wcCode: number | undefined): string[] {
  const hasTxnNumber = cmd.txnNumber !== undefined && cmd.txnNumber !== null;
  const inTransaction = hasTxnNumber && cmd.autocommit !== undefined;
  const commitOrAbort = COMMIT_OR_ABORT.has(commandName);
  if (code !== undefined && inTransaction && isTransientTransactionError(code, wcCode !== undefined, commitOrAbort)) {
    return ['TransientTransactionError'];
  }
  const retryableWrite = hasTxnNumber && cmd.autocommit === undefined;
  if (retryableWrite || (inTransaction && commitOrAbort)) {
    if ((code !== undefined && RETRIABLE_CODES.has(code)) || (wcCode !== undefined && RETRIABLE_CODES.has(wcCode))) return ['RetryableWriteError'];
  }
  return [];
}

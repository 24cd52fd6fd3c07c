import { CommandError } from '../errors.js';

/**
 * Codes a 4.4+ server labels `ResumableChangeStreamError` when an aggregate or getMore of a change stream
 * fails with them (mongo's error_labels.cpp: RetriableError, NetworkError and NeedRetargettingError
 * categories, RetryChangeStream, FailedToSatisfyReadPreference).
 */
const RESUMABLE = new Set([
  6, 7, 89, 91, 134, 189, 202, 262, 9001, 10107, 11600, 11602, 13435, 13436, // RetriableError / NetworkError
  63, 150, 249, 13388, // StaleShardVersion, StaleEpoch, StaleDbVersion, StaleConfig (NeedRetargettingError)
  234, 133, // RetryChangeStream, FailedToSatisfyReadPreference
]);

/** The NonResumableChangeStreamError category: ChangeStreamFatalError, ChangeStreamHistoryLost. */
const NON_RESUMABLE = new Set([280, 286]);

export function changeStreamErrorLabels(code: number): string[] {
  if (NON_RESUMABLE.has(code)) return ['NonResumableChangeStreamError'];
  if (RESUMABLE.has(code)) return ['ResumableChangeStreamError'];
  return [];
}

/** Adds the labels a server attaches to a failed change-stream aggregate/getMore (keeps labels already set). */
export function labelChangeStreamError(err: unknown): unknown {
  if (!(err instanceof CommandError)) return err;
  for (const label of changeStreamErrorLabels(err.code)) if (!err.labels.includes(label)) err.labels.push(label);
  return err;
}

import type { Mode } from './unified/target.js';

/**
 * Spec tests the embedded server cannot pass yet, by `folder/file` (or `folder/*`), then test description
 * (or `*`: every test of the file), with the reason. A reason prefixed `sharded: ` holds only in sharded
 * mode. The node:test files mark them `todo` (reported, not failing the run); the summary lists them.
 * Keep this list short and honest: an entry is a known gap in the server, never a way to hide a regression.
 */
export const KNOWN_FAILURES: Record<string, Record<string, string>> = {
  'transactions/delete.json': { "collection writeConcern ignored for delete": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none" },
  'transactions/error-labels-errorLabels.json': { "add RetryableWriteError and UnknownTransactionCommitResult labels to writeConcernError ShutdownInProgress": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none" },
  'transactions/error-labels.json': { "add UnknownTransactionCommitResult label to writeConcernError WriteConcernTimeout": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none", "add UnknownTransactionCommitResult label to writeConcernError WriteConcernTimeout with wtimeout": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none", "omit UnknownTransactionCommitResult label from writeConcernError UnsatisfiableWriteConcern": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none", "omit UnknownTransactionCommitResult label from writeConcernError UnknownReplWriteConcern": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none", "add UnknownTransactionCommitResult label to MaxTimeMSExpired": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none", "add UnknownTransactionCommitResult label to writeConcernError MaxTimeMSExpired": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none" },
  'transactions/findOneAndDelete.json': { "collection writeConcern ignored for findOneAndDelete": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none" },
  'transactions/findOneAndReplace.json': { "collection writeConcern ignored for findOneAndReplace": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none" },
  'transactions/findOneAndUpdate.json': { "collection writeConcern ignored for findOneAndUpdate": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none" },
  'transactions/insert.json': { "collection writeConcern ignored for insert": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none" },
  'transactions/retryable-abort-errorLabels.json': { "abortTransaction succeeds after WriteConcernError InterruptedAtShutdown": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none", "abortTransaction succeeds after WriteConcernError InterruptedDueToReplStateChange": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none", "abortTransaction succeeds after WriteConcernError PrimarySteppedDown": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none", "abortTransaction succeeds after WriteConcernError ShutdownInProgress": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none" },
  'transactions/retryable-abort.json': { "abortTransaction does not retry after WriteConcernError Interrupted": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none" },
  'transactions/retryable-commit-errorLabels.json': { "commitTransaction succeeds after WriteConcernError InterruptedAtShutdown": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none", "commitTransaction succeeds after WriteConcernError InterruptedDueToReplStateChange": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none", "commitTransaction succeeds after WriteConcernError PrimarySteppedDown": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none", "commitTransaction succeeds after WriteConcernError ShutdownInProgress": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none" },
  'transactions/retryable-commit.json': { "commitTransaction is not retried after UnsatisfiableWriteConcern error": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none" },
  'transactions/run-command.json': { "run command with secondary read preference in client option and primary read preference in transaction options": "runner: creating a client with readPreference secondary waits for a secondary this one-member set does not have" },
  'transactions/transaction-options.json': { "transaction options inherited from client": "the Node driver sends afterClusterTime on the first statement of this test's fresh session; the spec expects none", "transaction options inherited from defaultTransactionOptions": "the Node driver sends afterClusterTime on the first statement of this test's fresh session; the spec expects none", "defaultTransactionOptions override client options": "the Node driver sends afterClusterTime on the first statement of this test's fresh session; the spec expects none", "readConcern local in defaultTransactionOptions": "the Node driver sends afterClusterTime on the first statement of this test's fresh session; the spec expects none", "startTransaction options override defaults": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none", "client writeConcern ignored for bulk": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none", "readPreference inherited from client": "runner: creating a client with readPreference secondary waits for a secondary this one-member set does not have" },
  'transactions/update.json': { "collections writeConcern ignored for update": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none" },
  'transactions/write-concern.json': { "commit with majority": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none", "abort with majority": "the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none" },
  'transactions/mongos-recovery-token-errorLabels.json': { "commitTransaction retry succeeds on new mongos": "sharded: the Node driver (7.9) adds wtimeout: 10000 to every commit/abort that has a write concern; the spec expects none" },
  'transactions/mongos-recovery-token.json': { "commitTransaction retry fails on new mongos": "sharded: needs several mongoses (useMultipleMongoses); the embedded cluster has one router" },
  'transactions/pin-mongos.json': { "unpin after transient error within a transaction and commit": "sharded: needs several mongoses (useMultipleMongoses); the embedded cluster has one router" },
  'sessions/snapshot-sessions.json': { "Find operation with snapshot and snapshot time": "the Node driver (7.9) has no snapshotTime session option, so the later reads do not send atClusterTime", "Distinct operation with snapshot and snapshot time": "the Node driver (7.9) has no snapshotTime session option, so the later reads do not send atClusterTime", "Aggregate operation with snapshot and snapshot time": "the Node driver (7.9) has no snapshotTime session option, so the later reads do not send atClusterTime", "countDocuments operation with snapshot and snapshot time": "the Node driver (7.9) has no snapshotTime session option, so the later reads do not send atClusterTime", "Mixed operation with snapshot and snapshotTime": "the Node driver (7.9) has no snapshotTime session option, so the later reads do not send atClusterTime" },
  'change-streams/change-streams-showExpandedEvents.json': { 'when showExpandedEvents is true, shardCollection events are reported': 'sharded: no shardCollection change event yet' },
  'command-monitoring/find.json': { 'A successful find with showRecordId and returnKey': 'find ignores returnKey' },
  'crud/bulkWrite-replaceOne-sort.json': { '*': 'sort on update/replace (an 8.0 option) is not refused' },
  'crud/bulkWrite-updateOne-sort.json': { '*': 'sort on update/replace (an 8.0 option) is not refused' },
  'crud/replaceOne-sort.json': { '*': 'sort on update/replace (an 8.0 option) is not refused' },
  'crud/updateOne-sort.json': { '*': 'sort on update/replace (an 8.0 option) is not refused' },
  'crud/bulkWrite-updateOne-pipeline.json': { '*': 'pipeline updates: $unset of _id is not refused as mongod does' },
  'crud/updateOne-pipeline.json': { '*': 'pipeline updates: $unset of _id is not refused as mongod does' },
  'crud/create-null-ids.json': { 'inserting _id with type null via replaceOne': 'an upsert with a null _id does not keep it' },
  'crud/estimatedDocumentCount.json': { '*': 'views are not counted; closeConnection on count' },
  'crud/findOneAndUpdate-errorResponse.json': { '*': 'collection validators are not implemented' },
  'crud/insertOne-dots_and_dollars.json': { '*': '$-prefixed keys in _id are not refused' },
};

/** Whether this very test is listed (not only its file): a listed test that passes should come off the list. */
export function listedByName(folder: string, file: string, test: string): boolean {
  return KNOWN_FAILURES[`${folder}/${file}`]?.[test] !== undefined;
}

export function knownFailure(folder: string, file: string, test: string, mode: Mode): string | undefined {
  const entries = KNOWN_FAILURES[`${folder}/${file}`] ?? KNOWN_FAILURES[`${folder}/*`];
  const reason = entries?.[test] ?? entries?.['*'];
  if (reason === undefined) return undefined;
  if (reason.startsWith('sharded: ')) return mode === 'sharded' ? reason.slice('sharded: '.length) : undefined;
  return reason;
}

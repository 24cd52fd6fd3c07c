/**
 * Spec tests the official Node driver's own runner skips because the driver does not implement what they
 * check (node-mongodb-native, test/integration/*\/*.spec.test.ts), with its ticket. They say nothing about
 * the server, so they are skipped here too, with the reason.
 */
const DRIVER_SKIPS: Record<string, string> = {
  'inserting _id with type null via clientBulkWrite': 'NODE-6468, null _id values (DRIVERS-2124)',
  'inserting _id with type null via insertOne': 'NODE-6468, null _id values (DRIVERS-2124)',
  'inserting _id with type null via insertMany': 'NODE-6468, null _id values (DRIVERS-2124)',
  'inserting _id with type null via bulkWrite': 'NODE-6468, null _id values (DRIVERS-2124)',
  'partialResult is unset when all operations fail during an unordered bulk write': 'NODE-6384, partialResult of unacknowledged writes',
  'partialResult is unset when first operation fails during an ordered bulk write (summary)': 'NODE-6384, partialResult of unacknowledged writes',
  'partialResult is unset when first operation fails during an ordered bulk write (verbose)': 'NODE-6384, partialResult of unacknowledged writes',
  'InsertMany passes bypassDocumentValidation: false': 'NODE-6484, the driver omits bypassDocumentValidation: false (DRIVERS-2865)',
  'FindOneAndUpdate passes bypassDocumentValidation: false': 'NODE-6484, the driver omits bypassDocumentValidation: false (DRIVERS-2865)',
  'FindOneAndReplace passes bypassDocumentValidation: false': 'NODE-6484, the driver omits bypassDocumentValidation: false (DRIVERS-2865)',
  'BulkWrite passes bypassDocumentValidation: false': 'NODE-6484, the driver omits bypassDocumentValidation: false (DRIVERS-2865)',
  'Aggregate with $out passes bypassDocumentValidation: false': 'NODE-6484, the driver omits bypassDocumentValidation: false (DRIVERS-2865)',
  'RetryableWriteError label is not added based on writeConcernError in pre-4.4 mongos response': 'NODE-5720',
  'Dirty explicit session is discarded (insert)': 'NODE-3951, dirty session tests',
  'Dirty explicit session is discarded (findAndModify)': 'NODE-3951, dirty session tests',
  // test/integration/transactions/transactions.spec.test.ts: the driver writes afterClusterTime into the
  // transaction's readConcern object after the first command was sent, so its event shows it. (The list
  // there also names 'causal consistency disabled', which passes here and so runs.)
  'readConcern local in defaultTransactionOptions': 'NODE-5924, readConcern object modified after the command was sent',
  'defaultTransactionOptions override client options': 'NODE-5924, readConcern object modified after the command was sent',
  'transaction options inherited from defaultTransactionOptions': 'NODE-5924, readConcern object modified after the command was sent',
  'transaction options inherited from client': 'NODE-5924, readConcern object modified after the command was sent',
  // sessions/snapshot-sessions.json: the Node driver (7.9) has no `snapshotTime` session option
  // (ClientSessionOptions: snapshot, causalConsistency, defaultTransactionOptions) and its runner has no
  // getSnapshotTime operation, so it cannot run these.
  'Find operation with snapshot and snapshot time': 'no snapshotTime session option in the driver (and no getSnapshotTime in its runner)',
  'Distinct operation with snapshot and snapshot time': 'no snapshotTime session option in the driver (and no getSnapshotTime in its runner)',
  'Aggregate operation with snapshot and snapshot time': 'no snapshotTime session option in the driver (and no getSnapshotTime in its runner)',
  'countDocuments operation with snapshot and snapshot time': 'no snapshotTime session option in the driver (and no getSnapshotTime in its runner)',
  'Mixed operation with snapshot and snapshotTime': 'no snapshotTime session option in the driver (and no getSnapshotTime in its runner)',
};

export function driverSkip(description: string): string | undefined {
  return DRIVER_SKIPS[description];
}

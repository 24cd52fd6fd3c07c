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
};

export function driverSkip(description: string): string | undefined {
  return DRIVER_SKIPS[description];
}

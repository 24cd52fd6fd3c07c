import type { Document } from 'bson';
import { MongoBulkWriteError, MongoClientBulkWriteError, MongoServerError, MongoWriteConcernError } from 'mongodb';
import { match, MatchError, type MatchContext } from './match.js';
import { normaliseResult } from './results.js';

/** An error the driver raised on the server's behalf: codes and labels come from a reply. */
function isServerError(error: unknown): boolean {
  return error instanceof MongoServerError || error instanceof MongoWriteConcernError || error instanceof MongoBulkWriteError;
}

/** The unified format's expectError: every field given must hold of the error. */
export function checkError(expected: Document, error: unknown, ctx: MatchContext): void {
  const err = error as MongoServerError & { errorLabels?: string[] };
  const fromServer = isServerError(error);
  const describe = `${(err as Error).name}: ${(err as Error).message} (code ${err.code}, labels ${JSON.stringify(err.errorLabels ?? [])})`;
  // A network error is the client's: nothing in it came from a server reply.
  if (expected.isClientError === true && fromServer) throw new MatchError('expectError.isClientError', `expected a client error, got ${describe}`);
  if (expected.isClientError === false && !fromServer) throw new MatchError('expectError.isClientError', `expected a server error, got ${describe}`);
  if (expected.isTimeoutError === true && !/timeout|timed out/i.test((err as Error).name + (err as Error).message)) throw new MatchError('expectError.isTimeoutError', `expected a timeout, got ${describe}`);
  if (expected.isTimeoutError === false && /MongoOperationTimeoutError/.test((err as Error).name)) throw new MatchError('expectError.isTimeoutError', `expected no timeout, got ${describe}`);
  if (expected.errorContains !== undefined && !String((err as Error).message).toLowerCase().includes(String(expected.errorContains).toLowerCase())) {
    throw new MatchError('expectError.errorContains', `expected "${expected.errorContains}" in ${describe}`);
  }
  if (expected.errorCode !== undefined && err.code !== expected.errorCode) throw new MatchError('expectError.errorCode', `expected code ${expected.errorCode}, got ${describe}`);
  if (expected.errorCodeName !== undefined && err.codeName !== expected.errorCodeName) throw new MatchError('expectError.errorCodeName', `expected ${expected.errorCodeName}, got ${err.codeName} (${describe})`);
  const hasLabel = (label: string) => (typeof err.hasErrorLabel === 'function' ? err.hasErrorLabel(label) : (err.errorLabels ?? []).includes(label));
  for (const label of expected.errorLabelsContain ?? []) if (!hasLabel(label)) throw new MatchError('expectError.errorLabelsContain', `missing label ${label}: ${describe}`);
  for (const label of expected.errorLabelsOmit ?? []) if (hasLabel(label)) throw new MatchError('expectError.errorLabelsOmit', `unexpected label ${label}: ${describe}`);
  if (expected.errorResponse !== undefined) match(expected.errorResponse, err.errorResponse, ctx, true, 'expectError.errorResponse');
  if (expected.writeErrors !== undefined || expected.writeConcernErrors !== undefined) checkClientBulkErrors(expected, error, ctx);
  if (expected.expectResult !== undefined) {
    const partial = error instanceof MongoClientBulkWriteError ? error.partialResult : (error as { result?: unknown }).result;
    // Matched leniently, as the Node runner's expectErrorCheck does (resultCheck, checkExtraKeys false): the
    // partial result is the driver's own bookkeeping (e.g. insertedIds it generated for a batch the server
    // never committed); its counts, which come from the server, are still compared exactly.
    match(expected.expectResult, normaliseResult(partial), ctx, true, 'expectError.expectResult', 'lenient');
  }
}

function checkClientBulkErrors(expected: Document, error: unknown, ctx: MatchContext): void {
  if (!(error instanceof MongoClientBulkWriteError)) throw new MatchError('expectError.writeErrors', `expected a client bulk write error, got ${(error as Error).name}`);
  if (expected.writeErrors !== undefined) {
    const got = Object.fromEntries([...error.writeErrors.entries()].map(([i, e]) => [String(i), e]));
    match(expected.writeErrors, got, ctx, true, 'expectError.writeErrors');
  }
  if (expected.writeConcernErrors !== undefined) match(expected.writeConcernErrors, error.writeConcernErrors, ctx, true, 'expectError.writeConcernErrors');
}

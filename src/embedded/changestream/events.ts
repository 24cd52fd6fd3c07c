import { Long, type Document } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import type { OplogEntry } from '../oplog.js';
import type { Catalog } from '../storage/catalog.js';
import { scopeIncludes, type StreamScope } from './scope.js';
import { encodeToken, TokenKind } from './token.js';

export type FullDocumentMode = 'default' | 'updateLookup' | 'whenAvailable' | 'required';
export type BeforeChangeMode = 'off' | 'whenAvailable' | 'required';

export interface EventOptions {
  scope: StreamScope;
  fullDocument: FullDocumentMode;
  fullDocumentBeforeChange: BeforeChangeMode;
  showExpandedEvents: boolean;
}

/** DDL events a stream reports only when opened with showExpandedEvents (6.0+). */
const EXPANDED_ONLY = new Set(['create', 'createIndexes', 'dropIndexes', 'modify', 'shardCollection']);

/**
 * The change events one oplog entry produces for a stream, in order, shaped as a 7.0 mongod shapes them
 * (src/mongo/db/pipeline/change_stream_event_transform.cpp): `_id`, operationType, clusterTime,
 * [collectionUUID], wallTime, [fullDocument], ns, [documentKey], [operationDescription], [updateDescription],
 * [stateBeforeChange], then the looked-up fullDocument and fullDocumentBeforeChange.
 *
 * Invalidation (document_source_check_invalidate.cpp): a collection stream is invalidated by a drop or a
 * rename of (or onto) its collection, a database stream by a dropDatabase; a cluster stream never.
 */
export function eventsFor(entry: OplogEntry, options: EventOptions, catalog: Catalog, txnOpIndex = 0): Document[] {
  const { scope } = options;
  if (entry.op === 'noop') return [];
  // A transaction's writes share its cluster time; each event's token carries its place in the transaction.
  if (entry.op === 'applyOps') return (entry.ops ?? []).flatMap((op, index) => eventsFor(op, options, catalog, index));
  if (entry.op === 'dropDatabase') {
    if (scope.kind === 'collection' || !scopeIncludes(scope, entry.db, undefined)) return [];
    const event = header(entry, 'dropDatabase', options);
    event.ns = { db: entry.db };
    return scope.kind === 'database' ? [event, invalidate(entry)] : [event];
  }
  const renamedOnto = entry.op === 'rename' && entry.to !== undefined && scopeIncludes(scope, entry.to.db, entry.to.coll);
  if (!scopeIncludes(scope, entry.db, entry.coll) && !renamedOnto) return [];
  if (EXPANDED_ONLY.has(entry.op) && !options.showExpandedEvents) return [];
  if (entry.onView && scope.kind === 'collection') return [];

  const event: Document = {};
  if (entry.op === 'rename') event.to = entry.to; // mongod adds `to` before everything else
  Object.assign(event, header(entry, entry.op, options, txnOpIndex));
  if (entry.op === 'insert' || entry.op === 'replace') event.fullDocument = entry.postImage;
  event.ns = { db: entry.db, coll: entry.coll };
  if (entry.documentKey) event.documentKey = entry.documentKey;
  if (options.showExpandedEvents) {
    const description = operationDescription(entry);
    if (description !== undefined) event.operationDescription = description;
  }
  if (entry.updateDescription) {
    const { disambiguatedPaths, ...description } = entry.updateDescription;
    event.updateDescription = options.showExpandedEvents ? { ...description, disambiguatedPaths: disambiguatedPaths ?? {} } : description;
  }
  if (entry.op === 'modify' && options.showExpandedEvents) event.stateBeforeChange = { collectionOptions: entry.preImage ?? {} };
  if (entry.op === 'update') {
    const full = fullDocumentFor(entry, options.fullDocument, catalog);
    if (full !== undefined) event.fullDocument = full;
  }
  if (entry.op === 'update' || entry.op === 'replace' || entry.op === 'delete') {
    const before = beforeChangeFor(entry, options.fullDocumentBeforeChange);
    if (before !== undefined) event.fullDocumentBeforeChange = before;
  }

  const invalidates = scope.kind === 'collection' && (entry.op === 'drop' || entry.op === 'rename');
  return invalidates ? [event, invalidate(entry)] : [event];
}

function header(entry: OplogEntry, operationType: string, options: EventOptions, txnOpIndex = 0): Document {
  const event: Document = {
    _id: encodeToken({ ts: entry.ts, kind: TokenKind.Event, fragment: txnOpIndex }),
    operationType,
    clusterTime: entry.ts,
  };
  if (options.showExpandedEvents && entry.collectionUUID) event.collectionUUID = entry.collectionUUID;
  event.wallTime = entry.wallTime;
  // Events of a transaction say which one (change_stream_event_transform.cpp adds these after wallTime).
  if (entry.txnNumber !== undefined) event.txnNumber = Long.fromNumber(entry.txnNumber);
  if (entry.lsid !== undefined) event.lsid = entry.lsid;
  return event;
}

/** What a DDL event's operationDescription holds (the command's oplog `o`, less the namespace field). */
function operationDescription(entry: OplogEntry): Document | undefined {
  switch (entry.op) {
    case 'rename': {
      const dropTarget = entry.operationDescription?.dropTarget;
      return dropTarget !== undefined ? { to: entry.to, dropTarget } : { to: entry.to };
    }
    case 'create':
    case 'createIndexes':
    case 'dropIndexes':
    case 'modify':
    case 'shardCollection':
      return entry.operationDescription ?? {};
    default:
      return undefined;
  }
}

/** The invalidate that follows an invalidating event: same cluster time, a token that sorts just after it. */
function invalidate(entry: OplogEntry): Document {
  return {
    _id: encodeToken({ ts: entry.ts, kind: TokenKind.Invalidate, fragment: 1 }),
    operationType: 'invalidate',
    clusterTime: entry.ts,
    wallTime: entry.wallTime,
  };
}

function fullDocumentFor(entry: OplogEntry, mode: FullDocumentMode, catalog: Catalog): Document | null | undefined {
  switch (mode) {
    case 'default':
      return undefined;
    case 'updateLookup':
      // The current version of the document, looked up when the event is returned (null once it is gone).
      return catalog.get(entry.db, entry.coll!)?.get(entry.documentKey!._id) ?? null;
    case 'whenAvailable':
      return entry.postImage ?? null;
    case 'required':
      if (!entry.postImage) throw noImage('post-image', entry);
      return entry.postImage;
  }
}

function beforeChangeFor(entry: OplogEntry, mode: BeforeChangeMode): Document | null | undefined {
  if (mode === 'off') return undefined;
  if (entry.preImage) return entry.preImage;
  if (mode === 'required') throw noImage('pre-image', entry);
  return null;
}

function noImage(kind: string, entry: OplogEntry): CommandError {
  return new CommandError(
    ErrorCode.NoMatchingDocument,
    `Change stream was configured to require a ${kind} for all update, delete and replace events, but the ${kind} was not found for event: ${JSON.stringify(entry.documentKey)} in ${entry.db}.${entry.coll}`,
  );
}

export { EXPANDED_ONLY };

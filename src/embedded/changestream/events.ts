import type { Document } from 'bson';
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

const EXPANDED_ONLY = new Set(['create', 'createIndexes', 'dropIndexes', 'modify', 'shardCollection']);

/**
 * The change events one oplog entry produces for a stream, in order. A drop or rename of a watched
 * collection (or a dropDatabase of a watched database) is followed by an invalidate.
 */
export function eventsFor(entry: OplogEntry, options: EventOptions, catalog: Catalog): Document[] {
  const { scope } = options;
  if (entry.op === 'noop') return [];
  if (entry.op === 'dropDatabase') {
    if (scope.kind === 'collection' || !scopeIncludes(scope, entry.db, undefined)) return [];
    const events = [base(entry, 'dropDatabase', 0, { ns: { db: entry.db } })];
    if (scope.kind === 'database') events.push(invalidate(entry, 1));
    return events;
  }
  const renamedIn = entry.op === 'rename' && entry.to && scopeIncludes(scope, entry.to.db, entry.to.coll);
  if (!scopeIncludes(scope, entry.db, entry.coll) && !renamedIn) return [];
  if (EXPANDED_ONLY.has(entry.op) && !options.showExpandedEvents) return [];

  const event = base(entry, entry.op, 0, {});
  if (options.showExpandedEvents && entry.collectionUUID) event.collectionUUID = entry.collectionUUID;
  switch (entry.op) {
    case 'insert':
      event.fullDocument = entry.postImage;
      break;
    case 'replace':
      event.fullDocument = entry.postImage;
      break;
    case 'update': {
      const full = fullDocumentFor(entry, options.fullDocument, catalog);
      if (full !== undefined) event.fullDocument = full;
      break;
    }
  }
  event.ns = { db: entry.db, coll: entry.coll };
  if (entry.documentKey) event.documentKey = entry.documentKey;
  if (entry.updateDescription) {
    event.updateDescription = { ...entry.updateDescription };
    if (options.showExpandedEvents) event.updateDescription.disambiguatedPaths = disambiguate(entry.updateDescription);
  }
  if (entry.op === 'update' || entry.op === 'replace' || entry.op === 'delete') {
    const before = beforeChangeFor(entry, options.fullDocumentBeforeChange);
    if (before !== undefined) event.fullDocumentBeforeChange = before;
  }
  if (entry.op === 'rename') {
    event.to = entry.to;
    if (options.showExpandedEvents) event.operationDescription = { to: entry.to };
  } else if (entry.operationDescription && options.showExpandedEvents) {
    event.operationDescription = entry.op === 'modify' ? { index: undefined, ...entry.operationDescription } : entry.operationDescription;
    if (entry.op === 'modify') {
      delete event.operationDescription.index;
      event.stateBeforeChange = { collectionOptions: entry.preImage ?? {} };
    }
  }

  const invalidates = scope.kind === 'collection' && (entry.op === 'drop' || (entry.op === 'rename' && !renamedIn));
  return invalidates ? [event, invalidate(entry, 1)] : [event];
}

function base(entry: OplogEntry, operationType: string, fragment: number, extra: Document): Document {
  return {
    _id: encodeToken({ ts: entry.ts, kind: TokenKind.Event, fragment }),
    operationType,
    clusterTime: entry.ts,
    wallTime: entry.wallTime,
    ...extra,
  };
}

function invalidate(entry: OplogEntry, fragment: number): Document {
  return {
    _id: encodeToken({ ts: entry.ts, kind: TokenKind.Invalidate, fragment }),
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

/** Paths whose numeric or dotted components a reader could not tell apart from array indexes. */
function disambiguate(description: { updatedFields: Document; removedFields: string[] }): Document {
  const result: Document = {};
  for (const path of [...Object.keys(description.updatedFields), ...description.removedFields]) {
    const parts = path.split('.');
    if (parts.some((p) => /^\d+$/.test(p))) result[path] = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  }
  return result;
}

export { EXPANDED_ONLY };

import type { Document } from 'bson';
import { compare, resolve } from 'mingo/util';
import { CommandError, ErrorCode, badValue } from '../errors.js';
import type { Collection, IndexSpec } from '../storage/collection.js';
import { exactIdOf } from '../storage/query.js';

/**
 * The planner's choices, as mongod's would be, over a server that keeps no index structures: which index a
 * query would use (hinted, or the one on its filter's leading field, or one that provides its sort), the
 * order a hinted index returns documents in, and min/max bounds. Every query still scans the documents; the
 * plan decides order, bounds, `returnKey` and what `explain` reports.
 */
export type Plan =
  | { kind: 'EOF' }
  | { kind: 'IDHACK' }
  | { kind: 'COLLSCAN'; direction: 1 | -1 }
  | { kind: 'IXSCAN'; index: IndexSpec; hinted: boolean; direction: 1 | -1 };

export interface PlanRequest {
  filter?: Document;
  sort?: Document;
  hint?: unknown;
  min?: Document;
  max?: Document;
}

/** mongod's answer to a hint that names no index (BadValue, from the planner). */
export function unknownHint(): CommandError {
  return badValue('planner returned error :: caused by :: hint provided does not correspond to an existing index');
}

const location = (code: number, message: string) => new CommandError(code, message, [], { codeName: `Location${code}` });

/** The hinted index (or `$natural` scan); undefined for no hint. Throws BadValue when no index matches. */
export function resolveHint(collection: Collection, hint: unknown): IndexSpec | { $natural: 1 | -1 } | undefined {
  if (hint === undefined || hint === null) return undefined;
  if (typeof hint === 'string') {
    const index = collection.indexes.find((i) => i.name === hint);
    if (!index) throw unknownHint();
    return index;
  }
  if (typeof hint !== 'object' || Array.isArray(hint)) throw new CommandError(ErrorCode.FailedToParse, 'hint must be either a string or nested object');
  const keys = Object.keys(hint as Document);
  if (keys.length === 0) return undefined;
  if (keys[0] === '$natural') return { $natural: Number((hint as Document).$natural) < 0 ? -1 : 1 };
  const matches = collection.indexes.filter((i) => sameKeyPattern(i.key, hint as Document));
  if (matches.length === 0) throw unknownHint();
  if (matches.length > 1) throw new CommandError(27, `Hint matched multiple indexes, must hint by index name. Matched: ${matches.map((m) => JSON.stringify(m)).join(' and ')}`);
  return matches[0];
}

function sameKeyPattern(a: Document, b: Document): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && String(Number(a[k]) || a[k]) === String(Number(b[k]) || b[k]));
}

/** The plan of a query on a collection (undefined collection: EOF), validating hint, min and max as mongod does. */
export function planQuery(collection: Collection | undefined, request: PlanRequest): Plan {
  const hasMin = request.min !== undefined && Object.keys(request.min).length > 0;
  const hasMax = request.max !== undefined && Object.keys(request.max).length > 0;
  if (!collection) return { kind: 'EOF' };
  const hinted = resolveHint(collection, request.hint);
  if (hasMin || hasMax) {
    if (!hinted || '$natural' in hinted) throw location(51173, 'When using min()/max() a hint of which index to use must be provided');
    for (const bound of [request.min, request.max]) {
      if (bound && Object.keys(bound).length > 0 && !sameFields(bound, hinted.key)) throw location(51174, 'The index chosen is not compatible with min/max');
    }
    if (hasMin && hasMax && compareKeys(hinted.key, request.min!, request.max!) >= 0) {
      throw location(51175, 'The value provided for min() does not come before the value provided for max() in the hinted index');
    }
  }
  if (hinted) {
    if ('$natural' in hinted) return { kind: 'COLLSCAN', direction: hinted.$natural as 1 | -1 };
    return { kind: 'IXSCAN', index: hinted, hinted: true, direction: 1 };
  }
  if (exactIdOf(request.filter) !== undefined) return { kind: 'IDHACK' };
  const fields = topLevelFields(request.filter);
  const onFilter = collection.indexes.find((i) => fields.has(Object.keys(i.key)[0]));
  if (onFilter) return { kind: 'IXSCAN', index: onFilter, hinted: false, direction: 1 };
  const sort = request.sort && Object.keys(request.sort).length > 0 ? request.sort : undefined;
  if (sort) {
    for (const index of collection.indexes) {
      const direction = providesSort(index.key, sort);
      if (direction) return { kind: 'IXSCAN', index, hinted: false, direction };
    }
  }
  return { kind: 'COLLSCAN', direction: 1 };
}

/** The fields a filter constrains at its top level (and inside a top-level $and) with an index-usable predicate. */
function topLevelFields(filter: Document | undefined): Set<string> {
  const fields = new Set<string>();
  const visit = (f: Document) => {
    for (const [key, value] of Object.entries(f)) {
      if (key === '$and' && Array.isArray(value)) value.forEach((part) => part && typeof part === 'object' && visit(part));
      if (key.startsWith('$')) continue;
      const ops = value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
      const negated = ops.some((op) => op === '$ne' || op === '$nin' || op === '$not' || op === '$exists' || op === '$type' || op === '$where');
      if (!negated) fields.add(key);
    }
  };
  if (filter) visit(filter);
  return fields;
}

/** 1 or -1 when scanning the index forwards or backwards yields the sort order; 0 otherwise. */
export function providesSort(key: Document, sort: Document): 0 | 1 | -1 {
  const sortFields = Object.keys(sort);
  const keyFields = Object.keys(key);
  if (sortFields.length > keyFields.length) return 0;
  let direction: 0 | 1 | -1 = 0;
  for (let i = 0; i < sortFields.length; i++) {
    if (sortFields[i] !== keyFields[i] || typeof key[keyFields[i]] !== 'number') return 0;
    const same = Math.sign(Number(sort[sortFields[i]])) === Math.sign(key[keyFields[i]]) ? 1 : -1;
    if (direction === 0) direction = same;
    else if (direction !== same) return 0;
  }
  return direction;
}

function sameFields(bound: Document, key: Document): boolean {
  const a = Object.keys(bound);
  const b = Object.keys(key);
  return a.length === b.length && a.every((f, i) => f === b[i]);
}

/** Compares two key tuples (bound documents) in the index's order: each field's direction counts. */
function compareKeys(key: Document, a: Document, b: Document): number {
  for (const field of Object.keys(key)) {
    const c = compare(a[field] ?? null, b[field] ?? null);
    if (c !== 0) return key[field] === -1 ? -c : c;
  }
  return 0;
}

/** A document's key in an index: its value of each key field (null when missing), named by field. */
export function indexKeyOf(index: IndexSpec, doc: Document): Document {
  const key: Document = {};
  for (const field of Object.keys(index.key)) key[field] = resolve(doc, field) ?? null;
  return key;
}

/** The sort a scan of the index produces (hashed, text and other special keys scan ascending). */
export function indexSort(index: IndexSpec, direction: 1 | -1 = 1): Document {
  return Object.fromEntries(Object.keys(index.key).map((f) => [f, (index.key[f] === -1 ? -1 : 1) * direction]));
}

/** Whether a document's key lies in [min, max) of the hinted index (what an index scan with bounds returns). */
export function withinBounds(index: IndexSpec, min: Document | undefined, max: Document | undefined): (doc: Document) => boolean {
  const hasMin = min !== undefined && Object.keys(min).length > 0;
  const hasMax = max !== undefined && Object.keys(max).length > 0;
  return (doc) => {
    const key = indexKeyOf(index, doc);
    if (hasMin && compareKeys(index.key, key, min!) < 0) return false;
    if (hasMax && compareKeys(index.key, key, max!) >= 0) return false;
    return true;
  };
}

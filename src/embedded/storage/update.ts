import type { Document } from 'bson';
import { Aggregator } from 'mingo';
import { update as applyModifier } from 'mingo/updater';
import { CommandError, ErrorCode, badValue } from '../errors.js';
import { cloneDocument, isPlainObject } from './document.js';
import { MINGO_OPTIONS } from './query.js';

export type UpdateSpec = Document | Document[];

export function isPipelineUpdate(u: UpdateSpec): u is Document[] {
  return Array.isArray(u);
}

export function isReplacement(u: UpdateSpec): boolean {
  if (Array.isArray(u)) return false;
  const keys = Object.keys(u);
  return keys.length === 0 || !keys[0].startsWith('$');
}

function checkModifier(u: Document): void {
  for (const key of Object.keys(u)) {
    if (!key.startsWith('$')) throw badValue(`Unknown modifier: ${key}. Expected a valid update modifier or pipeline-style update specified as an array`);
  }
}

/**
 * The document that results from applying `u` to `doc` (never mutates `doc`).
 * Replacements keep `_id`; operator and pipeline updates may not change it.
 */
export function applyUpdate(doc: Document, u: UpdateSpec, arrayFilters?: Document[]): Document {
  if (isPipelineUpdate(u)) {
    const [out] = new Aggregator(u, MINGO_OPTIONS).run([cloneDocument(doc)]) as Document[];
    assertSameId(doc, out);
    return out;
  }
  if (isReplacement(u)) {
    if ('_id' in u && !sameValue(u._id, doc._id)) throw immutableId(doc);
    const { _id: _ignored, ...rest } = u;
    return { _id: doc._id, ...cloneDocument(rest) };
  }
  checkModifier(u);
  const next = cloneDocument(doc);
  try {
    applyModifier(next, u as never, arrayFilters, undefined, { cloneMode: 'deep' });
  } catch (err) {
    throw badValue((err as Error).message);
  }
  assertSameId(doc, next);
  return next;
}

function assertSameId(before: Document, after: Document): void {
  if (!sameValue(before._id, after._id)) throw immutableId(before);
}

function immutableId(doc: Document): CommandError {
  return new CommandError(
    ErrorCode.ImmutableField,
    `Performing an update on the path '_id' would modify the immutable field '_id'`,
    [],
    { _id: doc._id },
  );
}

export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameValue(a[k], b[k]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && a.constructor === b.constructor) {
    const ea = (a as { equals?: (o: unknown) => boolean }).equals;
    if (ea) return ea.call(a, b);
    return String(a) === String(b);
  }
  return false;
}

/**
 * The change-stream updateDescription between two versions of a document, in the shape of MongoDB's
 * v2 oplog deltas: nested changes by dotted path, array appends by index, shrunk arrays in truncatedArrays.
 */
export function describeUpdate(before: Document, after: Document) {
  const updatedFields: Document = {};
  const removedFields: string[] = [];
  const truncatedArrays: Document[] = [];
  const walk = (a: Document, b: Document, prefix: string) => {
    for (const key of Object.keys(a)) if (!(key in b)) removedFields.push(prefix + key);
    for (const key of Object.keys(b)) {
      const path = prefix + key;
      const x = a[key];
      const y = b[key];
      if (!(key in a)) updatedFields[path] = y;
      else if (sameValue(x, y)) continue;
      else if (isPlainObject(x) && isPlainObject(y) && Object.keys(y).length > 0) walk(x, y, `${path}.`);
      else if (Array.isArray(x) && Array.isArray(y) && y.length > 0) walkArray(x, y, path);
      else updatedFields[path] = y;
    }
  };
  const walkArray = (x: unknown[], y: unknown[], path: string) => {
    if (y.length < x.length) truncatedArrays.push({ field: path, newSize: y.length });
    for (let i = 0; i < y.length; i++) {
      if (i >= x.length || !sameValue(x[i], y[i])) updatedFields[`${path}.${i}`] = y[i];
    }
  };
  walk(before, after, '');
  return { updatedFields, removedFields, truncatedArrays };
}

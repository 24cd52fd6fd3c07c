import { EJSON, ObjectId, type Document } from 'bson';
import { copyMarks } from './int64.js';

/**
 * A Map key for an `_id` value. Strings and numbers are their own keys (the common case, and what keeps
 * 8 M documents small); every other type gets a canonical string that no plain string can collide with.
 */
export function idKey(id: unknown): unknown {
  if (typeof id === 'string') return id.charCodeAt(0) === 0 ? `\u0000s${id}` : id;
  if (typeof id === 'number') return id;
  if (id instanceof ObjectId) return `\u0000o${id.toHexString()}`;
  if (id instanceof Date) return `\u0000d${id.getTime()}`;
  return `\u0000j${EJSON.stringify(id as Document, { relaxed: false })}`;
}

function isPlainObject(value: unknown): value is Document {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Deep copy of plain objects and arrays; BSON values (ObjectId, Timestamp, Binary, ...) are immutable
 * and shared. Stored documents are never mutated in place, so oplog entries can keep references to them.
 */
export function cloneDocument<T>(value: T): T {
  if (Array.isArray(value)) {
    const copy = value.map(cloneDocument);
    copyMarks(value, copy);
    return copy as T;
  }
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (!isPlainObject(value)) return value;
  const copy: Document = {};
  for (const key of Object.keys(value)) copy[key] = cloneDocument(value[key]);
  copyMarks(value, copy);
  return copy as T;
}

export { isPlainObject };

/** MongoDB stores `_id` first; a document given without one gets an ObjectId. */
export function withIdFirst(doc: Document): Document {
  let out: Document;
  if (!('_id' in doc)) out = { _id: new ObjectId(), ...doc };
  else {
    for (const first in doc) {
      if (first === '_id') return doc; // the usual case, checked without building the key list
      break;
    }
    const { _id, ...rest } = doc;
    out = { _id, ...rest };
  }
  copyMarks(doc, out);
  return out;
}

import { createHash } from 'node:crypto';
import { Long, MaxKey, MinKey, type ObjectId, type Timestamp } from 'bson';

/**
 * Shard-key values: MongoDB's cross-type sort order (for range chunks) and its hashed-key function
 * (for `{ _id: 'hashed' }`), so a chunk map here places keys exactly where a real cluster would.
 */

// src/mongo/bson/bsontypes.h canonicalizeBSONType: the order of types, and the type the hasher mixes in.
const CANONICAL = { minKey: -1, null: 5, number: 10, string: 15, object: 20, array: 25, binData: 30, objectId: 35, bool: 40, date: 45, timestamp: 47, regex: 50, maxKey: 127 } as const;

export function canonicalType(value: unknown): number {
  if (value === null || value === undefined) return CANONICAL.null;
  if (typeof value === 'number' || typeof value === 'bigint') return CANONICAL.number;
  if (typeof value === 'string') return CANONICAL.string;
  if (typeof value === 'boolean') return CANONICAL.bool;
  if (value instanceof Date) return CANONICAL.date;
  if (value instanceof RegExp) return CANONICAL.regex;
  if (Array.isArray(value)) return CANONICAL.array;
  // By tag, not instanceof: values may come from another copy of the bson package (the driver's).
  switch ((value as { _bsontype?: string })._bsontype) {
    case 'MinKey': return CANONICAL.minKey;
    case 'MaxKey': return CANONICAL.maxKey;
    case 'Long': case 'Int32': case 'Double': case 'Decimal128': return CANONICAL.number;
    case 'Timestamp': return CANONICAL.timestamp;
    case 'BSONRegExp': return CANONICAL.regex;
    case 'ObjectId': return CANONICAL.objectId;
    case 'Binary': return CANONICAL.binData;
    case 'BSONRegExp': return CANONICAL.regex;
    default: return CANONICAL.object;
  }
}

function numeric(value: unknown): number | bigint {
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  const tag = (value as { _bsontype?: string })._bsontype;
  if (tag === 'Long') return (value as Long).toBigInt();
  if (tag === 'Decimal128') return Number(String(value));
  return Number((value as { valueOf(): number }).valueOf());
}

/** MongoDB's order of two shard-key values (-1, 0, 1), types first, then values. */
export function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const ta = canonicalType(a);
  const tb = canonicalType(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  switch (ta) {
    case CANONICAL.minKey:
    case CANONICAL.maxKey:
    case CANONICAL.null:
      return 0;
    case CANONICAL.number: {
      const x = numeric(a);
      const y = numeric(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case CANONICAL.string:
      return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
    case CANONICAL.objectId:
      return Buffer.compare(Buffer.from((a as ObjectId).id), Buffer.from((b as ObjectId).id));
    case CANONICAL.date:
      return Math.sign((a as Date).getTime() - (b as Date).getTime());
    case CANONICAL.bool:
      return Number(a) - Number(b);
    case CANONICAL.timestamp: {
      const x = (a as Timestamp).toBigInt();
      const y = (b as Timestamp).toBigInt();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    default: {
      const x = JSON.stringify(a);
      const y = JSON.stringify(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
}

/**
 * MongoDB's hashed shard-key value (BSONElementHasher::hash64 with seed 0): md5 of the seed, the canonical
 * type and the value's bytes (numbers squashed to int64), the first 8 bytes read as a little-endian int64.
 */
export function hashKey(value: unknown): bigint {
  const head = Buffer.alloc(8);
  head.writeInt32LE(0, 0);
  const type = canonicalType(value);
  head.writeInt32LE(type, 4);
  const md5 = createHash('md5').update(head);
  if (type === CANONICAL.number) {
    const n = numeric(value);
    const body = Buffer.alloc(8);
    body.writeBigInt64LE(typeof n === 'bigint' ? n : safeLongForHash(n));
    md5.update(body);
  } else if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    const len = Buffer.alloc(4);
    len.writeInt32LE(bytes.length + 1);
    md5.update(len).update(bytes).update(Buffer.alloc(1));
  } else if (type === CANONICAL.objectId) {
    md5.update((value as ObjectId).id);
  } else if (type === CANONICAL.bool) {
    md5.update(Buffer.from([value ? 1 : 0]));
  } else if (value instanceof Date) {
    const body = Buffer.alloc(8);
    body.writeBigInt64LE(BigInt(value.getTime()));
    md5.update(body);
  } else if (type !== CANONICAL.null && type !== CANONICAL.minKey && type !== CANONICAL.maxKey) {
    md5.update(Buffer.from(JSON.stringify(value))); // other types: stable here, not MongoDB's bytes
  }
  return md5.digest().readBigInt64LE(0);
}

function safeLongForHash(n: number): bigint {
  if (Number.isNaN(n)) return -(2n ** 63n);
  if (n >= 2 ** 63) return 2n ** 63n - 1n;
  if (n < -(2 ** 63)) return -(2n ** 63n);
  return BigInt(Math.trunc(n));
}

export const MIN_KEY = new MinKey();
export const MAX_KEY = new MaxKey();

/** A hashed-key bound as it appears in config.chunks: NumberLong, or MinKey/MaxKey. */
export function toLongBound(value: unknown): unknown {
  return typeof value === 'bigint' ? Long.fromBigInt(value) : value;
}

/** A bound read from a client (NumberLong arrives as a number when it fits, or as Long). */
export function fromLongBound(value: unknown): unknown {
  if ((value as { _bsontype?: string } | null)?._bsontype === 'Long') return (value as Long).toBigInt();
  if (typeof value === 'number') return BigInt(Math.trunc(value));
  return value;
}

import { createHash } from 'node:crypto';
import type { Long, ObjectId, Timestamp } from 'mongodb';

/**
 * Shard-key arithmetic as every mongos does it, on the harness side: BSON's comparison order (chunks are
 * ranges in it) and MongoDB's hashed-key function (`{ _id: 'hashed' }` chunks are ranges of its output).
 * Nothing here knows which server it talks to; a real cluster places keys exactly so.
 */

/** The order of BSON types in comparisons (src/mongo/bson/bsontypes.h canonicalizeBSONType); the hasher mixes it in too. */
const RANK = { minKey: -1, null: 5, number: 10, string: 15, object: 20, array: 25, binData: 30, objectId: 35, bool: 40, date: 45, timestamp: 47, regex: 50, maxKey: 127 } as const;

function rankOf(value: unknown): number {
  if (value === null || value === undefined) return RANK.null;
  switch (typeof value) {
    case 'number':
    case 'bigint':
      return RANK.number;
    case 'string':
      return RANK.string;
    case 'boolean':
      return RANK.bool;
  }
  if (value instanceof Date) return RANK.date;
  if (value instanceof RegExp) return RANK.regex;
  if (Array.isArray(value)) return RANK.array;
  // By the BSON tag, not instanceof: values may come from another copy of the bson package.
  switch ((value as { _bsontype?: string })._bsontype) {
    case 'MinKey': return RANK.minKey;
    case 'MaxKey': return RANK.maxKey;
    case 'Long': case 'Int32': case 'Double': case 'Decimal128': return RANK.number;
    case 'Timestamp': return RANK.timestamp;
    case 'ObjectId': return RANK.objectId;
    case 'Binary': return RANK.binData;
    case 'BSONRegExp': return RANK.regex;
    default: return RANK.object;
  }
}

function asNumber(value: unknown): number | bigint {
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  const tag = (value as { _bsontype?: string })._bsontype;
  if (tag === 'Long') return (value as Long).toBigInt();
  if (tag === 'Decimal128') return Number(String(value));
  return Number((value as { valueOf(): number }).valueOf());
}

const sign = <T>(a: T, b: T) => (a < b ? -1 : a > b ? 1 : 0);

/** -1, 0 or 1 as BSON orders two shard-key values: by type rank first, then by value. */
export function compareBson(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return sign(a, b);
  const ra = rankOf(a);
  const rb = rankOf(b);
  if (ra !== rb) return sign(ra, rb);
  switch (ra) {
    case RANK.minKey:
    case RANK.maxKey:
    case RANK.null:
      return 0;
    case RANK.number:
      return sign(asNumber(a), asNumber(b));
    case RANK.string:
      return sign(String(a), String(b));
    case RANK.objectId:
      return Buffer.compare(Buffer.from((a as ObjectId).id), Buffer.from((b as ObjectId).id));
    case RANK.date:
      return sign((a as Date).getTime(), (b as Date).getTime());
    case RANK.bool:
      return sign(Number(a), Number(b));
    case RANK.timestamp:
      return sign((a as Timestamp).toBigInt(), (b as Timestamp).toBigInt());
    default:
      return sign(JSON.stringify(a), JSON.stringify(b));
  }
}

/**
 * MongoDB's hashed shard-key value (BSONElementHasher::hash64, seed 0): md5 over the seed, the type rank and
 * the value's bytes (numbers as int64), the first 8 digest bytes read as a little-endian int64.
 */
export function hashedShardKey(value: unknown): bigint {
  const rank = rankOf(value);
  const head = Buffer.alloc(8);
  head.writeInt32LE(0, 0);
  head.writeInt32LE(rank, 4);
  const md5 = createHash('md5').update(head);
  if (rank === RANK.number) {
    md5.update(int64LE(toInt64(asNumber(value))));
  } else if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    const length = Buffer.alloc(4);
    length.writeInt32LE(bytes.length + 1);
    md5.update(length).update(bytes).update(Buffer.alloc(1));
  } else if (rank === RANK.objectId) {
    md5.update((value as ObjectId).id);
  } else if (rank === RANK.bool) {
    md5.update(Buffer.from([value ? 1 : 0]));
  } else if (value instanceof Date) {
    md5.update(int64LE(BigInt(value.getTime())));
  } else if (rank !== RANK.null && rank !== RANK.minKey && rank !== RANK.maxKey) {
    md5.update(Buffer.from(JSON.stringify(value))); // other types never key ticker's collections
  }
  return md5.digest().readBigInt64LE(0);
}

function int64LE(n: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigInt64LE(n);
  return out;
}

/** A double squashed to int64 as the hasher does: truncated, NaN the smallest, saturating at the ends. */
function toInt64(n: number | bigint): bigint {
  if (typeof n === 'bigint') return n;
  if (Number.isNaN(n)) return -(2n ** 63n);
  if (n >= 2 ** 63) return 2n ** 63n - 1n;
  if (n < -(2 ** 63)) return -(2n ** 63n);
  return BigInt(Math.trunc(n));
}

import { EJSON, type Document } from 'bson';

/** A failed match, with the path (e.g. `updateDescription.updatedFields.x`) where it failed. */
export class MatchError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path || '<root>'}: ${message}`);
  }
}

export interface MatchContext {
  /** Resolves `$$matchesEntity` / `$$sessionLsid` names. */
  entity(name: string): unknown;
  /** The lsid document of a session entity. */
  sessionLsid(name: string): unknown;
}

/**
 * How strictly nested documents are held: `spec` (the format: extra fields only at the root) or `lenient`
 * (extra fields at every depth, as the Node driver's own runner matches everything: match.ts resultCheck
 * with checkExtraKeys false). Only what the driver itself builds is matched leniently: command-started
 * events (what it sent; 7.9 adds wtimeout 10000 to commit/abort write concerns, which the specs do not list)
 * and the partial result of a failed bulk write. Server replies, results and outcomes stay `spec`.
 */
export type Strictness = 'spec' | 'lenient';

function bsonType(value: unknown): string | undefined {
  return value !== null && typeof value === 'object' ? (value as { _bsontype?: string })._bsontype : undefined;
}

export function isDocument(value: unknown): value is Document {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Date) return false;
  const t = bsonType(value);
  return t === undefined || t === 'DBRef';
}

function isOperator(value: unknown): value is Document {
  if (!isDocument(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0].startsWith('$$');
}

function isNumeric(value: unknown): boolean {
  if (typeof value === 'number' || typeof value === 'bigint') return true;
  const t = bsonType(value);
  return t === 'Long' || t === 'Int32' || t === 'Double';
}

function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  const t = bsonType(value);
  if (t === 'Long') return (value as { toNumber(): number }).toNumber();
  return Number((value as { valueOf(): unknown }).valueOf());
}

/** The `$type` names an actual value can answer to (a JS integer may have been any numeric BSON type). */
export function typeNames(value: unknown): string[] {
  if (value === undefined) return [];
  if (value === null) return ['null'];
  if (typeof value === 'number') return Number.isInteger(value) ? ['int', 'long', 'double', 'number'] : ['double', 'number'];
  if (typeof value === 'bigint') return ['long', 'number'];
  if (typeof value === 'string') return ['string'];
  if (typeof value === 'boolean') return ['bool'];
  if (value instanceof Date) return ['date'];
  if (value instanceof RegExp) return ['regex'];
  if (Array.isArray(value)) return ['array'];
  switch (bsonType(value)) {
    case 'ObjectId': return ['objectId'];
    case 'Long': return ['long', 'number'];
    case 'Int32': return ['int', 'number'];
    case 'Double': return ['double', 'number'];
    case 'Decimal128': return ['decimal', 'number'];
    case 'Timestamp': return ['timestamp'];
    case 'Binary': return ['binData'];
    case 'MinKey': return ['minKey'];
    case 'MaxKey': return ['maxKey'];
    case 'BSONRegExp': return ['regex'];
    case 'BSONSymbol': return ['symbol'];
    case 'Code': return (value as { scope?: unknown }).scope ? ['javascriptWithScope'] : ['javascript'];
    default: return ['object'];
  }
}

function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    return EJSON.stringify(value as Document, { relaxed: true });
  } catch {
    return String(value);
  }
}

function scalarEquals(expected: unknown, actual: unknown): boolean {
  if (isNumeric(expected) && isNumeric(actual)) return toNumber(expected) === toNumber(actual);
  if (expected === null || actual === null) return expected === actual;
  if (expected instanceof Date && actual instanceof Date) return expected.getTime() === actual.getTime();
  if (typeof expected !== 'object' || typeof actual !== 'object') return expected === actual;
  if (bsonType(expected) !== bsonType(actual)) return false;
  return EJSON.stringify(expected as Document, { relaxed: false }) === EJSON.stringify(actual as Document, { relaxed: false });
}

/**
 * The unified test format's match: expected values may hold `$$` operators; root-level documents may carry
 * extra fields, nested ones may not; arrays must have the same length.
 */
export function match(expected: unknown, actual: unknown, ctx: MatchContext, isRoot = true, path = '', strictness: Strictness = 'spec'): void {
  // The driver builds some command fields (sort, hint) as Maps to keep their key order.
  if (actual instanceof Map) actual = Object.fromEntries(actual);
  if (isOperator(expected)) return matchOperator(expected, actual, ctx, isRoot, path, strictness);
  if (isDocument(expected)) {
    if (!isDocument(actual)) throw new MatchError(path, `expected a document, got ${show(actual)}`);
    for (const [key, value] of Object.entries(expected)) {
      const at = path ? `${path}.${key}` : key;
      const present = Object.hasOwn(actual, key) && actual[key] !== undefined;
      if (isOperator(value)) {
        const op = Object.keys(value)[0];
        if (op === '$$exists') {
          if (present !== Boolean(value.$$exists)) throw new MatchError(at, value.$$exists ? 'expected the field to exist' : `expected no such field, got ${show(actual[key])}`);
          continue;
        }
        if (op === '$$unsetOrMatches') {
          if (!present) continue;
          match(value.$$unsetOrMatches, actual[key], ctx, false, at, strictness);
          continue;
        }
      }
      if (!present) throw new MatchError(at, `missing field (expected ${show(value)})`);
      match(value, actual[key], ctx, false, at, strictness);
    }
    if (!isRoot && strictness === 'spec') {
      const extra = Object.keys(actual).filter((k) => actual[k] !== undefined && !Object.hasOwn(expected, k));
      if (extra.length > 0) throw new MatchError(path, `unexpected field(s) ${extra.join(', ')} in ${show(actual)}`);
    }
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) throw new MatchError(path, `expected an array, got ${show(actual)}`);
    if (actual.length !== expected.length) throw new MatchError(path, `expected ${expected.length} element(s), got ${actual.length}: ${show(actual)}`);
    // The documents of a root-level array (a find's result) are root-level too: extra fields are allowed.
    expected.forEach((value, i) => match(value, actual[i], ctx, isRoot, `${path}[${i}]`, strictness));
    return;
  }
  if (!scalarEquals(expected, actual)) throw new MatchError(path, `expected ${show(expected)}, got ${show(actual)}`);
}

function matchOperator(expected: Document, actual: unknown, ctx: MatchContext, isRoot: boolean, path: string, strictness: Strictness): void {
  const [op] = Object.keys(expected);
  const arg = expected[op];
  switch (op) {
    case '$$exists':
      if ((actual !== undefined) !== Boolean(arg)) throw new MatchError(path, arg ? 'expected a value' : `expected no value, got ${show(actual)}`);
      return;
    case '$$unsetOrMatches':
      if (actual === undefined) return;
      return match(arg, actual, ctx, isRoot, path, strictness);
    case '$$type': {
      const wanted: string[] = Array.isArray(arg) ? arg : [arg];
      const have = typeNames(actual);
      if (!wanted.some((t) => have.includes(t))) throw new MatchError(path, `expected type ${wanted.join('|')}, got ${have.join('|') || 'missing'} (${show(actual)})`);
      return;
    }
    case '$$matchesEntity':
      return match(ctx.entity(String(arg)), actual, ctx, isRoot, path, strictness);
    case '$$sessionLsid':
      return match(ctx.sessionLsid(String(arg)), actual, ctx, false, path);
    case '$$lte':
      if (!isNumeric(actual) || toNumber(actual) > toNumber(arg)) throw new MatchError(path, `expected <= ${show(arg)}, got ${show(actual)}`);
      return;
    case '$$matchAsDocument': {
      if (typeof actual !== 'string') throw new MatchError(path, `expected an extended JSON string, got ${show(actual)}`);
      return match(arg, EJSON.parse(actual, { relaxed: false }), ctx, false, path, strictness);
    }
    case '$$matchAsRoot':
      return match(arg, actual, ctx, true, path, strictness);
    case '$$matchesHexBytes': {
      const hex = typeof actual === 'string' ? Buffer.from(actual).toString('hex') : bsonType(actual) === 'Binary' ? Buffer.from((actual as { buffer: Uint8Array }).buffer).toString('hex') : undefined;
      if (hex?.toLowerCase() !== String(arg).toLowerCase()) throw new MatchError(path, `expected bytes ${String(arg)}, got ${show(actual)}`);
      return;
    }
    default:
      throw new MatchError(path, `unsupported special operator ${op}`);
  }
}

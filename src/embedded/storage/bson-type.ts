import type { Document } from 'bson';
import { evalExpr } from 'mingo/core';
import { CommandError, ErrorCode } from '../errors.js';
import { isInt64 } from './int64.js';

/**
 * BSON types as mongod names them, for `$type` in filters and in expressions. mingo's own `$type` only
 * knows JavaScript's kinds (every number is a "double", an ObjectId or a Binary matches nothing), so
 * filters and pipelines reach mingo with `$_type` (regex-rewrite.ts) and these run instead.
 */
const CODES: Record<number, string> = {
  1: 'double', 2: 'string', 3: 'object', 4: 'array', 5: 'binData', 6: 'undefined', 7: 'objectId', 8: 'bool', 9: 'date',
  10: 'null', 11: 'regex', 12: 'dbPointer', 13: 'javascript', 14: 'symbol', 15: 'javascriptWithScope', 16: 'int',
  17: 'timestamp', 18: 'long', 19: 'decimal', [-1]: 'minKey', 127: 'maxKey',
};
const ALIASES = new Set(Object.values(CODES));
const NUMBERS = ['double', 'int', 'long', 'decimal'];

/**
 * The BSON type of a value as the server holds and sends it: a JS number is an int when it fits int32
 * (-0 and larger integers are sent as doubles), a long when its place is marked int64 (`int64`).
 */
export function bsonTypeOf(value: unknown, int64 = false): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'number':
      if (int64) return 'long';
      return Number.isInteger(value) && value >= -2147483648 && value <= 2147483647 && !Object.is(value, -0) ? 'int' : 'double';
    case 'bigint': return 'long';
    case 'string': return 'string';
    case 'boolean': return 'bool';
    default:
  }
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date';
  if (value instanceof RegExp) return 'regex';
  switch ((value as { _bsontype?: string })._bsontype) {
    case 'ObjectId': return 'objectId';
    case 'Binary': return 'binData';
    case 'BSONRegExp': return 'regex';
    case 'Timestamp': return 'timestamp';
    case 'Long': return 'long';
    case 'Int32': return 'int';
    case 'Double': return 'double';
    case 'Decimal128': return 'decimal';
    case 'MinKey': return 'minKey';
    case 'MaxKey': return 'maxKey';
    case 'Code': return (value as { scope?: unknown }).scope ? 'javascriptWithScope' : 'javascript';
    case 'BSONSymbol': return 'symbol';
    case 'DBPointer': return 'dbPointer';
    default: return 'object';
  }
}

/** A `$type` argument (an alias, a type code or a list of them) on `field`, as mongod parses it: the aliases it names. */
export function parseTypeSet(arg: unknown, field = ''): Set<string> {
  const list = Array.isArray(arg) ? arg : [arg];
  if (list.length === 0) throw new CommandError(ErrorCode.FailedToParse, `${field} must match at least one type`);
  const types = new Set<string>();
  for (const t of list) {
    if (typeof t === 'string') {
      if (t === 'number') NUMBERS.forEach((n) => types.add(n));
      else if (ALIASES.has(t)) types.add(t);
      else throw new CommandError(ErrorCode.BadValue, `Unknown type name alias: ${t}`);
      continue;
    }
    const code = typeof t === 'number' ? t : numberOf(t);
    if (code === undefined) throw new CommandError(ErrorCode.BadValue, 'type must be represented as a number or a string');
    const alias = Number.isInteger(code) ? CODES[code] : undefined;
    if (alias === undefined) throw new CommandError(ErrorCode.BadValue, `Invalid numerical type code: ${code}`);
    types.add(alias);
  }
  return types;
}

/** A Long, Int32, Double or Decimal128 type code as a number. */
function numberOf(v: unknown): number | undefined {
  const tag = (v as { _bsontype?: string } | null)?._bsontype;
  if (tag === 'Long' || tag === 'Int32' || tag === 'Double' || tag === 'Decimal128') return Number(String(v));
  return undefined;
}

/**
 * The values at a dotted path, each with the container and key that hold it (an int64 is marked on its
 * container): through arrays of documents as mongod's paths go, and an array's own elements one level down.
 */
function typesAt(doc: unknown, path: string[], at = 0, out: string[] = []): string[] {
  if (at === path.length) return out;
  if (doc === null || typeof doc !== 'object') return out;
  const key = path[at]!;
  if (Array.isArray(doc)) {
    const index = /^\d+$/.test(key) ? Number(key) : -1;
    if (index >= 0 && index < doc.length) visit(doc, index, path, at, out);
    else for (const element of doc) if (element !== null && typeof element === 'object' && !Array.isArray(element)) typesAt(element, path, at, out);
    return out;
  }
  if (key in (doc as Document)) visit(doc as Document, key, path, at, out);
  return out;
}

function visit(container: object, key: string | number, path: string[], at: number, out: string[]): void {
  const value = (container as Record<string | number, unknown>)[key];
  if (at + 1 < path.length) {
    typesAt(value, path, at + 1, out);
    return;
  }
  if (value === undefined) return;
  out.push(bsonTypeOf(value, typeof value === 'number' && isInt64(container, key)));
  if (Array.isArray(value)) value.forEach((element, i) => out.push(bsonTypeOf(element, typeof element === 'number' && isInt64(value, i))));
}

type Options = unknown;

/** `{ field: { $type: ... } }` (as `$_type`, its types parsed by the rewrite): the field, or an element of it, is of one of them. */
const $_type = (selector: string, arg: unknown, _options: Options) => {
  const types = arg as Set<string>;
  const path = selector.split('.');
  return (doc: unknown) => typesAt(doc, path).some((t) => types.has(t));
};

/** The `$type` expression (as `$_type`): the type name of its argument, "missing" for none. */
const $_typeExpression = (doc: unknown, expr: unknown, options: Options): string => {
  const arg = Array.isArray(expr) ? (expr.length === 1 ? expr[0] : badArity(expr.length)) : expr;
  const value = evalExpr(doc, arg, options as never);
  if (value === undefined) return 'missing';
  const field = typeof arg === 'string' && arg.startsWith('$') && !arg.startsWith('$$') ? arg.slice(1) : undefined;
  return bsonTypeOf(value, typeof value === 'number' && field !== undefined && markedAt(doc, field));
};

/** Whether the number at a plain dotted path (no arrays on the way) is marked int64. */
function markedAt(doc: unknown, path: string): boolean {
  const keys = path.split('.');
  let container: unknown = doc;
  for (let k = 0; k < keys.length - 1; k++) {
    if (container === null || typeof container !== 'object' || Array.isArray(container)) return false;
    container = (container as Document)[keys[k]!];
  }
  return container !== null && typeof container === 'object' && isInt64(container, keys[keys.length - 1]!);
}

function badArity(n: number): never {
  throw new CommandError(16020, `Expression $type takes exactly 1 arguments. ${n} were passed in.`, [], { codeName: 'Location16020' });
}

export const TYPE_QUERY_OPERATORS = { $_type };
export const TYPE_EXPRESSION_OPERATORS = { $_type: $_typeExpression };

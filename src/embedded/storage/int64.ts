import { Long } from 'bson';

/**
 * int64 values that stay int64. The server computes on plain numbers (mingo's queries, updates and
 * aggregations know nothing of bson's Long), so a Long that fits a double exactly is decoded as a number
 * and its place is remembered: container object or array → the keys that held an int64. Replies turn
 * those numbers back into Longs. Marks follow a value where the server copies it (stored documents,
 * clones, updates of the field, change events); a value computed by an aggregation expression comes back
 * as mongod's arithmetic would not promise (a double or int), which is the known gap.
 */
const MARKS = new WeakMap<object, Set<string>>();
/** Until the first int64 arrives nothing is marked, and replies are sent as they are (no walk). */
let inUse = false;

const isLong = (v: unknown): v is Long => typeof v === 'object' && v !== null && (v as { _bsontype?: string })._bsontype === 'Long';

function isContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function markInt64(container: object, key: string | number, on = true): void {
  let set = MARKS.get(container);
  if (!on) {
    set?.delete(String(key));
    return;
  }
  if (!set) MARKS.set(container, (set = new Set()));
  set.add(String(key));
  inUse = true;
}

export function isInt64(container: unknown, key: string | number): boolean {
  return typeof container === 'object' && container !== null && MARKS.get(container)?.has(String(key)) === true;
}

/** Copies the marks of `from`'s own keys onto `to` (a copy of it, or one with the same keys). */
export function copyMarks(from: object, to: object): void {
  const set = MARKS.get(from);
  if (set && set.size > 0) MARKS.set(to, new Set(set));
}

/**
 * In place, after decoding: each Long that a double holds exactly becomes a number, marked as an int64
 * (unless `mark` is false). With `key`, only that field of `value` is converted.
 */
export function unboxLongs(value: unknown, mark = true, key?: string): void {
  if (key !== undefined) {
    const obj = value as Record<string, unknown>;
    const v = obj[key];
    if (isLong(v)) {
      if (unboxable(v)) obj[key] = v.toNumber();
    } else if (isContainer(v)) (mark ? unboxLongs : unboxUnmarked)(v);
    return;
  }
  if (!mark) return unboxUnmarked(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (isLong(v)) {
        if (unboxable(v)) {
          value[i] = v.toNumber();
          markInt64(value, i);
        }
      } else if (isContainer(v)) unboxLongs(v);
    }
    return;
  }
  if (!isContainer(value)) return;
  const obj = value as Record<string, unknown>;
  for (const key in obj) {
    const v = obj[key];
    if (isLong(v)) {
      if (unboxable(v)) {
        obj[key] = v.toNumber();
        markInt64(obj, key);
      }
    } else if (isContainer(v)) unboxLongs(v);
  }
}

/** unboxLongs without marks (a command's own fields). */
function unboxUnmarked(value: unknown): void {
  if (!isContainer(value)) return;
  const obj = value as Record<string, unknown>;
  for (const key in obj) {
    const v = obj[key];
    if (isLong(v)) {
      if (unboxable(v)) obj[key] = v.toNumber();
    } else if (isContainer(v)) unboxUnmarked(v);
  }
}

const unboxable = (v: Long) => v.lessThanOrEqual(Long.fromNumber(Number.MAX_SAFE_INTEGER)) && v.greaterThanOrEqual(Long.fromNumber(Number.MIN_SAFE_INTEGER));

/** Before encoding: marked numbers become Longs again (copy on write; the stored documents are untouched). */
export function boxLongs<T>(value: T): T {
  return inUse ? (box(value) as T) : value;
}

function box(v: unknown): unknown {
  if (Array.isArray(v)) {
    const marks = MARKS.get(v);
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      const y = typeof x === 'number' ? (marks?.has(String(i)) ? Long.fromNumber(x) : x) : isContainer(x) ? box(x) : x;
      if (y !== x) (out ??= v.slice())[i] = y;
    }
    return out ?? v;
  }
  if (!isContainer(v)) return v;
  const obj = v as Record<string, unknown>;
  const marks = MARKS.get(obj);
  let out: Record<string, unknown> | undefined;
  for (const key in obj) {
    const x = obj[key];
    const y = typeof x === 'number' ? (marks?.has(key) ? Long.fromNumber(x) : x) : isContainer(x) ? box(x) : x;
    if (y !== x) (out ??= { ...obj })[key] = y;
  }
  return out ?? v;
}

/**
 * Marks in `after` the numbers that are the same value at the same place as an int64 in `before` (what a
 * pipeline update or a rebuilt document left unchanged).
 */
export function carryMarks(before: unknown, after: unknown): void {
  if (!inUse || !isContainer(before) || !isContainer(after) || before === after) return;
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  for (const key of Object.keys(a)) {
    if (!(key in b)) continue;
    if (typeof a[key] === 'number') {
      if (a[key] === b[key] && isInt64(b, key)) markInt64(a, key);
    } else carryMarks(b[key], a[key]);
  }
}

/** The container of a dotted path's last part (and that part), or undefined when the path does not exist. */
export function containerOf(doc: unknown, path: string): { container: Record<string, unknown>; key: string } | undefined {
  const parts = path.split('.');
  let at: unknown = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    if (!isContainer(at)) return undefined;
    at = (at as Record<string, unknown>)[parts[i]];
  }
  return isContainer(at) ? { container: at as Record<string, unknown>, key: parts[parts.length - 1] } : undefined;
}

export const int64InUse = () => inUse;

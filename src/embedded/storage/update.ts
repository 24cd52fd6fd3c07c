import type { Document } from 'bson';
import { Aggregator } from 'mingo';
import * as UPDATE_OPERATORS from 'mingo/operators/update';
import { CommandError, ErrorCode, badValue } from '../errors.js';
import { cloneDocument, isPlainObject } from './document.js';
import { carryMarks, containerOf, int64InUse, isInt64, markInt64 } from './int64.js';
import { MINGO_OPTIONS, linearFilter, linearPipeline } from './query.js';
import { updateOperatorOptions } from './regex-operators.js';

/** Options for mingo's update operators, with regexes on RE2 (built on first use). */
let updateOptions: unknown;

export type UpdateSpec = Document | Document[];

export function isPipelineUpdate(u: UpdateSpec): u is Document[] {
  return Array.isArray(u);
}

export function isReplacement(u: UpdateSpec): boolean {
  if (Array.isArray(u)) return false;
  const keys = Object.keys(u);
  return keys.length === 0 || !keys[0].startsWith('$');
}

type UpdateOperator = (expr: unknown, arrayFilters: Document[], options?: unknown) => (doc: Document) => unknown;

/** Two operators on one path, or on a path and its prefix: MongoDB's ConflictingUpdateOperators (40). */
function checkConflicts(u: Document): void {
  const seen: string[] = [];
  for (const [op, expr] of Object.entries(u)) {
    if (!isPlainObject(expr)) continue;
    const paths = Object.keys(expr);
    if (op === '$rename') paths.push(...Object.values(expr).filter((to): to is string => typeof to === 'string'));
    for (const path of paths) {
      const root = path.split('.$')[0];
      const clash = seen.find((p) => p === root || p.startsWith(`${root}.`) || root.startsWith(`${p}.`));
      if (clash !== undefined) throw new CommandError(40, `Updating the path '${path}' would create a conflict at '${clash}'`);
      seen.push(root);
    }
  }
}

function checkModifier(u: Document): void {
  for (const key of Object.keys(u)) {
    if (!key.startsWith('$')) throw new CommandError(ErrorCode.FailedToParse, `Unknown modifier: ${key}. Expected a valid update modifier or pipeline-style update specified as an array`);
  }
}

/**
 * The document that results from applying `u` to `doc` (never mutates `doc`).
 * Replacements keep `_id`; operator and pipeline updates may not change it.
 */
export function applyUpdate(doc: Document, u: UpdateSpec, arrayFilters?: Document[], variables?: Document): Document {
  if (isPipelineUpdate(u)) {
    const options = variables ? { ...MINGO_OPTIONS, variables } : MINGO_OPTIONS;
    let [out] = new Aggregator(linearPipeline(u), options).run([cloneDocument(doc)]) as Document[];
    // A pipeline that drops _id ($replaceRoot, $project) keeps the document's own, as on mongod.
    if (out && out._id === undefined) out = { _id: doc._id, ...out };
    assertSameId(doc, out);
    carryMarks(doc, out);
    return out;
  }
  if (isReplacement(u)) {
    if ('_id' in u && !sameValue(u._id, doc._id)) throw immutableId(doc);
    const { _id: _ignored, ...rest } = u;
    const out = { _id: doc._id, ...cloneDocument(rest) };
    carryMarks(u, out);
    return out;
  }
  checkModifier(u);
  const next = cloneDocument(doc);
  const operators = withoutNoOps(doc, u);
  if (Object.keys(operators).length === 0) return next;
  try {
    checkConflicts(operators);
    // Each operator is called directly: mingo's update() rebuilds its whole operator context per call,
    // which made it the cost of every update.
    for (const [op, expr] of Object.entries(withFreshDates(operators))) {
      const operator = Object.hasOwn(UPDATE_OPERATORS, op) ? (UPDATE_OPERATORS as unknown as Record<string, UpdateOperator>)[op] : undefined;
      if (!operator) throw new Error(`Unknown update operator: '${op}'.`);
      if (op === '$pull' || arrayFilters?.length) {
        updateOptions ??= updateOperatorOptions(MINGO_OPTIONS);
        operator(op === '$pull' ? linearPullSpec(expr as Document) : expr, (arrayFilters ?? []).map(linearFilter), updateOptions)(next);
      } else {
        operator(expr, [])(next);
      }
    }
  } catch (err) {
    if (err instanceof CommandError) throw err;
    throw updateError(doc, (err as Error).message);
  }
  assertSameId(doc, next);
  if (int64InUse()) markUpdatedInt64(doc, next, operators);
  return next;
}

/**
 * The int64 marks of the values an operator update wrote: `$set` keeps the type it was given; `$inc` and
 * `$mul` stay int64 when either side was int64 and the other an integer (mongod promotes to a double
 * otherwise); `$min`/`$max` keep the type of the value they kept; `$unset` and `$rename` move or drop them.
 */
function markUpdatedInt64(before: Document, next: Document, u: Document): void {
  const wasInt64 = (path: string) => {
    const at = containerOf(before, path);
    return at !== undefined && typeof at.container[at.key] === 'number' && isInt64(at.container, at.key);
  };
  for (const op of ['$set', '$setOnInsert', '$inc', '$mul', '$min', '$max', '$unset', '$rename']) {
    const expr = u[op];
    if (!isPlainObject(expr)) continue;
    for (const path of Object.keys(expr)) {
      if (path.includes('$')) continue;
      const target = op === '$rename' && typeof expr[path] === 'string' ? (expr[path] as string) : path;
      const at = containerOf(next, target);
      if (!at) continue;
      const value = at.container[at.key];
      if (op === '$unset') {
        markInt64(at.container, at.key, false);
        continue;
      }
      if (typeof value !== 'number') {
        if (op === '$set' || op === '$setOnInsert') carryMarks(expr[path], value);
        markInt64(at.container, at.key, false);
        continue;
      }
      const given = isInt64(expr, path);
      let long: boolean;
      if (op === '$set' || op === '$setOnInsert') long = given;
      else if (op === '$rename') long = wasInt64(path);
      else if (op === '$inc' || op === '$mul') long = (given || wasInt64(path)) && Number.isInteger(expr[path]) && Number.isInteger(value);
      else long = value === expr[path] ? given : wasInt64(path);
      markInt64(at.container, at.key, long);
    }
  }
}

/** `$pull` conditions with their regexes on RE2: a condition on the element itself, or a query on its fields. */
function linearPullSpec(expr: Document): Document {
  const out: Document = {};
  for (const [path, condition] of Object.entries(expr)) {
    const onElement = !isPlainObject(condition) || Object.keys(condition).some((k) => k.startsWith('$'));
    out[path] = onElement ? linearFilter({ k: condition }).k : linearFilter(condition);
  }
  return out;
}

/**
 * The operators mingo should apply: `$setOnInsert` only acts on an upsert's insert (the caller applies
 * it), and `$set` of `_id` to its current value is allowed by MongoDB, so both are left out here.
 */
function withoutNoOps(doc: Document, u: Document): Document {
  if (!('$setOnInsert' in u) && !(isPlainObject(u.$set) && '_id' in u.$set)) return u;
  const { $setOnInsert: _ignored, ...rest } = u;
  if (isPlainObject(rest.$set) && '_id' in rest.$set && sameValue(rest.$set._id, doc._id)) {
    const { _id: _same, ...set } = rest.$set;
    if (Object.keys(set).length > 0) rest.$set = set;
    else delete rest.$set;
  }
  return rest;
}

/** mingo's update errors with the code and message mongod gives for the same fault. */
function updateError(doc: Document, message: string): CommandError {
  if (/immutable field '_id'/.test(message)) return immutableId(doc);
  const unknown = /Unknown update operator: '([^']+)'/.exec(message);
  if (unknown) return new CommandError(ErrorCode.FailedToParse, `Unknown modifier: ${unknown[1]}. Expected a valid update modifier or pipeline-style update specified as an array`);
  const conflict = /updating the path '([^']+)' would create a conflict at '([^']+)'/i.exec(message);
  if (conflict) return new CommandError(40, `Updating the path '${conflict[1]}' would create a conflict at '${conflict[2]}'`);
  return badValue(message);
}

function assertSameId(before: Document, after: Document): void {
  if (!sameValue(before._id, after._id)) throw immutableId(before);
}

function immutableId(_doc: Document): CommandError {
  return new CommandError(
    ErrorCode.ImmutableField,
    `Performing an update on the path '_id' would modify the immutable field '_id'`,
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
 * Operators whose target path mongod logs as one whole new value (never diffed below it). `$push` logs only
 * the appended elements (`arr.N`) unless it reorders or trims the array ($position, $sort, $slice).
 */
const WHOLE_VALUE_OPERATORS = ['$set', '$inc', '$mul', '$min', '$max', '$currentDate', '$bit', '$pull', '$pullAll', '$pop', '$addToSet', '$setOnInsert'];

/** The paths an operator update writes as whole values (`$rename`'s target too); positional paths are left out. */
function wholeValuePaths(u: UpdateSpec | undefined): Set<string> {
  const paths = new Set<string>();
  if (!u || Array.isArray(u) || isReplacement(u)) return paths;
  for (const op of WHOLE_VALUE_OPERATORS) for (const path of Object.keys(u[op] ?? {})) if (!path.includes('$')) paths.add(path);
  for (const [path, arg] of Object.entries((u.$push ?? {}) as Document)) {
    if (!path.includes('$') && isPlainObject(arg) && ('$position' in arg || '$sort' in arg || '$slice' in arg)) paths.add(path);
  }
  for (const to of Object.values(u.$rename ?? {})) if (typeof to === 'string') paths.add(to);
  return paths;
}

/**
 * The change-stream updateDescription between two versions of a document, in the shape of MongoDB's
 * v2 oplog deltas: nested changes by dotted path, array appends by index, shrunk arrays in truncatedArrays.
 * With the update spec, a path an operator sets is reported whole, as mongod logs it. `disambiguatedPaths`
 * lists every path with a component that contains a dot or is a numeric field name (not an array index),
 * as its components (array indexes as numbers); change streams show it only with showExpandedEvents.
 */
export function describeUpdate(before: Document, after: Document, spec?: UpdateSpec) {
  const updatedFields: Document = {};
  const removedFields: string[] = [];
  const truncatedArrays: Document[] = [];
  const disambiguatedPaths: Document = {};
  const whole = wholeValuePaths(spec);
  type Part = string | number;
  const note = (parts: Part[]) => {
    if (parts.some((p) => typeof p === 'string' && (p.includes('.') || /^\d+$/.test(p)))) disambiguatedPaths[parts.join('.')] = parts;
  };
  const updated = (parts: Part[], value: unknown, container?: unknown, key?: Part) => {
    const path = parts.join('.');
    updatedFields[path] = value;
    if (typeof value === 'number' && key !== undefined && isInt64(container, key)) markInt64(updatedFields, path);
    note(parts);
  };
  const diff = (parts: Part[], x: unknown, y: unknown, container: unknown, key: Part) => {
    if (sameValue(x, y) && (typeof y !== 'number' || !int64InUse() || isInt64(container, key) === wasMarked(parts))) return;
    if (!whole.has(parts.join('.'))) {
      if (isPlainObject(x) && isPlainObject(y) && Object.keys(y).length > 0) return walk(x, y, parts);
      if (Array.isArray(x) && Array.isArray(y) && y.length > 0) return walkArray(x, y, parts);
    }
    updated(parts, y, container, key);
  };
  const walk = (a: Document, b: Document, parts: Part[]) => {
    for (const key of Object.keys(a)) {
      if (!(key in b)) {
        removedFields.push([...parts, key].join('.'));
        note([...parts, key]);
      }
    }
    for (const key of Object.keys(b)) {
      if (!(key in a)) updated([...parts, key], b[key], b, key);
      else diff([...parts, key], a[key], b[key], b, key);
    }
  };
  const walkArray = (x: unknown[], y: unknown[], parts: Part[]) => {
    if (y.length < x.length) {
      truncatedArrays.push({ field: parts.join('.'), newSize: y.length });
      note(parts);
    }
    for (let i = 0; i < y.length; i++) {
      if (i >= x.length) updated([...parts, i], y[i], y, i);
      else diff([...parts, i], x[i], y[i], y, i);
    }
  };
  // An int64 that became an int32 of the same value (or the reverse) is a change of type, as mongod logs it.
  const wasMarked = (parts: Part[]) => {
    const at = containerOf(before, parts.join('.'));
    return at !== undefined && isInt64(at.container, at.key);
  };
  walk(before, after, []);
  return { updatedFields, removedFields, truncatedArrays, disambiguatedPaths };
}

/**
 * mingo's `$currentDate` writes the time its default options were created (once, at import), not the
 * time of the update: dates are set here, as mongod does, from the clock at each update.
 */
function withFreshDates(operators: Record<string, unknown>): Record<string, unknown> {
  const spec = operators.$currentDate as Record<string, unknown> | undefined;
  if (!spec || typeof spec !== 'object') return operators;
  const now = new Date();
  const dates: Record<string, Date> = {};
  const rest: Record<string, unknown> = {};
  for (const [field, type] of Object.entries(spec)) {
    if (type === true || (typeof type === 'object' && type !== null && (type as { $type?: unknown }).$type === 'date')) dates[field] = now;
    else rest[field] = type;
  }
  const { $currentDate: _replaced, ...others } = operators;
  return {
    ...others,
    ...(Object.keys(rest).length > 0 ? { $currentDate: rest } : {}),
    ...(Object.keys(dates).length > 0 ? { $set: { ...(others.$set as Record<string, unknown> | undefined), ...dates } } : {}),
  };
}

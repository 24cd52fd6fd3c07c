import { createHash } from 'node:crypto';
import type { Document } from 'bson';
import { isPlainObject } from '../storage/document.js';
import { providesSort, type Plan } from './plan.js';

/**
 * The plan trees `explain` reports, as mongod 7.0's classic engine shapes them: a scan (COLLSCAN, IDHACK,
 * FETCH over IXSCAN, EOF) under SORT / SKIP / LIMIT / PROJECTION, with per-stage statistics for
 * executionStats. The server has no index structures; the trees say what mongod's planner would choose.
 */

export interface QueryShape {
  filter?: Document;
  sort?: Document;
  skip?: number;
  limit?: number;
  projection?: Document;
}

/** Figures measured by running the query, for executionStats. */
export interface ScanFigures {
  /** Documents passing the whole filter. */
  matched: number;
  /** Documents the scan looked at. */
  docsExamined: number;
  /** Index keys looked at (IXSCAN, IDHACK). */
  keysExamined: number;
  /** Documents returned at the end. */
  returned: number;
  millis: number;
}

/** The filter as mongod prints it after parsing: `{a: 1, b: {$gt: 2}}` → `{$and: [{a: {$eq: 1}}, {b: {$gt: 2}}]}`. */
export function parsedQuery(filter: Document | undefined): Document {
  const parts = predicates(filter);
  if (parts.length === 0) return {};
  return parts.length === 1 ? parts[0] : { $and: parts };
}

function predicates(filter: Document | undefined): Document[] {
  const out: Document[] = [];
  for (const [key, value] of Object.entries(filter ?? {})) {
    if (key === '$and' && Array.isArray(value)) out.push(...value.flatMap((part) => predicates(part)));
    else if ((key === '$or' || key === '$nor') && Array.isArray(value)) out.push({ [key]: value.map((part) => parsedQuery(part)) });
    else if (key.startsWith('$')) out.push({ [key]: value });
    else if (isOperatorObject(value)) {
      const ops = Object.entries(value as Document);
      if ('$regex' in (value as Document)) out.push({ [key]: value });
      else for (const [op, arg] of ops) out.push({ [key]: { [op]: arg } });
    } else out.push({ [key]: { $eq: value } });
  }
  return out;
}

const isOperatorObject = (v: unknown) => isPlainObject(v) && Object.keys(v).length > 0 && Object.keys(v).every((k) => k.startsWith('$'));

/** mongod's queryHash / planCacheKey look: 8 upper-case hex digits of the query's shape. */
export function queryHash(ns: string, shape: QueryShape): string {
  const abstract = (v: unknown): unknown => (Array.isArray(v) ? v.map(abstract) : isPlainObject(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, abstract(x)])) : typeof v);
  return createHash('sha256').update(JSON.stringify([ns, abstract(shape.filter ?? {}), shape.sort ?? {}, shape.projection ?? {}])).digest('hex').slice(0, 8).toUpperCase();
}

/** The winning plan's tree, without statistics (queryPlanner), or with them when `figures` are given. */
export function planTree(plan: Plan, shape: QueryShape, figures?: ScanFigures): Document {
  const stats = (nReturned: number, extra: Document = {}): Document => (figures ? { nReturned, executionTimeMillisEstimate: figures.millis, works: nReturned + 1, advanced: nReturned, needTime: 0, needYield: 0, saveState: 0, restoreState: 0, isEOF: 1, ...extra } : {});
  const query = parsedQuery(shape.filter);
  const filter = Object.keys(query).length > 0 ? { filter: query } : {};
  let stage: Document;
  let sortProvided = false;
  switch (plan.kind) {
    case 'EOF':
      stage = { stage: 'EOF', ...stats(0) };
      break;
    case 'IDHACK':
      stage = { stage: 'IDHACK', ...stats(figures?.matched ?? 0, { keysExamined: figures?.keysExamined ?? 0, docsExamined: figures?.docsExamined ?? 0 }) };
      break;
    case 'COLLSCAN':
      stage = { stage: 'COLLSCAN', ...filter, direction: plan.direction === 1 ? 'forward' : 'backward', ...stats(figures?.matched ?? 0, { docsExamined: figures?.docsExamined ?? 0 }) };
      break;
    case 'IXSCAN': {
      const field = Object.keys(plan.index.key)[0];
      const rest = predicates(shape.filter).filter((p) => Object.keys(p)[0] !== field);
      const ixscan = {
        stage: 'IXSCAN',
        keyPattern: plan.index.key,
        indexName: plan.index.name,
        isMultiKey: false,
        multiKeyPaths: Object.fromEntries(Object.keys(plan.index.key).map((f) => [f, []])),
        isUnique: plan.index.unique === true || plan.index.name === '_id_',
        isSparse: plan.index.sparse === true,
        isPartial: plan.index.partialFilterExpression !== undefined,
        indexVersion: 2,
        direction: plan.direction === 1 ? 'forward' : 'backward',
        indexBounds: indexBounds(plan.index.key, shape.filter, plan.direction),
        ...stats(figures?.keysExamined ?? 0, { keysExamined: figures?.keysExamined ?? 0, seeks: 1, dupsTested: 0, dupsDropped: 0 }),
      };
      const fetchFilter = rest.length === 0 ? {} : { filter: rest.length === 1 ? rest[0] : { $and: rest } };
      stage = { stage: 'FETCH', ...fetchFilter, ...stats(figures?.matched ?? 0, { docsExamined: figures?.keysExamined ?? 0, alreadyHasObj: 0 }), inputStage: ixscan };
      sortProvided = shape.sort !== undefined && Object.keys(shape.sort).length > 0 && providesSort(plan.index.key, shape.sort) === plan.direction;
      break;
    }
  }
  let flowing = figures?.matched ?? 0;
  const skip = shape.skip ?? 0;
  const limit = Math.abs(shape.limit ?? 0);
  if (shape.sort && Object.keys(shape.sort).length > 0 && !sortProvided && plan.kind !== 'EOF') {
    if (limit > 0) flowing = Math.min(flowing, skip + limit);
    stage = { stage: 'SORT', sortPattern: shape.sort, memLimit: 104857600, ...(limit > 0 ? { limitAmount: skip + limit } : {}), type: 'simple', ...stats(flowing, { totalDataSizeSorted: 0, usedDisk: false, spills: 0 }), inputStage: stage };
  }
  if (skip > 0) {
    flowing = Math.max(0, flowing - skip);
    stage = { stage: 'SKIP', skipAmount: skip, ...stats(flowing), inputStage: stage };
  }
  if (limit > 0 && (sortProvided || !shape.sort || Object.keys(shape.sort).length === 0 || skip > 0)) {
    flowing = Math.min(flowing, limit);
    stage = { stage: 'LIMIT', limitAmount: limit, ...stats(flowing), inputStage: stage };
  }
  if (shape.projection && Object.keys(shape.projection).length > 0) {
    const simple = Object.entries(shape.projection).every(([k, v]) => !k.includes('.') && !k.startsWith('$') && (v === 1 || v === true || v === 0 || v === false));
    stage = { stage: simple ? 'PROJECTION_SIMPLE' : 'PROJECTION_DEFAULT', transformBy: shape.projection, ...stats(figures?.returned ?? 0), inputStage: stage };
  }
  return stage;
}

const MIN_MAX = '[MinKey, MaxKey]';

/** The bounds of an index scan: the leading field's from its predicates; the other fields unbounded. */
function indexBounds(key: Document, filter: Document | undefined, direction: 1 | -1): Document {
  const bounds: Document = {};
  const fields = Object.keys(key);
  for (const [i, field] of fields.entries()) {
    const own = i === 0 ? predicates(filter).filter((p) => Object.keys(p)[0] === field).map((p) => p[field] as Document) : [];
    const interval = intervalOf(own);
    const reversed = (key[field] === -1 ? -1 : 1) * direction === -1;
    bounds[field] = [reversed ? reverseInterval(interval) : interval];
  }
  return bounds;
}

function intervalOf(preds: Document[]): string {
  let low: { v: unknown; open: boolean } | undefined;
  let high: { v: unknown; open: boolean } | undefined;
  for (const pred of preds) {
    const [op, arg] = Object.entries(pred)[0];
    if (op === '$eq') return `[${show(arg)}, ${show(arg)}]`;
    if (op === '$gt' || op === '$gte') low = { v: arg, open: op === '$gt' };
    if (op === '$lt' || op === '$lte') high = { v: arg, open: op === '$lt' };
  }
  if (!low && !high) return MIN_MAX;
  const numeric = typeof (low?.v ?? high?.v) === 'number';
  const lo = low ? `${low.open ? '(' : '['}${show(low.v)}` : numeric ? '[-inf.0' : '[MinKey';
  const hi = high ? `${show(high.v)}${high.open ? ')' : ']'}` : numeric ? 'inf.0]' : 'MaxKey]';
  return `${lo}, ${hi}`;
}

function reverseInterval(interval: string): string {
  const m = /^([[(])(.*), (.*)([\])])$/.exec(interval);
  if (!m) return interval;
  return `${m[4] === ')' ? '(' : '['}${m[3]}, ${m[2]}${m[1] === '(' ? ')' : ']'}`;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : value > 0 ? 'inf.0' : '-inf.0';
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (value === null) return 'null';
  if (isPlainObject(value) || Array.isArray(value)) return JSON.stringify(value);
  return String(value);
}

import type { Document } from 'bson';
import { Aggregator, Query } from 'mingo';
import { Context } from 'mingo/core';
import { LINEAR_EXPRESSION_OPERATORS, LINEAR_QUERY_OPERATORS } from './regex-operators.js';
import { linearFilter, linearPipeline } from './regex-rewrite.js';
import { mingoError } from './mingo-errors.js';

export { mingoError };

// mingo's own options: compare BSON values by their string form, never run user JavaScript; regexes run on
// RE2 through our operators (regex-rewrite.ts puts every regex of a filter or pipeline behind them).
export const MINGO_OPTIONS = {
  idKey: '_id',
  scriptEnabled: false,
  useStrictMode: true,
  context: Context.init({ query: LINEAR_QUERY_OPERATORS, expression: LINEAR_EXPRESSION_OPERATORS }),
} as const;

export { linearFilter, linearPipeline };

/** A compiled filter; an invalid filter is MongoDB's BadValue. */
export function compileFilter(filter: Document | undefined): (doc: Document) => boolean {
  if (!filter || Object.keys(filter).length === 0) return () => true;
  try {
    const query = new Query(linearFilter(filter), MINGO_OPTIONS);
    return (doc) => query.test(doc);
  } catch (err) {
    throw mingoError(err);
  }
}

/** A fast path for the most common filter, `{ _id: <scalar> }`; undefined when the filter is anything else. */
export function exactIdOf(filter: Document | undefined): unknown {
  if (!filter) return undefined;
  const keys = Object.keys(filter);
  if (keys.length !== 1 || keys[0] !== '_id') return undefined;
  const id = filter._id;
  if (typeof id === 'string' || typeof id === 'number') return id;
  if (id && typeof id === 'object' && !Array.isArray(id) && !Object.keys(id).some((k) => k.startsWith('$'))) return id;
  return undefined;
}

export interface FindOptions {
  filter?: Document;
  sort?: Document;
  projection?: Document;
  skip?: number;
  limit?: number;
}

/** Runs filter, sort, skip, limit and projection over a document source. */
export function runFind(source: Iterable<Document>, options: FindOptions): Document[] {
  const stages: Document[] = [];
  if (options.filter && Object.keys(options.filter).length > 0) stages.push({ $match: options.filter });
  if (options.sort && Object.keys(options.sort).length > 0) stages.push({ $sort: options.sort });
  if (options.skip) stages.push({ $skip: options.skip });
  if (options.limit) stages.push({ $limit: Math.abs(options.limit) });
  if (options.projection && Object.keys(options.projection).length > 0) stages.push({ $project: options.projection });
  if (stages.length === 0) return [...source];
  return runPipeline(source, stages);
}

export function runPipeline(source: Iterable<Document>, pipeline: Document[], collectionResolver?: (name: string) => Document[]): Document[] {
  try {
    return new Aggregator(linearPipeline(pipeline), { ...MINGO_OPTIONS, collectionResolver }).run([...source]) as Document[];
  } catch (err) {
    throw mingoError(err);
  }
}

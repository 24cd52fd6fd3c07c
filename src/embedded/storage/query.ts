import type { Document } from 'bson';
import { Aggregator, Query } from 'mingo';
import { Context } from 'mingo/core';
import { LINEAR_EXPRESSION_OPERATORS, LINEAR_QUERY_OPERATORS } from './regex-operators.js';
import { linearFilter, linearPipeline } from './regex-rewrite.js';
import { mingoError } from './mingo-errors.js';
import { checkSchema, satisfies } from './json-schema.js';
import { TYPE_EXPRESSION_OPERATORS, TYPE_QUERY_OPERATORS } from './bson-type.js';
import { COLLATION_QUERY_OPERATORS, collatedFilter, collatedPipeline, type CollationSpec } from './collation.js';

export { mingoError };

// mingo's own options: compare BSON values by their string form, never run user JavaScript; regexes run on
// RE2 through our operators (regex-rewrite.ts puts every regex of a filter or pipeline behind them).
export const MINGO_OPTIONS = {
  idKey: '_id',
  jsonSchemaValidator: (schema: Document) => {
    checkSchema(schema);
    return (value: unknown) => satisfies(schema, value);
  },
  scriptEnabled: false,
  useStrictMode: true,
  context: Context.init({
    query: { ...LINEAR_QUERY_OPERATORS, ...COLLATION_QUERY_OPERATORS, ...TYPE_QUERY_OPERATORS },
    expression: { ...LINEAR_EXPRESSION_OPERATORS, ...TYPE_EXPRESSION_OPERATORS },
  }),
} as const;

export { linearFilter, linearPipeline };

/** What a command adds to its filters and pipelines: its collation and its `let` variables. */
export interface QueryOptions {
  collation?: CollationSpec;
  variables?: Document;
}

/** mingo's options for a command with a collation or `let` variables (the shared ones for neither). */
export function mingoOptions(query?: QueryOptions) {
  if (!query || (!query.collation && !query.variables)) return MINGO_OPTIONS;
  // mingo reads `collation` in $sort (strength 1-3) and our collation operators read it in filters.
  return { ...MINGO_OPTIONS, collation: query.collation as never, variables: query.variables };
}

/** A filter ready for mingo: regexes on RE2, string comparisons under the collation. */
export function prepareFilter(filter: Document, query?: QueryOptions): Document {
  return collatedFilter(linearFilter(filter), query?.collation);
}

/** A pipeline ready for mingo (see prepareFilter). */
export function preparePipeline(pipeline: Document[], query?: QueryOptions): Document[] {
  return collatedPipeline(linearPipeline(pipeline), query?.collation);
}

/** A compiled filter; an invalid filter is MongoDB's BadValue. */
export function compileFilter(filter: Document | undefined, options?: QueryOptions): (doc: Document) => boolean {
  if (!filter || Object.keys(filter).length === 0) return () => true;
  try {
    const query = new Query(prepareFilter(filter, options), mingoOptions(options));
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

export interface FindOptions extends QueryOptions {
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
  return runPipeline(source, stages, undefined, options);
}

export function runPipeline(source: Iterable<Document>, pipeline: Document[], collectionResolver?: (name: string) => Document[], query?: QueryOptions): Document[] {
  try {
    return new Aggregator(preparePipeline(pipeline, query), { ...mingoOptions(query), collectionResolver }).run([...source]) as Document[];
  } catch (err) {
    throw mingoError(err);
  }
}

/** A `let` value: an expression evaluated once, against no document (as mongod evaluates it). */
export function evaluateConstant(expr: unknown): unknown {
  return runPipeline([{}], [{ $replaceWith: { v: expr } }])[0]?.v;
}

import type { Document } from 'bson';
import type { DataNode } from '../data-node.js';
import type { Collection } from '../storage/collection.js';
import { exactIdOf, type FindOptions, type QueryOptions } from '../storage/query.js';
import type { Deadline } from './deadline.js';
import { runPipelineInSlices } from './pipeline.js';

/** The stages of a find: filter, sort, skip, limit, projection (as runFind builds them). */
export function findStages(options: FindOptions): Document[] {
  const stages: Document[] = [];
  if (options.filter && Object.keys(options.filter).length > 0) stages.push({ $match: options.filter });
  if (options.sort && Object.keys(options.sort).length > 0) stages.push({ $sort: options.sort });
  if (options.skip) stages.push({ $skip: options.skip });
  if (options.limit) stages.push({ $limit: Math.abs(options.limit) });
  if (options.projection && Object.keys(options.projection).length > 0) stages.push({ $project: options.projection });
  return stages;
}

/**
 * A find over one collection in slices (see runPipelineInSlices). `{ _id: <value> }` without sort or
 * projection stays the one-lookup fast path, with no slicing at all.
 */
export async function findInSlices(node: DataNode, collection: Collection | undefined, options: FindOptions, deadline: Deadline, source?: Iterable<Document>): Promise<Document[]> {
  if (!collection) return [];
  const onlyById = exactIdOf(options.filter) !== undefined && !options.sort && !options.projection && !options.skip && !options.collation && !options.variables && !source;
  if (onlyById) return [...node.match(collection, options.filter, Math.abs(options.limit ?? 0))];
  const stages = findStages(options);
  const query = { collation: options.collation, variables: options.variables };
  return runPipelineInSlices(source ?? collection.docs.values(), stages, deadline, query);
}

/** The documents of a collection a plan scans, in its order: natural, reversed, or within an index's min/max. */
export function* scanOrder(collection: Collection, reverse: boolean, keep?: (doc: Document) => boolean): Generator<Document> {
  const docs = reverse ? [...collection.docs.values()].reverse() : collection.docs.values();
  for (const doc of docs) if (!keep || keep(doc)) yield doc;
}

/** Documents matching a filter in natural order (at most `limit`, 0 = all), in slices. */
export function matchInSlices(node: DataNode, collection: Collection | undefined, filter: Document | undefined, limit: number, deadline: Deadline, query?: QueryOptions): Promise<Document[]> {
  return findInSlices(node, collection, { filter, limit, ...query }, deadline);
}

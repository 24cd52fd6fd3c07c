import { Long, type Document } from 'bson';
import { CommandError, ErrorCode, badValue } from '../errors.js';
import { collatedCompare } from '../storage/collation.js';
import type { Collection } from '../storage/collection.js';
import { runFind, type QueryOptions } from '../storage/query.js';
import { findInSlices, findStages, matchInSlices, scanOrder } from '../exec/scan.js';
import { runPipelineInSlices } from '../exec/pipeline.js';
import { indexKeyOf, indexSort, planQuery, withinBounds, type Plan } from '../exec/plan.js';
import { collectionArg, type CommandContext, type CommandTable } from './context.js';
import { queryOptionsOf } from './query-options.js';
import { firstBatch } from './batches.js';
import { resolveView } from './views.js';

/** A find command's arguments, parsed once (explain runs the same request). */
export interface FindRequest {
  coll: string;
  filter?: Document;
  sort?: Document;
  projection?: Document;
  skip: number;
  limit: number;
  hint?: unknown;
  min?: Document;
  max?: Document;
  returnKey: boolean;
  showRecordId: boolean;
  query?: QueryOptions;
}

export function parseFind(cmd: Document): FindRequest {
  const limit = typeof cmd.limit === 'number' ? Math.trunc(cmd.limit) : 0;
  const skip = typeof cmd.skip === 'number' ? cmd.skip : 0;
  if (skip < 0) throw badValue(`BSON field 'skip' value must be >= 0, actual value '${skip}'`);
  if (typeof cmd.batchSize === 'number' && cmd.batchSize < 0) throw badValue(`BSON field 'batchSize' value must be >= 0, actual value '${cmd.batchSize}'`);
  return {
    coll: collectionArg(cmd, 'find'),
    filter: cmd.filter,
    sort: cmd.sort,
    projection: cmd.projection,
    skip,
    limit,
    hint: cmd.hint,
    min: cmd.min,
    max: cmd.max,
    returnKey: cmd.returnKey === true,
    showRecordId: cmd.showRecordId === true,
    query: queryOptionsOf(cmd),
  };
}

export interface FindOutcome {
  docs: Document[];
  plan: Plan;
  /** Documents the scan looked at (explain's totalDocsExamined). */
  examined: number;
  /** The view's own pipeline when the namespace is a view (explain shows it). */
  viewPipeline?: Document[];
}

/** Runs a find: on a view through its pipeline; on a collection by its plan (hint order, min/max bounds). */
export async function runFindRequest(ctx: CommandContext, req: FindRequest): Promise<FindOutcome> {
  const view = resolveView(ctx.node.catalog, ctx.db, req.coll);
  if (view) {
    const backing = ctx.node.catalog.get(ctx.db, view.coll);
    const plan = planQuery(backing, { hint: req.hint });
    const stages = [...view.pipeline, ...findStages({ ...req, limit: Math.abs(req.limit) })];
    const docs = backing ? await runPipelineInSlices(backing.docs.values(), stages, ctx.deadline, req.query) : [];
    return { docs, plan, examined: backing?.docs.size ?? 0, viewPipeline: view.pipeline };
  }
  const collection = ctx.node.catalog.get(ctx.db, req.coll);
  const plan = planQuery(collection, req);
  if (!collection) return { docs: [], plan, examined: 0 };
  const decorate = req.returnKey || req.showRecordId;
  const options = { ...req, ...req.query, projection: decorate ? undefined : req.projection };
  let source: Iterable<Document> | undefined;
  if (plan.kind === 'IXSCAN' && plan.hinted) {
    // A hinted index returns its documents in index order, within min/max when given.
    if (!options.sort) options.sort = indexSort(plan.index, plan.direction);
    if (req.min || req.max) source = scanOrder(collection, false, withinBounds(plan.index, req.min, req.max));
  } else if (plan.kind === 'COLLSCAN' && plan.direction === -1) {
    source = scanOrder(collection, true);
  }
  let docs = await findInSlices(ctx.node, collection, options, ctx.deadline, source);
  if (decorate) docs = docs.map((doc) => decorated(collection, plan, req, doc));
  const examined = plan.kind === 'IDHACK' ? docs.length : collection.docs.size;
  return { docs, plan, examined };
}

/**
 * `returnKey`: the key of the index used ({} on a collection scan), and nothing else — mongod 7.0 then adds no
 * `$recordId` either. `showRecordId`: the document (projected) with its `$recordId`.
 */
function decorated(collection: Collection, plan: Plan, req: FindRequest, doc: Document): Document {
  if (req.returnKey) return plan.kind === 'IXSCAN' ? indexKeyOf(plan.index, doc) : plan.kind === 'IDHACK' ? { _id: doc._id } : {};
  const out = req.projection && Object.keys(req.projection).length > 0 ? runFind([doc], { projection: req.projection })[0] : { ...doc };
  out.$recordId = Long.fromNumber(collection.recordIdOf(doc));
  return out;
}

async function find(cmd: Document, ctx: CommandContext): Promise<Document> {
  const req = parseFind(cmd);
  const { docs } = await runFindRequest(ctx, req);
  // A negative limit is the legacy spelling of "limit + singleBatch".
  const single = cmd.singleBatch === true || req.limit < 0;
  const batchSize = req.limit < 0 ? Math.min(-req.limit, typeof cmd.batchSize === 'number' && cmd.batchSize > 0 ? cmd.batchSize : -req.limit) : cmd.batchSize;
  return firstBatch(ctx, `${ctx.db}.${req.coll}`, docs, batchSize, single);
}

/** The documents a count or distinct considers: a view's output, or a collection's matches (hint checked). */
async function matching(ctx: CommandContext, coll: string, filter: Document | undefined, hint: unknown, query: QueryOptions | undefined): Promise<{ docs: Document[]; plan: Plan; examined: number }> {
  const view = resolveView(ctx.node.catalog, ctx.db, coll);
  if (view) {
    const backing = ctx.node.catalog.get(ctx.db, view.coll);
    const plan = planQuery(backing, { hint });
    const stages = filter && Object.keys(filter).length > 0 ? [...view.pipeline, { $match: filter }] : view.pipeline;
    const docs = backing ? await runPipelineInSlices(backing.docs.values(), stages, ctx.deadline, query) : [];
    return { docs, plan, examined: backing?.docs.size ?? 0 };
  }
  const collection = ctx.node.catalog.get(ctx.db, coll);
  const plan = planQuery(collection, { filter, hint });
  const docs = await matchInSlices(ctx.node, collection, filter, 0, ctx.deadline, query);
  return { docs, plan, examined: collection?.docs.size ?? 0 };
}

export async function countOf(cmd: Document, ctx: CommandContext): Promise<{ n: number; plan: Plan; examined: number }> {
  const coll = collectionArg(cmd, 'count');
  const collection = ctx.node.catalog.get(ctx.db, coll);
  const query = queryOptionsOf(cmd);
  const unfiltered = !cmd.query || Object.keys(cmd.query).length === 0;
  let n: number;
  let plan: Plan;
  let examined = 0;
  if (collection && unfiltered && !query && cmd.hint === undefined) {
    // The collection's count, as mongod's COUNT stage answers from metadata.
    n = collection.docs.size;
    plan = { kind: 'COLLSCAN', direction: 1 };
  } else {
    const found = await matching(ctx, coll, cmd.query, cmd.hint, query);
    ({ plan, examined } = found);
    n = found.docs.length;
  }
  n = Math.max(0, n - (cmd.skip ?? 0));
  if (cmd.limit) n = Math.min(n, Math.abs(cmd.limit));
  return { n, plan, examined };
}

async function count(cmd: Document, ctx: CommandContext): Promise<Document> {
  const { n } = await countOf(cmd, ctx);
  return { n, ok: 1 };
}

export async function distinctOf(cmd: Document, ctx: CommandContext): Promise<{ values: unknown[]; plan: Plan; examined: number }> {
  const coll = collectionArg(cmd, 'distinct');
  if (typeof cmd.key !== 'string') throw new CommandError(ErrorCode.FailedToParse, "BSON field 'distinct.key' is missing but a required field");
  const values: unknown[] = [];
  const seen = new Set<string>();
  const query = queryOptionsOf(cmd);
  // Under a collation, strings equal by it are one value (the first one seen).
  const collated = query?.collation ? collatedCompare(query.collation, () => 1) : undefined;
  const { docs, plan, examined } = await matching(ctx, coll, cmd.query, cmd.hint, query);
  for (const doc of docs) {
    if (ctx.deadline.tick()) await ctx.deadline.pause();
    for (const value of valuesAt(doc, cmd.key)) {
      const key = JSON.stringify(value);
      if (collated && typeof value === 'string' && values.some((v) => typeof v === 'string' && collated(v, value) === 0)) continue;
      if (!seen.has(key)) {
        seen.add(key);
        values.push(value);
      }
    }
  }
  return { values, plan, examined };
}

async function distinct(cmd: Document, ctx: CommandContext): Promise<Document> {
  const { values } = await distinctOf(cmd, ctx);
  return { values, ok: 1 };
}

function valuesAt(doc: unknown, path: string): unknown[] {
  const [head, ...rest] = path.split('.');
  if (doc === null || typeof doc !== 'object') return [];
  const value = (doc as Document)[head];
  if (value === undefined) return [];
  if (rest.length === 0) return Array.isArray(value) ? value : [value];
  if (Array.isArray(value)) return value.flatMap((v) => valuesAt(v, rest.join('.')));
  return valuesAt(value, rest.join('.'));
}

export const readCommands: CommandTable = { find, count, distinct };

import type { Document } from 'bson';
import { CommandError, ErrorCode, badValue } from '../errors.js';
import { isPlainObject } from '../storage/document.js';
import type { Collection } from '../storage/collection.js';
import { compileFilter, type QueryOptions } from '../storage/query.js';
import { applyUpdate, isReplacement, sameValue } from '../storage/update.js';
import { findStages, matchInSlices } from '../exec/scan.js';
import { runPipelineInSlices } from '../exec/pipeline.js';
import { planQuery, type Plan } from '../exec/plan.js';
import { parsedQuery, planTree, queryHash, type QueryShape, type ScanFigures } from '../exec/explain-plan.js';
import { collectionArg, type CommandContext, type CommandTable } from './context.js';
import { SERVER_VERSION } from './hello.js';
import { queryOptionsOf } from './query-options.js';
import { countOf, distinctOf, parseFind, runFindRequest } from './reads.js';
import { resolveView } from './views.js';

/**
 * `explain` for find, aggregate, count, distinct, update, delete and findAndModify, in mongod 7.0's shape:
 * queryPlanner (namespace, parsedQuery, winningPlan, rejectedPlans), executionStats (the query is run;
 * writes are not applied: nWouldModify / nWouldDelete), command, serverInfo, serverParameters.
 */
type Verbosity = 'queryPlanner' | 'executionStats' | 'allPlansExecution';
const VERBOSITIES = new Set<Verbosity>(['queryPlanner', 'executionStats', 'allPlansExecution']);

export interface Explained {
  queryPlanner?: Document;
  executionStats?: Document;
  stages?: Document[];
}

type Explainer = (inner: Document, ctx: CommandContext, verbosity: Verbosity) => Promise<Explained>;

const SERVER_PARAMETERS = {
  internalQueryFacetBufferSizeBytes: 104857600,
  internalQueryFacetMaxOutputDocSizeBytes: 104857600,
  internalLookupStageIntermediateDocumentMaxSizeBytes: 104857600,
  internalDocumentSourceGroupMaxMemoryBytes: 104857600,
  internalQueryMaxBlockingSortMemoryUsageBytes: 104857600,
  internalQueryProhibitBlockingMergeOnMongoS: 0,
  internalQueryMaxAddToSetBytes: 104857600,
  internalDocumentSourceSetWindowFieldsMaxMemoryBytes: 104857600,
  internalQueryFrameworkControl: 'forceClassicEngine',
};

async function explain(cmd: Document, ctx: CommandContext): Promise<Document> {
  const inner = cmd.explain;
  if (!isPlainObject(inner)) throw new CommandError(ErrorCode.TypeMismatch, `BSON field 'explain.explain' is the wrong type '${Array.isArray(inner) ? 'array' : typeof inner}', expected type 'object'`);
  const verbosity = (cmd.verbosity ?? 'allPlansExecution') as Verbosity;
  if (!VERBOSITIES.has(verbosity)) throw badValue(`Enumeration value '${String(verbosity)}' for field 'verbosity' is not a valid value.`);
  const name = Object.keys(inner)[0];
  const explainer = name !== undefined && Object.hasOwn(EXPLAINERS, name) ? EXPLAINERS[name] : undefined;
  if (!explainer) throw new CommandError(ErrorCode.CommandNotFound, `Explain failed due to unknown command: ${name}`);
  return explainReply(await explainer(inner, ctx, verbosity), { ...inner, $db: ctx.db }, ctx);
}

/** The reply around an explanation (also `aggregate` with `explain: true`). */
export function explainReply(explained: Explained, command: Document, ctx: CommandContext): Document {
  const [host, port] = [ctx.topology.options.host, ctx.topology.options.port];
  return {
    explainVersion: '1',
    ...explained,
    command,
    serverInfo: { host, port, version: SERVER_VERSION, gitVersion: 'ticker-embedded' },
    serverParameters: SERVER_PARAMETERS,
    ok: 1,
  };
}

function queryPlanner(ns: string, plan: Plan, shape: QueryShape, winningPlan = planTree(plan, shape)): Document {
  const hash = queryHash(ns, shape);
  return {
    namespace: ns,
    indexFilterSet: false,
    parsedQuery: parsedQuery(shape.filter),
    queryHash: hash,
    planCacheKey: hash,
    maxIndexedOrSolutionsReached: false,
    maxIndexedAndSolutionsReached: false,
    maxScansToExplodeReached: false,
    winningPlan,
    rejectedPlans: [],
  };
}

function executionStats(verbosity: Verbosity, figures: ScanFigures, executionStages: Document, extra: Document = {}): Document {
  return {
    executionSuccess: true,
    nReturned: figures.returned,
    executionTimeMillis: figures.millis,
    totalKeysExamined: figures.keysExamined,
    totalDocsExamined: figures.docsExamined,
    ...extra,
    executionStages,
    ...(verbosity === 'allPlansExecution' ? { allPlansExecution: [] } : {}),
  };
}

/** What a scan by `plan` looks at and keeps for `filter` (the query is run to know). */
async function measure(ctx: CommandContext, collection: Collection | undefined, plan: Plan, filter: Document | undefined, query: QueryOptions | undefined, started: number): Promise<Omit<ScanFigures, 'returned'> & { docs: Document[] }> {
  const docs = await matchInSlices(ctx.node, collection, filter, 0, ctx.deadline, query);
  let keysExamined = 0;
  let docsExamined = collection?.docs.size ?? 0;
  if (plan.kind === 'IDHACK') keysExamined = docsExamined = docs.length;
  if (plan.kind === 'IXSCAN' && collection) {
    const field = Object.keys(plan.index.key)[0];
    const own = Object.fromEntries(Object.entries(filter ?? {}).filter(([k]) => k === field));
    const test = compileFilter(own, query);
    for (const doc of collection.docs.values()) if (test(doc)) keysExamined++;
    docsExamined = keysExamined;
  }
  if (plan.kind === 'EOF') docsExamined = 0;
  return { docs, matched: docs.length, keysExamined, docsExamined, millis: Math.round(performance.now() - started) };
}

const explainFind: Explainer = async (inner, ctx, verbosity) => {
  const req = parseFind(inner);
  const ns = `${ctx.db}.${req.coll}`;
  const view = resolveView(ctx.node.catalog, ctx.db, req.coll);
  if (view) return explainPipeline({ aggregate: view.coll, pipeline: [...view.pipeline, ...findStages(req)] }, ctx, verbosity, ns);
  const shape: QueryShape = { filter: req.filter, sort: req.sort, skip: req.skip, limit: req.limit, projection: req.projection };
  const started = performance.now();
  const { docs, plan } = await runFindRequest(ctx, req);
  const collection = ctx.node.catalog.get(ctx.db, req.coll);
  const explained: Explained = { queryPlanner: queryPlanner(ns, plan, shape) };
  if (verbosity === 'queryPlanner') return explained;
  const figures = { ...(await measure(ctx, collection, plan, req.filter, req.query, started)), returned: docs.length };
  return { ...explained, executionStats: executionStats(verbosity, figures, planTree(plan, shape, figures)) };
};

const explainCount: Explainer = async (inner, ctx, verbosity) => {
  const coll = collectionArg(inner, 'count');
  const collection = ctx.node.catalog.get(ctx.db, coll);
  const started = performance.now();
  const { n, plan } = await countOf(inner, ctx);
  const fast = collection && (!inner.query || Object.keys(inner.query).length === 0) && inner.hint === undefined;
  const shape: QueryShape = { filter: inner.query };
  const tree = (figures?: ScanFigures) => fast
    ? { stage: 'RECORD_STORE_FAST_COUNT', ...(figures ? { nReturned: 0, executionTimeMillisEstimate: figures.millis, works: 1, advanced: 0, nCounted: n, nSkipped: 0 } : {}) }
    : { stage: 'COUNT', ...(figures ? { nReturned: 0, executionTimeMillisEstimate: figures.millis, nCounted: n, nSkipped: inner.skip ?? 0 } : {}), inputStage: planTree(plan, shape, figures) };
  const explained: Explained = { queryPlanner: queryPlanner(`${ctx.db}.${coll}`, plan, shape, tree()) };
  if (verbosity === 'queryPlanner') return explained;
  const measured = fast ? { matched: n, keysExamined: 0, docsExamined: 0, millis: Math.round(performance.now() - started) } : await measure(ctx, collection, plan, inner.query, queryOptionsOf(inner), started);
  const figures = { ...measured, returned: 0 };
  return { ...explained, executionStats: executionStats(verbosity, figures, tree(figures)) };
};

const explainDistinct: Explainer = async (inner, ctx, verbosity) => {
  const coll = collectionArg(inner, 'distinct');
  const collection = ctx.node.catalog.get(ctx.db, coll);
  const started = performance.now();
  const { plan, values } = await distinctOf(inner, ctx);
  const shape: QueryShape = { filter: inner.query };
  const onKey = plan.kind !== 'IXSCAN' && collection?.indexes.find((i) => Object.keys(i.key)[0] === inner.key);
  const tree = (figures?: ScanFigures) => onKey && (!inner.query || Object.keys(inner.query).length === 0)
    ? { stage: 'PROJECTION_COVERED', transformBy: { _id: 0, [inner.key]: 1 }, ...(figures ? { nReturned: values.length, executionTimeMillisEstimate: figures.millis } : {}), inputStage: { stage: 'DISTINCT_SCAN', keyPattern: onKey.key, indexName: onKey.name, isMultiKey: false, isUnique: onKey.name === '_id_', isSparse: false, isPartial: false, indexVersion: 2, direction: 'forward', indexBounds: Object.fromEntries(Object.keys(onKey.key).map((f) => [f, ['[MinKey, MaxKey]']])), ...(figures ? { nReturned: values.length, keysExamined: values.length } : {}) } }
    : { stage: 'PROJECTION_SIMPLE', transformBy: { _id: 0, [inner.key]: 1 }, ...(figures ? { nReturned: figures.matched, executionTimeMillisEstimate: figures.millis } : {}), inputStage: planTree(plan, shape, figures) };
  const explained: Explained = { queryPlanner: queryPlanner(`${ctx.db}.${coll}`, plan, shape, tree()) };
  if (verbosity === 'queryPlanner') return explained;
  const figures = { ...(await measure(ctx, collection, plan, inner.query, queryOptionsOf(inner), started)), returned: values.length };
  return { ...explained, executionStats: executionStats(verbosity, figures, tree(figures)) };
};

/** An explained write: its scan under UPDATE or DELETE, with what it would do (nothing is written). */
async function explainWrite(ctx: CommandContext, verbosity: Verbosity, coll: string, write: { filter: Document; sort?: Document; hint?: unknown; one: boolean; update?: unknown; upsert?: boolean; arrayFilters?: Document[]; query?: QueryOptions }): Promise<Explained> {
  const collection = ctx.node.catalog.get(ctx.db, coll);
  const plan = planQuery(collection, { filter: write.filter, hint: write.hint });
  const shape: QueryShape = { filter: write.filter, sort: write.sort, limit: write.one && write.sort ? 1 : 0 };
  const started = performance.now();
  const stageName = write.update === undefined ? 'DELETE' : 'UPDATE';
  const tree = (figures?: ScanFigures, counts: Document = {}) => ({ stage: stageName, ...(figures ? { nReturned: 0, executionTimeMillisEstimate: figures.millis, ...counts } : {}), inputStage: planTree(plan, shape, figures) });
  const explained: Explained = { queryPlanner: queryPlanner(`${ctx.db}.${coll}`, plan, shape, tree()) };
  if (verbosity === 'queryPlanner') return explained;
  const measured = await measure(ctx, collection, plan, write.filter, write.query, started);
  const targets = write.one ? measured.docs.slice(0, 1) : measured.docs;
  let counts: Document;
  if (write.update === undefined) counts = { nWouldDelete: targets.length };
  else {
    const spec = write.update as Document;
    const changed = targets.filter((doc) => !sameValue(doc, applyUpdate(doc, isReplacement(spec) ? { ...spec, _id: doc._id } : spec, write.arrayFilters, write.query?.variables))).length;
    counts = { nMatched: targets.length, nWouldModify: changed, nWouldUpsert: targets.length === 0 && write.upsert ? 1 : 0 };
  }
  const figures = { ...measured, returned: 0 };
  return { ...explained, executionStats: executionStats(verbosity, figures, tree(figures, counts)) };
}

const oneStatement = (inner: Document, field: string): Document => {
  const statements = inner[field];
  if (!Array.isArray(statements) || statements.length !== 1) throw new CommandError(16, `explained ${Object.keys(inner)[0]} must have exactly one statement`);
  return statements[0];
};

const explainUpdate: Explainer = (inner, ctx, verbosity) => {
  const stmt = oneStatement(inner, 'updates');
  return explainWrite(ctx, verbosity, collectionArg(inner, 'update'), { filter: stmt.q ?? {}, hint: stmt.hint, one: stmt.multi !== true, update: stmt.u, upsert: stmt.upsert, arrayFilters: stmt.arrayFilters, query: queryOptionsOf(inner, stmt.collation) });
};

const explainDelete: Explainer = (inner, ctx, verbosity) => {
  const stmt = oneStatement(inner, 'deletes');
  return explainWrite(ctx, verbosity, collectionArg(inner, 'delete'), { filter: stmt.q ?? {}, hint: stmt.hint, one: stmt.limit === 1, query: queryOptionsOf(inner, stmt.collation) });
};

const explainFindAndModify: Explainer = (inner, ctx, verbosity) => {
  const name = 'findAndModify' in inner ? 'findAndModify' : 'findandmodify';
  return explainWrite(ctx, verbosity, collectionArg(inner, name), { filter: inner.query ?? {}, sort: inner.sort, hint: inner.hint, one: true, update: inner.remove ? undefined : inner.update, upsert: inner.upsert, arrayFilters: inner.arrayFilters, query: queryOptionsOf(inner) });
};

/** Stages the find layer runs for an aggregation (mongod pushes them down into its $cursor stage). */
const PUSHED_DOWN = new Set(['$match', '$sort', '$skip', '$limit', '$project']);

/**
 * An aggregation explained: its leading $match/$sort/$skip/$limit/$project as a query plan; when that is
 * the whole pipeline, the reply is a find's; otherwise `stages`, the first a `$cursor` with the plan.
 */
async function explainPipeline(inner: Document, ctx: CommandContext, verbosity: Verbosity, ns?: string): Promise<Explained> {
  const pipeline: Document[] = Array.isArray(inner.pipeline) ? inner.pipeline : [];
  if (typeof inner.aggregate !== 'string') throw new CommandError(ErrorCode.InvalidNamespace, 'explain of a collectionless aggregate is not supported by this server');
  const view = resolveView(ctx.node.catalog, ctx.db, inner.aggregate);
  const coll = view?.coll ?? inner.aggregate;
  const stages = view ? [...view.pipeline, ...pipeline] : pipeline;
  const shape: QueryShape = {};
  let at = 0;
  for (; at < stages.length; at++) {
    const name = Object.keys(stages[at] ?? {})[0];
    const arg = stages[at][name];
    if (!PUSHED_DOWN.has(name)) break;
    if (name === '$match') {
      if (shape.sort || shape.skip || shape.limit || shape.projection) break;
      shape.filter = shape.filter ? { $and: [shape.filter, arg] } : arg;
    } else if (name === '$sort') {
      if (shape.sort || shape.skip || shape.limit || shape.projection) break;
      shape.sort = arg;
    } else if (name === '$skip') {
      if (shape.limit || shape.projection) break;
      shape.skip = (shape.skip ?? 0) + Number(arg);
    } else if (name === '$limit') {
      if (shape.projection) break;
      shape.limit = shape.limit ? Math.min(shape.limit, Number(arg)) : Number(arg);
    } else shape.projection = arg;
  }
  const rest = stages.slice(at);
  const collection = ctx.node.catalog.get(ctx.db, coll);
  const query = queryOptionsOf(inner);
  const plan = planQuery(collection, { filter: shape.filter, sort: shape.sort, hint: inner.hint });
  const planner = queryPlanner(ns ?? `${ctx.db}.${coll}`, plan, shape);
  const writes = rest.some((s) => '$out' in s || '$merge' in s);
  if (verbosity === 'queryPlanner' || writes) {
    if (rest.length === 0) return { queryPlanner: planner };
    return { stages: [{ $cursor: { queryPlanner: planner } }, ...rest] };
  }
  const started = performance.now();
  const source = collection?.docs.values() ?? [];
  let docs = await runPipelineInSlices(source, stages.slice(0, at), ctx.deadline, query);
  const measured = await measure(ctx, collection, plan, shape.filter, query, started);
  const figures = { ...measured, returned: docs.length };
  const cursorStats = executionStats(verbosity, figures, planTree(plan, shape, figures));
  if (rest.length === 0) return { queryPlanner: planner, executionStats: cursorStats };
  const explainedStages: Document[] = [{ $cursor: { queryPlanner: planner, executionStats: cursorStats }, nReturned: docs.length, executionTimeMillisEstimate: figures.millis }];
  const resolver = (name: string) => [...(ctx.node.catalog.get(ctx.db, name)?.docs.values() ?? [])];
  for (const stage of rest) {
    docs = await runPipelineInSlices(docs, [stage], ctx.deadline, { collectionResolver: resolver, ...query });
    explainedStages.push({ ...stage, nReturned: docs.length, executionTimeMillisEstimate: Math.round(performance.now() - started) });
  }
  return { stages: explainedStages };
}

const explainAggregate: Explainer = (inner, ctx, verbosity) => {
  if (Array.isArray(inner.pipeline) && inner.pipeline[0]?.$changeStream) throw new CommandError(ErrorCode.InvalidOptions, 'explain of a $changeStream is not supported by this server');
  return explainPipeline(inner, ctx, verbosity);
};

const EXPLAINERS: Record<string, Explainer> = {
  find: explainFind,
  aggregate: explainAggregate,
  count: explainCount,
  distinct: explainDistinct,
  update: explainUpdate,
  delete: explainDelete,
  findAndModify: explainFindAndModify,
  findandmodify: explainFindAndModify,
};

/** `aggregate` with `explain: true`: the queryPlanner explanation of its pipeline. */
export async function explainAggregateOption(cmd: Document, ctx: CommandContext): Promise<Document> {
  const { explain: _explain, cursor: _cursor, ...inner } = cmd;
  return explainReply(await explainAggregate(inner, ctx, 'queryPlanner'), { ...cmd, $db: ctx.db }, ctx);
}

export const explainCommands: CommandTable = { explain };

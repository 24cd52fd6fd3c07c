import { Binary, type Document } from 'bson';
import { ChangeStreamCursor, type ChangeStreamSpec } from '../changestream/cursor.js';
import { changeStreamReply } from '../changestream/reply.js';
import { labelChangeStreamError } from '../changestream/errors.js';
import type { BeforeChangeMode, FullDocumentMode } from '../changestream/events.js';
import type { StreamScope } from '../changestream/scope.js';
import { CommandError, ErrorCode, badValue } from '../errors.js';
import { runPipeline } from '../storage/query.js';
import { runPipelineInSlices } from '../exec/pipeline.js';
import type { CommandContext, CommandTable } from './context.js';
import { firstBatch } from './batches.js';
import { queryOptionsOf } from './query-options.js';
import { resolveView } from './views.js';
import { refuseSplitOutsideChangeStream } from '../changestream/split.js';
import { explainAggregateOption } from './explain.js';
import { resolveHint } from '../exec/plan.js';
import { splitOutputStage, writeOutput } from './aggregate-output.js';
import { checkFirstStageOnly, collStatsStageDoc, parseCollStatsStage } from './stats.js';

const FULL_DOCUMENT = new Set(['default', 'updateLookup', 'whenAvailable', 'required']);
/** The $changeStream fields a 7.0 mongod parses (document_source_change_stream.idl); others are error 40415. */
const SPEC_FIELDS = new Set([
  'allChangesForCluster', 'fullDocument', 'fullDocumentBeforeChange', 'resumeAfter', 'startAfter', 'startAtOperationTime',
  'showExpandedEvents', 'showSystemEvents', 'showRawUpdateDescription', 'showMigrationEvents', 'allowToRunOnConfigDB',
  'allowToRunOnSystemNS', '$_generateV2ResumeTokens',
]);

const location = (code: number, message: string) => new CommandError(code, message, [], { codeName: `Location${code}` });
const BEFORE_CHANGE = new Set(['off', 'whenAvailable', 'required']);

function aggregate(cmd: Document, ctx: CommandContext): Document | Promise<Document> {
  const pipeline = cmd.pipeline;
  if (!Array.isArray(pipeline)) throw new CommandError(ErrorCode.TypeMismatch, "'pipeline' option must be specified as an array");
  if (typeof cmd.cursor !== 'object' && !cmd.explain) throw new CommandError(ErrorCode.FailedToParse, "The 'cursor' option is required, except for aggregate with the explain argument");
  checkFirstStageOnly(pipeline);
  if (cmd.explain === true) return explainAggregateOption(cmd, ctx);
  if (pipeline[0]?.$changeStream) {
    if (typeof cmd.aggregate === 'string' && ctx.node.catalog.view(ctx.db, cmd.aggregate)) throw new CommandError(166, '$changeStream is not supported on views.');
    return openChangeStream(cmd, ctx);
  }
  const target = cmd.aggregate;
  if (pipeline[0] && typeof pipeline[0] === 'object' && '$collStats' in pipeline[0]) {
    const spec = parseCollStatsStage(pipeline[0], target);
    const stats = [collStatsStageDoc(ctx, target, spec)];
    const rest = pipeline.slice(1);
    return firstBatch(ctx, `${ctx.db}.${target}`, rest.length > 0 ? runPipeline(stats, rest) : stats, cmd.cursor?.batchSize);
  }
  refuseSplitOutsideChangeStream(pipeline);
  const { stages, output } = splitOutputStage(pipeline);
  if (output && cmd.readConcern?.level === 'linearizable') throw new CommandError(ErrorCode.InvalidOptions, `${output.kind} cannot be used with a 'linearizable' read concern level`);
  const { source, rest } = sourceOf(cmd, ctx, stages);
  const resolver = (name: string) => [...(ctx.node.catalog.get(ctx.db, name)?.docs.values() ?? [])];
  const ns = typeof target === 'string' ? `${ctx.db}.${target}` : `${ctx.db}.$cmd.aggregate`;
  return runPipelineInSlices(source, rest, ctx.deadline, { collectionResolver: resolver, ...queryOptionsOf(cmd) })
    .then((docs) => {
      if (!output) return firstBatch(ctx, ns, docs, cmd.cursor?.batchSize);
      writeOutput(ctx.node, ctx.db, output, docs, cmd.bypassDocumentValidation === true);
      return firstBatch(ctx, ns, [], cmd.cursor?.batchSize);
    });
}

/**
 * Where an aggregation's documents come from: its collection, or for `{ aggregate: 1 }` a first stage that
 * makes them (`$documents`, `$listLocalSessions`, `$currentOp`).
 */
function sourceOf(cmd: Document, ctx: CommandContext, stages: Document[]): { source: Iterable<Document>; rest: Document[] } {
  const target = cmd.aggregate;
  if (typeof target === 'string') {
    checkHint(ctx, target, cmd.hint);
    const view = resolveView(ctx.node.catalog, ctx.db, target);
    if (view) return { source: ctx.node.catalog.get(ctx.db, view.coll)?.docs.values() ?? [], rest: [...view.pipeline, ...stages] };
    return { source: ctx.node.catalog.get(ctx.db, target)?.docs.values() ?? [], rest: stages };
  }
  const first = stages[0] && typeof stages[0] === 'object' ? Object.keys(stages[0])[0] : undefined;
  if (first === '$documents') {
    const docs = stages[0].$documents;
    if (!Array.isArray(docs)) throw new CommandError(5858203, 'an array is expected', [], { codeName: 'Location5858203' });
    return { source: docs, rest: stages.slice(1) };
  }
  if (first === '$listLocalSessions') {
    // The sessions this server has seen lately: at least the one this command runs in.
    const sessions = cmd.lsid ? [{ _id: { id: cmd.lsid.id, uid: cmd.lsid.uid ?? new Binary(Buffer.alloc(32)) }, lastUse: new Date() }] : [];
    return { source: sessions, rest: stages.slice(1) };
  }
  if (first === '$currentOp') return { source: [], rest: stages.slice(1) };
  throw new CommandError(ErrorCode.InvalidNamespace, `{aggregate: 1} is not valid for '${first ?? '$match'}'; a collection is required.`);
}

/** An aggregate's hint must name an index of its collection (or of a view's collection). */
function checkHint(ctx: CommandContext, target: string, hint: unknown): void {
  const coll = resolveView(ctx.node.catalog, ctx.db, target)?.coll ?? target;
  const collection = ctx.node.catalog.get(ctx.db, coll);
  if (collection) resolveHint(collection, hint);
}

function scopeOf(cmd: Document, ctx: CommandContext, spec: Document): StreamScope {
  if (spec.allChangesForCluster) {
    if (ctx.db !== 'admin' || cmd.aggregate !== 1) {
      throw new CommandError(ErrorCode.InvalidOptions, "A $changeStream with 'allChangesForCluster:true' may only be opened on the 'admin' database, and with no collection name");
    }
    return { kind: 'cluster' };
  }
  if (cmd.aggregate === 1) {
    if (['admin', 'config', 'local'].includes(ctx.db)) throw new CommandError(ErrorCode.InvalidNamespace, `$changeStream may not be opened on the internal ${ctx.db} database`);
    return { kind: 'database', db: ctx.db };
  }
  if (typeof cmd.aggregate !== 'string') throw new CommandError(ErrorCode.InvalidNamespace, 'invalid aggregate target');
  if (cmd.aggregate.startsWith('system.')) throw new CommandError(ErrorCode.InvalidNamespace, `$changeStream may not be opened on the internal ${ctx.db}.${cmd.aggregate} collection`);
  return { kind: 'collection', db: ctx.db, coll: cmd.aggregate };
}

/**
 * The `$changeStream` stage's options, validated as mongod validates them (codes included); shared by the
 * replica-set server and the router. The stages after `$changeStream` are the caller's.
 */
export function parseChangeStreamSpec(cmd: Document, ctx: CommandContext): Omit<ChangeStreamSpec, 'pipeline'> {
  const spec = cmd.pipeline[0].$changeStream as Document;
  if (ctx.topology.options.role === 'standalone') throw new CommandError(40573, 'The $changeStream stage is only supported on replica sets');
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new CommandError(ErrorCode.TypeMismatch, '$changeStream stage expects a document as argument');
  const fullDocument = (spec.fullDocument ?? 'default') as FullDocumentMode;
  const fullDocumentBeforeChange = (spec.fullDocumentBeforeChange ?? 'off') as BeforeChangeMode;
  if (!FULL_DOCUMENT.has(fullDocument)) throw badValue(`unknown fullDocument mode: ${fullDocument}`);
  if (!BEFORE_CHANGE.has(fullDocumentBeforeChange)) throw badValue(`unknown fullDocumentBeforeChange mode: ${fullDocumentBeforeChange}`);
  for (const key of Object.keys(spec)) {
    if (!SPEC_FIELDS.has(key)) throw location(40415, `BSON field '$changeStream.${key}' is an unknown field.`);
  }
  if ([spec.resumeAfter, spec.startAfter, spec.startAtOperationTime].filter((v) => v !== undefined).length > 1) {
    throw location(40674, 'Only one type of resume option is allowed, but multiple were found.');
  }
  return {
    scope: scopeOf(cmd, ctx, spec),
    fullDocument,
    fullDocumentBeforeChange,
    showExpandedEvents: spec.showExpandedEvents === true,
    resumeAfter: spec.resumeAfter,
    startAfter: spec.startAfter,
    startAtOperationTime: spec.startAtOperationTime,
  };
}

async function openChangeStream(cmd: Document, ctx: CommandContext): Promise<Document> {
  const options = parseChangeStreamSpec(cmd, ctx);
  const { scope } = options;
  const stream = new ChangeStreamCursor(ctx.node, { ...options, pipeline: cmd.pipeline.slice(1) });
  const ns = scope.kind === 'collection' ? `${scope.db}.${scope.coll}` : `${ctx.db}.$cmd.aggregate`;
  const batchSize = typeof cmd.cursor?.batchSize === 'number' ? cmd.cursor.batchSize : 101;
  // The first batch never waits: it returns what is already there (usually nothing) and a token.
  let first;
  try {
    first = await stream.nextBatch(batchSize, 0);
  } catch (err) {
    stream.close();
    throw labelChangeStreamError(err);
  }
  if (first.invalidated) {
    stream.close();
    return changeStreamReply(0, ns, first, true);
  }
  const id = ctx.cursors.allocateId();
  ctx.cursors.add({ kind: 'changeStream', id, ns, stream, abort: new AbortController() });
  return changeStreamReply(id, ns, first, true);
}

export const aggregateCommands: CommandTable = { aggregate };

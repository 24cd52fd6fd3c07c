import { BSON, Long, type Document } from 'bson';
import { oversizedDocumentTest } from '../wire/messages.js';
import { MAX_BSON_OBJECT_SIZE } from '../wire/opcodes.js';
import { CommandError, ErrorCode, badValue } from '../errors.js';
import { runFind } from '../storage/query.js';
import { applyUpdate, isReplacement } from '../storage/update.js';
import { withIdFirst } from '../storage/document.js';
import { runStatement } from '../retryable-writes.js';
import { collectionArg, type CommandContext, type CommandTable } from './context.js';
import { queryOptionsOf } from './query-options.js';
import { nextBatch } from './batches.js';
import { CHECK_EVERY, MAX_TIME_MS_EXPIRED, type Deadline } from '../exec/deadline.js';
import { findInSlices } from '../exec/scan.js';
import { resolveHint } from '../exec/plan.js';
import { readCommands } from './reads.js';
import { refuseView } from './views.js';
import { deleteInSlices, updateInSlices } from '../exec/writes.js';

interface WriteError { index: number; code: number; errmsg: string; [extra: string]: unknown }

/** Runs each statement; ordered writes stop at the first error, unordered ones go on. */
function eachStatement<T>(statements: T[], ordered: boolean, apply: (s: T, i: number) => void): WriteError[] {
  const errors: WriteError[] = [];
  for (let i = 0; i < statements.length; i++) {
    try {
      apply(statements[i], i);
    } catch (err) {
      if (!(err instanceof CommandError)) throw err;
      errors.push({ index: i, code: err.code, ...err.extra, errmsg: err.message });
      if (ordered) break;
    }
  }
  return errors;
}

/**
 * eachStatement for many statements or slow ones: yields between slices, and when the command's time is
 * up (MaxTimeMSExpired) reports it at that statement and stops, ordered or not.
 */
async function eachStatementInSlices<T>(statements: T[], ordered: boolean, apply: (s: T, i: number) => void | Promise<void>, deadline: Deadline): Promise<WriteError[]> {
  const errors: WriteError[] = [];
  for (let i = 0; i < statements.length; i++) {
    try {
      if (deadline.tick()) await deadline.pause();
      // A synchronous statement (an insert) is not awaited: one microtask per document was the bulk insert's cost.
      const pending = apply(statements[i], i);
      if (pending) await pending;
    } catch (err) {
      if (!(err instanceof CommandError)) throw err;
      errors.push({ index: i, code: err.code, ...err.extra, errmsg: err.message });
      if (ordered || err.code === MAX_TIME_MS_EXPIRED) break;
    }
  }
  return errors;
}

/** A write's hint must name an index of the collection (BadValue otherwise); it chooses no plan here. */
function checkHint(ctx: CommandContext, coll: string, hint: unknown): void {
  const collection = ctx.node.catalog.get(ctx.db, coll);
  if (collection) resolveHint(collection, hint);
}

/** True when the command runs inside a multi-statement transaction (its writes take the node's one-step path). */
const inTransaction = (cmd: Document) => cmd.autocommit === false;

function writeReply(reply: Document, errors: WriteError[]): Document {
  if (errors.length > 0) reply.writeErrors = errors;
  reply.ok = 1;
  return reply;
}

function statementsOf(cmd: Document, field: string): Document[] {
  const value = cmd[field];
  if (!Array.isArray(value)) throw new CommandError(ErrorCode.FailedToParse, `BSON field '${Object.keys(cmd)[0]}.${field}' is missing but a required field`);
  return value;
}

function insert(cmd: Document, ctx: CommandContext): Document | Promise<Document> {
  const coll = collectionArg(cmd, 'insert');
  refuseView(ctx.node.catalog, ctx.db, coll);
  const docs = statementsOf(cmd, 'documents');
  let n = 0;
  const tooLarge = oversizedDocumentTest(cmd);
  const bypass = cmd.bypassDocumentValidation === true;
  const one = (doc: Document, index: number) => {
    if (tooLarge?.(doc)) throw new CommandError(10334, `object to insert too large. size in bytes: ${BSON.calculateObjectSize(doc)}, max size: ${MAX_BSON_OBJECT_SIZE}`);
    runStatement(ctx, index, () => ctx.node.insert(ctx.db, coll, doc, bypass));
    n++;
  };
  // Few documents: applied in one go (the hot path of single inserts has no slicing at all).
  if (docs.length <= CHECK_EVERY) {
    const errors = eachStatement(docs, cmd.ordered !== false, one);
    return writeReply({ n }, errors);
  }
  return eachStatementInSlices(docs, cmd.ordered !== false, one, ctx.deadline).then((errors) => writeReply({ n }, errors));
}

/** The fields mongod 7.0 parses in update and delete statements (its IDL); others are error 40415. */
const STATEMENT_FIELDS = {
  updates: new Set(['q', 'u', 'c', 'upsert', 'multi', 'arrayFilters', 'hint', 'collation', 'upsertSupplied', 'sampleId']),
  deletes: new Set(['q', 'limit', 'hint', 'collation', 'sampleId']),
};

function checkStatementFields(command: string, field: 'updates' | 'deletes', statements: Document[]): void {
  for (const stmt of statements) {
    if (stmt === null || typeof stmt !== 'object') continue;
    const unknown = Object.keys(stmt).find((k) => !STATEMENT_FIELDS[field].has(k));
    if (unknown) throw new CommandError(40415, `BSON field '${command}.${field}.${unknown}' is an unknown field.`, [], { codeName: 'Location40415' });
  }
}

async function update(cmd: Document, ctx: CommandContext): Promise<Document> {
  const coll = collectionArg(cmd, 'update');
  refuseView(ctx.node.catalog, ctx.db, coll);
  const updates = statementsOf(cmd, 'updates');
  checkStatementFields('update', 'updates', updates);
  let n = 0;
  let nModified = 0;
  const upserted: Document[] = [];
  const errors = await eachStatementInSlices(updates, cmd.ordered !== false, async (stmt, index) => {
    if (stmt.q === undefined || stmt.u === undefined) throw new CommandError(ErrorCode.FailedToParse, "BSON field 'update.updates.q' is missing but a required field");
    checkHint(ctx, coll, stmt.hint);
    const statement = { ...stmt, query: queryOptionsOf(cmd, stmt.collation), bypassValidation: cmd.bypassDocumentValidation === true } as never;
    const outcome = await runStatement(ctx, index, () => updateInSlices(ctx.node, ctx.db, coll, statement, ctx.deadline, inTransaction(cmd)));
    n += outcome.n;
    nModified += outcome.nModified;
    if (outcome.upserted !== undefined) upserted.push({ index, _id: outcome.upserted });
  }, ctx.deadline);
  return writeReply({ n, nModified, upserted: upserted.length > 0 ? upserted : undefined }, errors);
}

async function del(cmd: Document, ctx: CommandContext): Promise<Document> {
  const coll = collectionArg(cmd, 'delete');
  refuseView(ctx.node.catalog, ctx.db, coll);
  const deletes = statementsOf(cmd, 'deletes');
  checkStatementFields('delete', 'deletes', deletes);
  let n = 0;
  const errors = await eachStatementInSlices(deletes, cmd.ordered !== false, async (stmt, index) => {
    if (stmt.limit !== 0 && stmt.limit !== 1) throw badValue('The limit field in delete objects must be 0 or 1');
    checkHint(ctx, coll, stmt.hint);
    const query = queryOptionsOf(cmd, stmt.collation);
    n += await runStatement(ctx, index, () => deleteInSlices(ctx.node, ctx.db, coll, stmt.q ?? {}, stmt.limit, ctx.deadline, inTransaction(cmd), query));
  }, ctx.deadline);
  return writeReply({ n }, errors);
}

async function getMore(cmd: Document, ctx: CommandContext): Promise<Document> {
  const id = Number(cmd.getMore);
  const ns = `${ctx.db}.${collectionArg(cmd, 'collection')}`;
  return nextBatch(ctx, id, ns, cmd.batchSize, cmd.maxTimeMS);
}

function killCursors(cmd: Document, ctx: CommandContext): Document {
  const ids = (cmd.cursors ?? []).map(Number);
  const killed: unknown[] = [];
  const notFound: unknown[] = [];
  // Cursor ids are int64 on the wire whatever type the request used.
  for (const id of ids) (ctx.cursors.kill(id) ? killed : notFound).push(Long.fromNumber(id));
  return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
}

function findAndModify(cmd: Document, ctx: CommandContext): Promise<Document> {
  return runStatement(ctx, 0, () => findAndModifyOnce(cmd, ctx));
}

async function findAndModifyOnce(cmd: Document, ctx: CommandContext): Promise<Document> {
  const coll = collectionArg(cmd, 'findAndModify' in cmd ? 'findAndModify' : 'findandmodify');
  refuseView(ctx.node.catalog, ctx.db, coll);
  checkHint(ctx, coll, cmd.hint);
  const collection = ctx.node.catalog.get(ctx.db, coll);
  const projection = cmd.fields ?? cmd.projection;
  const project = (doc: Document | null) => (doc && projection ? runFind([doc], { projection })[0] : doc);
  const query = queryOptionsOf(cmd);
  const [target] = await findInSlices(ctx.node, collection, { filter: cmd.query, sort: cmd.sort, limit: 1, ...query }, ctx.deadline);
  if (cmd.remove) {
    if (cmd.update) throw new CommandError(ErrorCode.FailedToParse, 'Cannot specify both an update and remove=true');
    if (target) ctx.node.deleteDocument(collection!, target);
    return { lastErrorObject: { n: target ? 1 : 0 }, value: project(target ?? null), ok: 1 };
  }
  if (cmd.update === undefined) throw new CommandError(ErrorCode.FailedToParse, 'Either an update or remove=true must be specified');
  if (!target) {
    if (!cmd.upsert) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
    const outcome = ctx.node.update(ctx.db, coll, { q: cmd.query ?? {}, u: cmd.update, upsert: true, arrayFilters: cmd.arrayFilters, query, bypassValidation: cmd.bypassDocumentValidation === true });
    const created = ctx.node.catalog.get(ctx.db, coll)!.get(outcome.upserted);
    return { lastErrorObject: { n: 1, updatedExisting: false, upserted: outcome.upserted }, value: cmd.new ? project(created ?? null) : null, ok: 1 };
  }
  const after = applyUpdate(target, isReplacement(cmd.update) ? withIdFirst({ ...cmd.update, _id: target._id }) : cmd.update, cmd.arrayFilters, query?.variables);
  ctx.node.writeNewVersion(collection!, target, after, isReplacement(cmd.update) ? 'replace' : 'update', cmd.update, cmd.bypassDocumentValidation === true);
  return { lastErrorObject: { n: 1, updatedExisting: true }, value: project(cmd.new ? after : target), ok: 1 };
}

export const crudCommands: CommandTable = {
  insert,
  update,
  delete: del,
  ...readCommands,
  getMore,
  killCursors,
  findAndModify,
  findandmodify: findAndModify,
};

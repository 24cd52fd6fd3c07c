import type { Document } from 'bson';
import { CommandError, ErrorCode, badValue } from '../errors.js';
import type { Catalog, ViewDefinition } from '../storage/catalog.js';
import { validateNames } from '../storage/catalog.js';
import type { CommandContext } from './context.js';

/** mongod's maximum depth of views on views (ViewGraph::kMaxViewDepth). */
const MAX_VIEW_DEPTH = 20;
const VIEW_OUTPUT_STAGES = new Set(['$out', '$merge']);

/** A view resolved to the collection that holds its documents and the pipeline over them. */
export interface ResolvedView {
  coll: string;
  pipeline: Document[];
}

/** CommandNotSupportedOnView (166): writes, indexes and change streams on a view. */
export function viewRefusal(db: string, name: string): CommandError {
  return new CommandError(166, `Namespace ${db}.${name} is a view, not a collection`);
}

/** Throws 166 when `name` is a view (writes and index builds call this before touching the catalog). */
export function refuseView(catalog: Catalog, db: string, name: string): void {
  if (catalog.view(db, name)) throw viewRefusal(db, name);
}

/** The backing collection and the whole pipeline of a view (views on views are flattened), or undefined. */
export function resolveView(catalog: Catalog, db: string, name: string): ResolvedView | undefined {
  let view = catalog.view(db, name);
  if (!view) return undefined;
  const pipeline: Document[] = [];
  for (let depth = 0; view; depth++) {
    if (depth >= MAX_VIEW_DEPTH) throw new CommandError(170, `View depth too deep or view cycle detected. Maximum depth is ${MAX_VIEW_DEPTH}`);
    pipeline.unshift(...view.pipeline);
    const next = catalog.view(db, view.viewOn);
    if (!next) return { coll: view.viewOn, pipeline };
    view = next;
  }
  return undefined;
}

/** `create` with `viewOn` (and `pipeline`): a view, validated as mongod validates one. */
export function createView(cmd: Document, ctx: CommandContext, name: string): void {
  const definition = parseDefinition(cmd, ctx.db, name);
  validateNames(ctx.db, name);
  const catalog = ctx.node.catalog;
  if (catalog.get(ctx.db, name) || catalog.view(ctx.db, name)) throw new CommandError(ErrorCode.NamespaceExists, `Namespace ${ctx.db}.${name} already exists`);
  catalog.viewDefinitions.set(`${ctx.db}.${name}`, definition);
  checkGraph(catalog, ctx.db, name);
  const logged: Document = { viewOn: definition.viewOn, pipeline: definition.pipeline };
  if (definition.collation !== undefined) logged.collation = definition.collation;
  ctx.node.logCreateView(ctx.db, name, logged);
}

/** `collMod` on a view: a new `viewOn` and `pipeline` (both, as mongod requires). */
export function modifyView(cmd: Document, ctx: CommandContext, name: string): void {
  const catalog = ctx.node.catalog;
  const old = catalog.view(ctx.db, name)!;
  const unknown = Object.keys(cmd).find((k) => !['collMod', 'viewOn', 'pipeline', '$db', 'lsid', '$clusterTime', 'writeConcern', 'comment', 'txnNumber', 'autocommit', 'maxTimeMS', 'apiVersion', 'apiStrict', 'apiDeprecationErrors', '$readPreference'].includes(k));
  if (unknown) throw new CommandError(ErrorCode.InvalidOptions, `option not supported on a view: ${unknown}`);
  if (cmd.viewOn === undefined && cmd.pipeline === undefined) return;
  if (cmd.viewOn === undefined || cmd.pipeline === undefined) throw new CommandError(ErrorCode.InvalidOptions, 'Must specify both \'viewOn\' and \'pipeline\' when modifying a view and auth is enabled');
  const definition = parseDefinition(cmd, ctx.db, name);
  catalog.viewDefinitions.set(`${ctx.db}.${name}`, definition);
  try {
    checkGraph(catalog, ctx.db, name);
  } catch (err) {
    catalog.viewDefinitions.set(`${ctx.db}.${name}`, old);
    throw err;
  }
}

function parseDefinition(cmd: Document, db: string, name: string): ViewDefinition {
  if (typeof cmd.viewOn !== 'string') throw new CommandError(ErrorCode.TypeMismatch, `BSON field 'viewOn' is the wrong type '${typeName(cmd.viewOn)}', expected type 'string'`);
  if (cmd.viewOn.length === 0) throw badValue("'viewOn' cannot be empty");
  const pipeline = cmd.pipeline ?? [];
  if (!Array.isArray(pipeline)) throw new CommandError(ErrorCode.TypeMismatch, `BSON field 'pipeline' is the wrong type '${typeName(pipeline)}', expected type 'array'`);
  for (const stage of pipeline) {
    if (stage === null || typeof stage !== 'object' || Array.isArray(stage)) throw new CommandError(ErrorCode.TypeMismatch, 'Each element of the \'pipeline\' array must be an object');
    const op = Object.keys(stage)[0];
    if (VIEW_OUTPUT_STAGES.has(op)) throw new CommandError(ErrorCode.InvalidOptions, `${op} cannot be used in a view definition`);
    if (op === '$changeStream') throw new CommandError(ErrorCode.InvalidOptions, '$changeStream cannot be used in a view definition');
  }
  for (const option of ['capped', 'validator', 'timeseries', 'clusteredIndex', 'changeStreamPreAndPostImages', 'expireAfterSeconds']) {
    if (option in cmd) throw new CommandError(ErrorCode.InvalidOptions, `option not supported on a view: ${option}`);
  }
  return { db, name, viewOn: cmd.viewOn, pipeline, collation: cmd.collation };
}

function checkGraph(catalog: Catalog, db: string, name: string): void {
  const chain = [name];
  let at = catalog.view(db, name);
  while (at) {
    if (chain.includes(at.viewOn)) throw new CommandError(320, `View cycle detected: [${[...chain, at.viewOn].join(' -> ')}]`);
    if (chain.length > MAX_VIEW_DEPTH) throw new CommandError(170, `View depth too deep or view cycle detected. Maximum depth is ${MAX_VIEW_DEPTH}`);
    chain.push(at.viewOn);
    at = catalog.view(db, at.viewOn);
  }
}

/** The listCollections entry of a view. */
export function viewInfo(view: ViewDefinition): Document {
  const options: Document = { viewOn: view.viewOn, pipeline: view.pipeline };
  if (view.collation) options.collation = view.collation;
  return { name: view.name, type: 'view', options, info: { readOnly: true } };
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'double';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}

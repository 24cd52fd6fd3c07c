import type { Document } from 'bson';
import { CommandError } from './errors.js';
import { bsonTypeName } from './exec/deadline.js';
import { validateNames } from './storage/catalog.js';

/**
 * mongod's limits and refusals that apply before a command runs (argument types, batch sizes, namespaces
 * a user may not write) and the write-concern outcome after it, each with mongod's code and text.
 */

/** mongod's maxWriteBatchSize. */
export const MAX_WRITE_BATCH = 100_000;
const location = (code: number, message: string) => new CommandError(code, message, [], { codeName: `Location${code}` });

type Expected = 'object' | 'array' | 'string' | 'bool' | 'number' | 'objectOrString' | 'objectOrArray';
const NUMBER_TYPES = "[long, int, decimal, double']";

/** The arguments each command's IDL types, by field (absent and null are left to the handler). */
const ARGUMENT_TYPES: Record<string, Record<string, Expected>> = {
  find: { filter: 'object', sort: 'object', projection: 'object', hint: 'objectOrString', skip: 'number', limit: 'number', batchSize: 'number', singleBatch: 'bool', let: 'object', collation: 'object', min: 'object', max: 'object', returnKey: 'bool', showRecordId: 'bool', tailable: 'bool', awaitData: 'bool', noCursorTimeout: 'bool', allowPartialResults: 'bool', allowDiskUse: 'bool' },
  aggregate: { pipeline: 'array', cursor: 'object', explain: 'bool', allowDiskUse: 'bool', bypassDocumentValidation: 'bool', hint: 'objectOrString', let: 'object', collation: 'object' },
  count: { query: 'object', limit: 'number', skip: 'number', hint: 'objectOrString', collation: 'object' },
  distinct: { key: 'string', query: 'object', collation: 'object' },
  insert: { documents: 'array', ordered: 'bool', bypassDocumentValidation: 'bool' },
  update: { updates: 'array', ordered: 'bool', bypassDocumentValidation: 'bool', let: 'object' },
  delete: { deletes: 'array', ordered: 'bool', let: 'object' },
  findAndModify: { query: 'object', sort: 'object', remove: 'bool', update: 'objectOrArray', new: 'bool', fields: 'object', upsert: 'bool', arrayFilters: 'array', let: 'object', collation: 'object', hint: 'objectOrString', bypassDocumentValidation: 'bool' },
  getMore: { collection: 'string', batchSize: 'number' },
  killCursors: { cursors: 'array' },
  createIndexes: { indexes: 'array' },
  listCollections: { filter: 'object', nameOnly: 'bool', authorizedCollections: 'bool', cursor: 'object' },
  listIndexes: { cursor: 'object' },
  listDatabases: { filter: 'object', nameOnly: 'bool', authorizedDatabases: 'bool' },
  renameCollection: { to: 'string', dropTarget: 'bool' },
  create: { capped: 'bool', validator: 'object', pipeline: 'array', viewOn: 'string', collation: 'object', changeStreamPreAndPostImages: 'object', timeseries: 'object' },
};
ARGUMENT_TYPES.findandmodify = ARGUMENT_TYPES.findAndModify;

const isNumeric = (v: unknown) => typeof v === 'number' || ['Long', 'Int32', 'Double', 'Decimal128'].includes((v as { _bsontype?: string })?._bsontype ?? '');
const isDocument = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && bsonTypeName(v) === 'object';

function fits(value: unknown, expected: Expected): boolean {
  switch (expected) {
    case 'object': return isDocument(value);
    case 'array': return Array.isArray(value);
    case 'string': return typeof value === 'string';
    case 'bool': return typeof value === 'boolean' || isNumeric(value); // IDL's "safeBool" also takes numbers
    case 'number': return isNumeric(value);
    case 'objectOrString': return isDocument(value) || typeof value === 'string';
    case 'objectOrArray': return isDocument(value) || Array.isArray(value);
  }
}

function wrongType(path: string, value: unknown, expected: Expected): CommandError {
  const wanted = expected === 'number' ? `expected types '${NUMBER_TYPES}`
    : expected === 'objectOrString' ? "expected types '[string, object]'"
    : expected === 'objectOrArray' ? "expected types '[object, array]'"
    : `expected type '${expected}'`;
  return new CommandError(14, `BSON field '${path}' is the wrong type '${bsonTypeName(value)}', ${wanted}`);
}

/** TypeMismatch (14) for an argument of the wrong type, as mongod's IDL parser reports it. */
export function checkArgumentTypes(name: string, cmd: Document): void {
  const fields = ARGUMENT_TYPES[name];
  if (!fields) return;
  for (const field in fields) {
    const value = cmd[field];
    if (value === undefined || value === null) continue;
    // find's IDL struct is named FindCommandRequest, and mongod's message says so.
    if (!fits(value, fields[field])) throw wrongType(`${name === 'find' ? 'FindCommandRequest' : name}.${field}`, value, fields[field]);
  }
  const statements = name === 'insert' ? cmd.documents : name === 'update' ? cmd.updates : name === 'delete' ? cmd.deletes : undefined;
  if (Array.isArray(statements)) checkStatements(name, statements);
  if (name === 'find' || name === 'aggregate') checkNonNegative(name === 'find' ? cmd : cmd.cursor ?? {}, name === 'find' ? ['skip', 'limit', 'batchSize'] : ['batchSize']);
  if (name === 'aggregate' && Array.isArray(cmd.pipeline)) {
    for (const stage of cmd.pipeline) if (!isDocument(stage)) throw new CommandError(14, "Each element of the 'pipeline' array must be an object");
  }
}

/** mongod's IDL validators (`gte: 0`) on skip, limit and batchSize: Location51024. */
function checkNonNegative(args: Document, fields: string[]): void {
  for (const field of fields) {
    const value = args[field];
    if (isNumeric(value) && Number(value) < 0) throw location(51024, `BSON field '${field}' value must be >= 0, actual value '${Math.trunc(Number(value))}'`);
  }
}

const STATEMENT_FIELDS: Record<string, { known: Set<string>; types: Record<string, Expected> }> = {
  update: { known: new Set(['q', 'u', 'c', 'upsert', 'multi', 'arrayFilters', 'hint', 'collation', 'upsertSupplied']), types: { q: 'object', u: 'objectOrArray', c: 'object', upsert: 'bool', multi: 'bool', arrayFilters: 'array', hint: 'objectOrString', collation: 'object' } },
  delete: { known: new Set(['q', 'limit', 'hint', 'collation']), types: { q: 'object', limit: 'number', hint: 'objectOrString', collation: 'object' } },
};

/**
 * >100,000 statements (or none) is InvalidLength (16); each statement must be a document with the fields
 * 7.0 knows (an update's `sort` is 8.0's, so 7.0 answers 40415 for it).
 */
function checkStatements(name: string, statements: unknown[]): void {
  if (statements.length === 0 || statements.length > MAX_WRITE_BATCH) {
    throw new CommandError(16, `Write batch sizes must be between 1 and ${MAX_WRITE_BATCH}. Got ${statements.length} operations.`);
  }
  const field = name === 'insert' ? 'documents' : name === 'update' ? 'updates' : 'deletes';
  const spec = STATEMENT_FIELDS[name];
  for (let i = 0; i < statements.length; i++) {
    const stmt = statements[i];
    if (!isDocument(stmt)) throw new CommandError(14, `BSON field '${name}.${field}.${i}' is the wrong type '${bsonTypeName(stmt)}', expected type 'object'`);
    if (!spec) continue;
    for (const key in stmt as Document) {
      if (!spec.known.has(key)) throw location(40415, `BSON field '${name}.${field}.${key}' is an unknown field.`);
      const expected = spec.types[key];
      const value = (stmt as Document)[key];
      if (expected && value !== undefined && value !== null && !fits(value, expected)) throw wrongType(`${name}.${field}.${key}`, value, expected);
    }
  }
}

const WRITE_COMMANDS: Record<string, true> = { insert: true, update: true, delete: true, findAndModify: true, findandmodify: true };
/** System collections users may write (mongod's userAllowedWriteNS). */
const USER_WRITABLE_SYSTEM = new Set(['system.js']);

/** InvalidNamespace (73) for a write into a `system.*` collection, as mongod's userAllowedWriteNS refuses it. */
export function checkWritableNamespace(name: string, cmd: Document, db: string): void {
  if (!WRITE_COMMANDS[name]) return;
  const coll = cmd[name];
  if (typeof coll !== 'string') return;
  validateNames(db, coll);
  if (coll.startsWith('system.') && !USER_WRITABLE_SYSTEM.has(coll)) throw new CommandError(73, `cannot write to '${db}.${coll}'`);
  if (db === 'local' && coll.startsWith('replset.')) throw new CommandError(73, `cannot write to '${db}.${coll}'`);
}

/** renameCollection's namespace rules: system collections are neither source nor target (IllegalOperation, 20). */
export function checkRenameNamespaces(from: { db: string; coll: string }, to: { db: string; coll: string }): void {
  for (const [side, ns] of [['source', from], ['target', to]] as const) {
    if (ns.coll.startsWith('system.') && !USER_WRITABLE_SYSTEM.has(ns.coll)) {
      throw new CommandError(20, `error with ${side} namespace: cannot write to '${ns.db}.${ns.coll}'`);
    }
  }
  if (from.db === to.db && from.coll === to.coll) throw new CommandError(20, "Can't rename a collection to itself");
}

/** dropDatabase of admin and local is refused on a replica set (IllegalOperation, 20). */
export function checkDroppableDatabase(db: string): void {
  if (db === 'admin') throw new CommandError(20, "Dropping the 'admin' database is prohibited.");
  if (db === 'local') throw new CommandError(20, "Cannot drop 'local' database while replication is active");
}

const INDEX_OPTIONS = new Set([
  'v', 'key', 'name', 'ns', 'unique', 'sparse', 'partialFilterExpression', 'expireAfterSeconds', 'background', 'hidden', 'collation',
  'weights', 'default_language', 'language_override', 'textIndexVersion', '2dsphereIndexVersion', 'bits', 'min', 'max', 'bucketSize',
  'storageEngine', 'wildcardProjection', 'coarsestIndexedLevel', 'finestIndexedLevel', 'prepareUnique', 'clustered',
]);
const INDEX_PLUGINS = new Set(['2d', '2dsphere', 'text', 'hashed', 'columnstore']);

/** An index specification as mongod validates it: CannotCreateIndex (67), InvalidIndexSpecificationOption (197), ... */
export function validateIndexSpec(spec: unknown): void {
  if (!isDocument(spec)) throw new CommandError(14, `BSON field 'createIndexes.indexes' is the wrong type '${bsonTypeName(spec)}', expected type 'object'`);
  const s = spec as Document;
  const shown = () => JSON.stringify(s);
  if (!('key' in s)) throw new CommandError(9, `Error in specification ${shown()} :: caused by :: The 'key' field is a required property of an index specification`);
  if (!('name' in s)) throw new CommandError(9, `Error in specification ${shown()} :: caused by :: The 'name' field is a required property of an index specification`);
  if (!isDocument(s.key)) throw new CommandError(14, `Error in specification ${shown()} :: caused by :: The field 'key' must be an object, but got ${bsonTypeName(s.key)}`);
  if (typeof s.name !== 'string') throw new CommandError(14, `Error in specification ${shown()} :: caused by :: The field 'name' must be a string, but got ${bsonTypeName(s.name)}`);
  if (s.name.length === 0) throw new CommandError(67, `Error in specification ${shown()} :: caused by :: index name cannot be empty`);
  if (s.name === '*') throw new CommandError(2, `Error in specification ${shown()} :: caused by :: The index name '*' is not valid`);
  const keys = Object.keys(s.key);
  if (keys.length === 0) throw new CommandError(67, `Error in specification ${shown()} :: caused by :: Index keys cannot be empty.`);
  for (const field of keys) {
    const value = (s.key as Document)[field];
    if (field.length === 0) throw new CommandError(67, `Error in specification ${shown()} :: caused by :: Index key contains an illegal field name: field name is empty`);
    if (isNumeric(value)) {
      if (Number(value) === 0 || Number.isNaN(Number(value))) throw new CommandError(67, `Error in specification ${shown()} :: caused by :: Values in the index key pattern can't be 0 or NaN`);
    } else if (typeof value === 'string') {
      if (!INDEX_PLUGINS.has(value)) throw new CommandError(67, `Error in specification ${shown()} :: caused by :: Unknown index plugin '${value}'`);
    } else {
      throw new CommandError(67, `Error in specification ${shown()} :: caused by :: Values in v:2 index key pattern cannot be of type ${bsonTypeName(value)}. Only numbers > 0, numbers < 0, and strings are allowed.`);
    }
  }
  for (const option of Object.keys(s)) {
    if (!INDEX_OPTIONS.has(option)) {
      throw new CommandError(197, `Error in specification ${shown()} :: caused by :: The field '${option}' is not valid for an index specification. Specification: ${shown()}`);
    }
  }
  for (const flag of ['unique', 'sparse', 'hidden', 'background']) {
    if (flag in s && typeof s[flag] !== 'boolean' && !isNumeric(s[flag])) throw new CommandError(14, `Error in specification ${shown()} :: caused by :: The field '${flag}' must be a boolean, but got ${bsonTypeName(s[flag])}`);
  }
  if ('expireAfterSeconds' in s && (!isNumeric(s.expireAfterSeconds) || Number(s.expireAfterSeconds) < 0)) {
    throw new CommandError(67, `Error in specification ${shown()} :: caused by :: TTL index 'expireAfterSeconds' option must be numeric and non-negative, but got ${JSON.stringify(s.expireAfterSeconds)}`);
  }
  if ('partialFilterExpression' in s && !isDocument(s.partialFilterExpression)) {
    throw new CommandError(14, `Error in specification ${shown()} :: caused by :: The field 'partialFilterExpression' must be an object, but got ${bsonTypeName(s.partialFilterExpression)}`);
  }
  if (s.name === '_id_' || (keys.length === 1 && keys[0] === '_id' && s.name === '_id_')) {
    if (s.unique !== undefined) throw new CommandError(197, `Error in specification ${shown()} :: caused by :: The field 'unique' is not valid for an _id index specification. Specification: ${shown()}`);
  }
}

/** Commands whose writeConcern mongod waits for (and reports in writeConcernError). */
const WRITE_CONCERN_COMMANDS = new Set([
  'insert', 'update', 'delete', 'findAndModify', 'findandmodify', 'create', 'drop', 'dropDatabase', 'createIndexes', 'dropIndexes',
  'renameCollection', 'collMod', 'commitTransaction', 'abortTransaction',
]);

/**
 * The write concern a replica set of `members` data-bearing members cannot satisfy: the write is applied and
 * the reply carries a writeConcernError, as mongod answers (UnsatisfiableWriteConcern 100, UnknownReplWriteConcern 79).
 * A malformed writeConcern is FailedToParse (9) before anything runs.
 */
export function parseWriteConcern(name: string, cmd: Document): void {
  if (!WRITE_CONCERN_COMMANDS.has(name) || cmd.writeConcern === undefined) return;
  const wc = cmd.writeConcern;
  if (!isDocument(wc)) throw new CommandError(14, `BSON field 'writeConcern' is the wrong type '${bsonTypeName(wc)}', expected type 'object'`);
  const w = (wc as Document).w;
  if (w !== undefined && typeof w !== 'string' && !isNumeric(w) && !isDocument(w)) throw new CommandError(9, "w has to be a number, string, or object");
  if (isNumeric(w) && (Number(w) < 0 || Number(w) > 50 || !Number.isInteger(Number(w)))) throw new CommandError(9, `w has to be a non-negative number and not greater than 50; found: ${Number(w)}`);
  const wtimeout = (wc as Document).wtimeout;
  if (wtimeout !== undefined && !isNumeric(wtimeout)) throw new CommandError(14, `BSON field 'writeConcern.wtimeout' is the wrong type '${bsonTypeName(wtimeout)}', expected types '${NUMBER_TYPES}`);
}

export function unsatisfiableWriteConcern(name: string, cmd: Document, members: number): Document | undefined {
  if (!WRITE_CONCERN_COMMANDS.has(name) || !isDocument(cmd.writeConcern)) return undefined;
  const w = cmd.writeConcern.w;
  if (isNumeric(w) && Number(w) > members) return { code: 100, codeName: 'UnsatisfiableWriteConcern', errmsg: 'Not enough data-bearing nodes' };
  if (typeof w === 'string' && w !== 'majority') return { code: 79, codeName: 'UnknownReplWriteConcern', errmsg: `No write concern mode named '${w}' found in replica set configuration` };
  return undefined;
}

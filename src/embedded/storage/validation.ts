import type { Document } from 'bson';
import { resolve } from 'mingo/util';
import { CommandError, ErrorCode, badValue } from '../errors.js';
import { isPlainObject } from './document.js';
import { bsonTypeOf } from './bson-type.js';
import { checkSchema, failures } from './json-schema.js';
import { compileFilter, runPipeline } from './query.js';

/**
 * Collection validators: a query (with `$jsonSchema` or operators) every inserted or updated document must
 * match, `validationLevel` strict | moderate | off, `validationAction` error | warn. A failure is mongod's
 * DocumentValidationFailure (121) with `errInfo { failingDocumentId, details }`, details in mongod 7.0's shape.
 */
export interface Validation {
  level: 'strict' | 'moderate' | 'off';
  action: 'error' | 'warn';
  validator: Document;
  test: (doc: Document) => boolean;
}

const LEVELS = new Set(['strict', 'moderate', 'off']);
const ACTIONS = new Set(['error', 'warn']);
/** Operators mongod refuses in a validator (they need an index, or run JavaScript). */
const REFUSED_IN_VALIDATOR = new Set(['$near', '$nearSphere', '$text', '$where', '$geoNear']);

/** Checks validator options as `create`/`collMod` receive them (mongod's codes), before anything is stored. */
export function checkValidationOptions(options: Document): void {
  if (options.validationLevel !== undefined && !LEVELS.has(options.validationLevel)) {
    throw badValue(`Enumeration value '${String(options.validationLevel)}' for field 'validationLevel' is not a valid value.`);
  }
  if (options.validationAction !== undefined && !ACTIONS.has(options.validationAction)) {
    throw badValue(`Enumeration value '${String(options.validationAction)}' for field 'validationAction' is not a valid value.`);
  }
  if (options.validator === undefined) return;
  if (!isPlainObject(options.validator)) throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'validator' is the wrong type, expected type 'object'");
  checkValidatorQuery(options.validator);
  compileFilter(options.validator); // an invalid query is refused now, as mongod parses it at create
}

function checkValidatorQuery(filter: Document): void {
  for (const [key, value] of Object.entries(filter)) {
    if (REFUSED_IN_VALIDATOR.has(key)) throw badValue(`${key} is not allowed in collection validators`);
    if (key === '$jsonSchema') checkSchema(value);
    if ((key === '$and' || key === '$or' || key === '$nor') && Array.isArray(value)) value.forEach((part) => isPlainObject(part) && checkValidatorQuery(part));
    if (isPlainObject(value)) for (const op of Object.keys(value)) if (REFUSED_IN_VALIDATOR.has(op)) throw badValue(`${op} is not allowed in collection validators`);
  }
}

/** The collection's validation, or undefined when it validates nothing (no validator, or level off). */
export function compileValidation(options: Document): Validation | undefined {
  const validator = options.validator;
  const level = (options.validationLevel ?? 'strict') as Validation['level'];
  if (!isPlainObject(validator) || Object.keys(validator).length === 0 || level === 'off') return undefined;
  return { level, action: (options.validationAction ?? 'error') as Validation['action'], validator, test: compileFilter(validator) };
}

/**
 * Validates a new version of a document (`before` is the stored one for an update). Moderate leaves
 * updates of documents that did not match before alone; `warn` lets the write through (mongod logs it).
 */
export function validateWrite(validation: Validation, doc: Document, before?: Document): void {
  if (validation.test(doc)) return;
  if (before !== undefined && validation.level === 'moderate' && !validation.test(before)) return;
  if (validation.action === 'warn') return;
  throw new CommandError(121, 'Document failed validation', [], {
    errInfo: { failingDocumentId: doc._id, details: explainFailure(validation.validator, doc) },
  });
}

/** mongod's `errInfo.details` for a document that does not match a validator query. */
export function explainFailure(filter: Document, doc: Document): Document {
  const clauses = leafClauses(filter);
  if (clauses.length === 1) return clauseDetails(clauses[0], doc);
  const failing = clauses.flatMap((clause, index) => (matches(clause, doc) ? [] : [{ index, details: clauseDetails(clause, doc) }]));
  return { operatorName: '$and', clausesNotSatisfied: failing };
}

/** A query as a list of one-condition clauses: `{ a: { $gt: 1, $lt: 5 }, b: 2 }` is three. */
function leafClauses(filter: Document): Document[] {
  const out: Document[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (!key.startsWith('$') && isPlainObject(value) && Object.keys(value).length > 1 && Object.keys(value).every((k) => k.startsWith('$') && k !== '$options' && k !== '$regex')) {
      for (const [op, arg] of Object.entries(value)) out.push({ [key]: { [op]: arg } });
    } else out.push({ [key]: value });
  }
  return out;
}

const matches = (clause: Document, doc: Document) => compileFilter(clause)(doc);

function clauseDetails(clause: Document, doc: Document): Document {
  const [key, value] = Object.entries(clause)[0] ?? ['$and', []];
  if (key === '$jsonSchema') return { operatorName: '$jsonSchema', schemaRulesNotSatisfied: failures(value, doc) };
  if (key === '$and' || key === '$or' || key === '$nor') {
    const parts = (value as Document[]).map((part, index) => ({ index, part }));
    const listed = key === '$nor' ? parts.filter(({ part }) => matches(part, doc)) : key === '$and' ? parts.filter(({ part }) => !matches(part, doc)) : parts;
    return {
      operatorName: key,
      clausesNotSatisfied: listed.map(({ index, part }) => ({ index, details: key === '$nor' ? { operatorName: Object.keys(part)[0], reason: 'expression matched' } : explainFailure(part, doc) })),
    };
  }
  if (key === '$expr') {
    let result: unknown;
    try {
      result = runPipeline([doc], [{ $project: { _id: 0, r: value } }])[0]?.r;
    } catch {
      result = undefined;
    }
    return { operatorName: '$expr', specifiedAs: clause, reason: 'expression did not match', expressionResult: result ?? null };
  }
  const considered = resolve(doc, key);
  const operator = isPlainObject(value) && Object.keys(value).length > 0 && Object.keys(value)[0].startsWith('$') ? Object.keys(value)[0] : '$eq';
  const details: Document = { operatorName: operator, specifiedAs: clause };
  if (operator === '$exists') return { ...details, reason: (value as Document).$exists ? 'path does not exist' : 'path does exist', ...(considered === undefined ? {} : { consideredValue: considered }) };
  if (considered === undefined) return { ...details, reason: 'field was missing' };
  details.reason = REASONS[operator] ?? 'expression did not match';
  details.consideredValue = considered;
  if (operator === '$type') details.consideredType = bsonTypeOf(considered);
  return details;
}

const REASONS: Record<string, string> = {
  $eq: 'comparison failed', $gt: 'comparison failed', $gte: 'comparison failed', $lt: 'comparison failed', $lte: 'comparison failed',
  $ne: 'comparison succeeded', $in: 'no matching value found in array', $nin: 'matching value found in array', $type: 'type did not match',
  $regex: 'regular expression did not match', $size: 'array length was not equal to given size', $all: 'array did not contain all specified values',
  $elemMatch: 'array did not satisfy the child predicate', $mod: 'considered value is not a multiple of the specified value', $not: 'child expression matched',
};

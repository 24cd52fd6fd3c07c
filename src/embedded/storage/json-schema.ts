import type { Document } from 'bson';
import { compare } from 'mingo/util';
import { CommandError, ErrorCode } from '../errors.js';
import { LinearRegex } from './regex.js';
import { isPlainObject } from './document.js';
import { bsonTypeOf } from './bson-type.js';

/**
 * MongoDB's `$jsonSchema` dialect (draft 4 with `bsonType`, no `$ref`/`format`/`default`), with the failure
 * details mongod 7.0 puts in a DocumentValidationFailure's `errInfo.details.schemaRulesNotSatisfied`. A
 * hand-written evaluator rather than a JSON Schema library: the dialect differs (BSON types, `integer` is
 * not a type, keywords refused) and the failure report must have mongod's shape, keyword by keyword.
 */

const KEYWORDS = new Set([
  'bsonType', 'type', 'enum', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minLength',
  'maxLength', 'pattern', 'items', 'additionalItems', 'minItems', 'maxItems', 'uniqueItems', 'required', 'properties',
  'additionalProperties', 'patternProperties', 'minProperties', 'maxProperties', 'dependencies', 'allOf', 'anyOf',
  'oneOf', 'not', 'title', 'description', 'encrypt', 'encryptMetadata',
]);
const UNSUPPORTED = new Set(['$ref', '$schema', 'default', 'definitions', 'format', 'id']);
const JSON_TYPES = new Set(['object', 'array', 'number', 'boolean', 'string', 'null']);
const BSON_TYPES = new Set([
  'double', 'string', 'object', 'array', 'binData', 'undefined', 'objectId', 'bool', 'date', 'null', 'regex', 'dbPointer',
  'javascript', 'symbol', 'javascriptWithScope', 'int', 'timestamp', 'long', 'decimal', 'minKey', 'maxKey', 'number',
]);

const parseError = (message: string) => new CommandError(ErrorCode.FailedToParse, message);
const checked = new WeakSet<Document>();

/** Refuses a schema mongod would not parse (unknown or unsupported keywords, bad types), as FailedToParse. */
export function checkSchema(schema: unknown, path = '$jsonSchema'): void {
  if (!isPlainObject(schema)) throw new CommandError(ErrorCode.TypeMismatch, `${path} must be an object`);
  if (checked.has(schema)) return;
  if ('type' in schema && 'bsonType' in schema) throw parseError("Cannot specify both $jsonSchema keywords 'type' and 'bsonType'");
  for (const [keyword, value] of Object.entries(schema)) {
    if (UNSUPPORTED.has(keyword)) throw parseError(`$jsonSchema keyword '${keyword}' is not currently supported`);
    if (!KEYWORDS.has(keyword)) throw parseError(`Unknown $jsonSchema keyword: ${keyword}`);
    checkKeyword(keyword, value, path);
  }
  checked.add(schema);
}

function checkKeyword(keyword: string, value: unknown, path: string): void {
  const where = `${path}.${keyword}`;
  switch (keyword) {
    case 'type':
    case 'bsonType': {
      const names = Array.isArray(value) ? value : [value];
      if (names.length === 0) throw parseError(`${keyword} must be a non-empty array`);
      for (const name of names) {
        if (typeof name !== 'string') throw new CommandError(ErrorCode.TypeMismatch, `$jsonSchema keyword '${keyword}' must be either a string or an array of strings`);
        if (keyword === 'type' && name === 'integer') throw parseError("$jsonSchema type 'integer' is not currently supported.");
        if (!(keyword === 'type' ? JSON_TYPES : BSON_TYPES).has(name)) throw parseError(`Unknown type name alias: ${name}`);
      }
      return;
    }
    case 'enum':
      if (!Array.isArray(value) || value.length === 0) throw parseError("$jsonSchema keyword 'enum' must be a non-empty array");
      return;
    case 'minimum': case 'maximum': case 'multipleOf':
      if (typeof value !== 'number') throw new CommandError(ErrorCode.TypeMismatch, `$jsonSchema keyword '${keyword}' must be a number`);
      if (keyword === 'multipleOf' && value <= 0) throw parseError("$jsonSchema keyword 'multipleOf' must have a positive value");
      return;
    case 'exclusiveMinimum': case 'exclusiveMaximum': case 'uniqueItems':
      if (typeof value !== 'boolean') throw new CommandError(ErrorCode.TypeMismatch, `$jsonSchema keyword '${keyword}' must be a boolean`);
      return;
    case 'minLength': case 'maxLength': case 'minItems': case 'maxItems': case 'minProperties': case 'maxProperties':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw parseError(`$jsonSchema keyword '${keyword}' must be a non-negative integer`);
      return;
    case 'pattern':
      if (typeof value !== 'string') throw new CommandError(ErrorCode.TypeMismatch, "$jsonSchema keyword 'pattern' must be a string");
      regex(value);
      return;
    case 'required':
      if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string')) throw parseError("$jsonSchema keyword 'required' must be a non-empty array of strings");
      if (new Set(value).size !== value.length) throw parseError("$jsonSchema keyword 'required' array must not contain duplicate values");
      return;
    case 'properties': case 'patternProperties':
      if (!isPlainObject(value)) throw new CommandError(ErrorCode.TypeMismatch, `$jsonSchema keyword '${keyword}' must be an object`);
      for (const [name, sub] of Object.entries(value)) {
        if (keyword === 'patternProperties') regex(name);
        checkSchema(sub, `${where}.${name}`);
      }
      return;
    case 'additionalProperties': case 'additionalItems':
      if (typeof value !== 'boolean') checkSchema(value, where);
      return;
    case 'items':
      if (Array.isArray(value)) value.forEach((sub, i) => checkSchema(sub, `${where}.${i}`));
      else checkSchema(value, where);
      return;
    case 'allOf': case 'anyOf': case 'oneOf':
      if (!Array.isArray(value) || value.length === 0) throw parseError(`$jsonSchema keyword '${keyword}' must be a non-empty array`);
      value.forEach((sub, i) => checkSchema(sub, `${where}.${i}`));
      return;
    case 'not':
      checkSchema(value, where);
      return;
    case 'dependencies':
      if (!isPlainObject(value)) throw new CommandError(ErrorCode.TypeMismatch, "$jsonSchema keyword 'dependencies' must be an object");
      for (const [name, dep] of Object.entries(value)) {
        if (Array.isArray(dep)) {
          if (dep.length === 0 || dep.some((d) => typeof d !== 'string')) throw parseError(`property '${name}' in $jsonSchema keyword 'dependencies' must be a non-empty array of strings`);
        } else checkSchema(dep, `${where}.${name}`);
      }
      return;
    case 'title': case 'description':
      if (typeof value !== 'string') throw new CommandError(ErrorCode.TypeMismatch, `$jsonSchema keyword '${keyword}' must be a string`);
      return;
    default:
  }
}

const regex = (pattern: string) => LinearRegex.compile(pattern, '', (reason) => parseError(`Invalid regular expression in $jsonSchema: ${reason}`));


const NUMBER_TYPES = new Set(['int', 'long', 'double', 'decimal']);
const JSON_TYPE_OF: Record<string, string> = { int: 'number', long: 'number', double: 'number', decimal: 'number', bool: 'boolean', string: 'string', object: 'object', array: 'array', null: 'null' };

function typeMatches(keyword: 'type' | 'bsonType', spec: string | string[], value: unknown): boolean {
  const actual = bsonTypeOf(value);
  const names = Array.isArray(spec) ? spec : [spec];
  if (keyword === 'type') return names.includes(JSON_TYPE_OF[actual] ?? '');
  return names.some((n) => n === actual || (n === 'number' && NUMBER_TYPES.has(actual)));
}

const isNumber = (v: unknown): v is number => typeof v === 'number' || ['Long', 'Int32', 'Double', 'Decimal128'].includes((v as { _bsontype?: string })?._bsontype ?? '');
const numeric = (v: unknown) => Number(typeof v === 'number' ? v : (v as { toString(): string }).toString());
const same = (a: unknown, b: unknown) => compare(a as never, b as never) === 0;

/** True when the value satisfies the schema. */
export function satisfies(schema: Document, value: unknown): boolean {
  return failures(schema, value).length === 0;
}

/**
 * The rules of `schema` that `value` breaks, each in mongod's shape: `{ operatorName, specifiedAs, reason,
 * consideredValue, ... }`, nested under `properties`/`items`/`allOf`... An empty list: the value satisfies it.
 */
export function failures(schema: Document, value: unknown): Document[] {
  const out: Document[] = [];
  const fail = (operatorName: string, details: Document) => out.push({ operatorName, ...details });
  for (const keyword of ['type', 'bsonType'] as const) {
    if (schema[keyword] !== undefined && !typeMatches(keyword, schema[keyword], value)) {
      fail(keyword, { specifiedAs: { [keyword]: schema[keyword] }, reason: 'type did not match', consideredValue: value, consideredType: bsonTypeOf(value) });
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((option: unknown) => same(option, value))) {
    fail('enum', { specifiedAs: { enum: schema.enum }, reason: 'value was not found in enum', consideredValue: value });
  }
  if (isNumber(value)) numberFailures(schema, numeric(value), value, fail);
  if (typeof value === 'string') stringFailures(schema, value, fail);
  if (Array.isArray(value)) arrayFailures(schema, value, fail);
  if (isPlainObject(value)) objectFailures(schema, value, fail);
  logicFailures(schema, value, fail);
  return out;
}

type Fail = (operatorName: string, details: Document) => void;

function numberFailures(schema: Document, n: number, value: unknown, fail: Fail): void {
  if (typeof schema.minimum === 'number' && (schema.exclusiveMinimum ? n <= schema.minimum : n < schema.minimum)) {
    const specifiedAs = schema.exclusiveMinimum ? { minimum: schema.minimum, exclusiveMinimum: true } : { minimum: schema.minimum };
    fail('minimum', { specifiedAs, reason: 'comparison failed', consideredValue: value });
  }
  if (typeof schema.maximum === 'number' && (schema.exclusiveMaximum ? n >= schema.maximum : n > schema.maximum)) {
    const specifiedAs = schema.exclusiveMaximum ? { maximum: schema.maximum, exclusiveMaximum: true } : { maximum: schema.maximum };
    fail('maximum', { specifiedAs, reason: 'comparison failed', consideredValue: value });
  }
  if (typeof schema.multipleOf === 'number' && Math.abs(n % schema.multipleOf) > 1e-12 * Math.max(1, Math.abs(n))) {
    fail('multipleOf', { specifiedAs: { multipleOf: schema.multipleOf }, reason: 'considered value is not a multiple of the specified value', consideredValue: value });
  }
}

function stringFailures(schema: Document, s: string, fail: Fail): void {
  const length = [...s].length; // code points, as mongod counts them
  for (const keyword of ['minLength', 'maxLength'] as const) {
    const bound = schema[keyword];
    if (typeof bound === 'number' && (keyword === 'minLength' ? length < bound : length > bound)) {
      fail(keyword, { specifiedAs: { [keyword]: bound }, reason: 'specified string length was not satisfied', consideredValue: s });
    }
  }
  if (typeof schema.pattern === 'string' && !regex(schema.pattern).test(s)) {
    fail('pattern', { specifiedAs: { pattern: schema.pattern }, reason: 'regular expression did not match', consideredValue: s });
  }
}

function arrayFailures(schema: Document, items: unknown[], fail: Fail): void {
  for (const keyword of ['minItems', 'maxItems'] as const) {
    const bound = schema[keyword];
    if (typeof bound === 'number' && (keyword === 'minItems' ? items.length < bound : items.length > bound)) {
      fail(keyword, { specifiedAs: { [keyword]: bound }, reason: 'array did not match specified length', consideredValue: items });
    }
  }
  if (schema.uniqueItems === true) {
    const duplicate = items.find((item, i) => items.findIndex((other) => same(other, item)) !== i);
    if (duplicate !== undefined) fail('uniqueItems', { specifiedAs: { uniqueItems: true }, reason: 'found a duplicate item', consideredValue: items, duplicatedValue: duplicate });
  }
  const tuple = Array.isArray(schema.items) ? (schema.items as Document[]) : undefined;
  if (isPlainObject(schema.items)) {
    const at = items.findIndex((item) => !satisfies(schema.items, item));
    if (at >= 0) fail('items', { reason: 'At least one item did not match the sub-schema', itemIndex: at, details: failures(schema.items, items[at]) });
  } else if (tuple) {
    const details: Document[] = [];
    tuple.forEach((sub, i) => {
      if (i < items.length && !satisfies(sub, items[i])) details.push({ itemIndex: i, details: failures(sub, items[i]) });
    });
    if (details.length > 0) fail('items', { details });
    const extra = items.slice(tuple.length);
    if (schema.additionalItems === false && extra.length > 0) {
      fail('additionalItems', { specifiedAs: { additionalItems: false }, reason: 'found additional items', additionalItems: extra });
    } else if (isPlainObject(schema.additionalItems)) {
      const at = extra.findIndex((item) => !satisfies(schema.additionalItems, item));
      if (at >= 0) fail('additionalItems', { reason: 'At least one additional item did not match the sub-schema', itemIndex: tuple.length + at, details: failures(schema.additionalItems, extra[at]) });
    }
  }
}

function objectFailures(schema: Document, obj: Document, fail: Fail): void {
  const names = Object.keys(obj);
  if (Array.isArray(schema.required)) {
    const missing = (schema.required as string[]).filter((name) => !(name in obj));
    if (missing.length > 0) fail('required', { specifiedAs: { required: schema.required }, missingProperties: missing });
  }
  for (const keyword of ['minProperties', 'maxProperties'] as const) {
    const bound = schema[keyword];
    if (typeof bound === 'number' && (keyword === 'minProperties' ? names.length < bound : names.length > bound)) {
      fail(keyword, { specifiedAs: { [keyword]: bound }, reason: 'specified number of properties was not satisfied', numberOfProperties: names.length });
    }
  }
  const properties: Document = isPlainObject(schema.properties) ? schema.properties : {};
  const notSatisfied: Document[] = [];
  for (const [name, sub] of Object.entries(properties)) {
    if (!(name in obj)) continue;
    const details = failures(sub as Document, obj[name]);
    if (details.length === 0) continue;
    const entry: Document = { propertyName: name };
    if (typeof (sub as Document).description === 'string') entry.description = (sub as Document).description;
    entry.details = details;
    notSatisfied.push(entry);
  }
  if (notSatisfied.length > 0) fail('properties', { propertiesNotSatisfied: notSatisfied });
  const patterns = isPlainObject(schema.patternProperties) ? Object.entries(schema.patternProperties as Document) : [];
  const patternDetails: Document[] = [];
  for (const name of names) {
    for (const [pattern, sub] of patterns) {
      if (!regex(pattern).test(name) || satisfies(sub, obj[name])) continue;
      patternDetails.push({ propertyName: name, regexMatched: pattern, details: failures(sub, obj[name]) });
    }
  }
  if (patternDetails.length > 0) fail('patternProperties', { details: patternDetails });
  if (schema.additionalProperties !== undefined && schema.additionalProperties !== true) {
    const additional = names.filter((name) => !(name in properties) && !patterns.some(([pattern]) => regex(pattern).test(name)));
    if (schema.additionalProperties === false) {
      if (additional.length > 0) fail('additionalProperties', { specifiedAs: { additionalProperties: false }, additionalProperties: additional });
    } else {
      const failing = additional.find((name) => !satisfies(schema.additionalProperties, obj[name]));
      if (failing !== undefined) fail('additionalProperties', { reason: 'at least one additional property did not match the subschema', failingProperty: failing, details: failures(schema.additionalProperties, obj[failing]) });
    }
  }
  if (isPlainObject(schema.dependencies)) {
    const failing: Document[] = [];
    for (const [name, dep] of Object.entries(schema.dependencies as Document)) {
      if (!(name in obj)) continue;
      if (Array.isArray(dep)) {
        const missing = (dep as string[]).filter((d) => !(d in obj));
        if (missing.length > 0) failing.push({ conditionalProperty: name, missingProperties: missing });
      } else if (!satisfies(dep, obj)) failing.push({ conditionalProperty: name, details: failures(dep, obj) });
    }
    if (failing.length > 0) fail('dependencies', { failingDependencies: failing });
  }
}

function logicFailures(schema: Document, value: unknown, fail: Fail): void {
  if (Array.isArray(schema.allOf)) {
    const failing = (schema.allOf as Document[]).map((sub, index) => ({ index, details: failures(sub, value) })).filter((f) => f.details.length > 0);
    if (failing.length > 0) fail('allOf', { schemasNotSatisfied: failing });
  }
  if (Array.isArray(schema.anyOf) && !(schema.anyOf as Document[]).some((sub) => satisfies(sub, value))) {
    fail('anyOf', { schemasNotSatisfied: (schema.anyOf as Document[]).map((sub, index) => ({ index, details: failures(sub, value) })) });
  }
  if (Array.isArray(schema.oneOf)) {
    const matching = (schema.oneOf as Document[]).flatMap((sub, index) => (satisfies(sub, value) ? [index] : []));
    if (matching.length === 0) fail('oneOf', { schemasNotSatisfied: (schema.oneOf as Document[]).map((sub, index) => ({ index, details: failures(sub, value) })) });
    else if (matching.length > 1) fail('oneOf', { reason: 'more than one subschema matched', matchingSchemaIndexes: matching });
  }
  if (isPlainObject(schema.not) && satisfies(schema.not, value)) fail('not', { reason: 'child expression matched' });
}

import type { Document } from 'bson';
import { CommandError } from '../errors.js';
import { LinearRegex, invalidInQuery, isRegexValue, regexParts } from './regex.js';
import { parseTypeSet } from './bson-type.js';

/**
 * mingo would run every regular expression on JavaScript's backtracking engine. Before a filter or pipeline
 * reaches mingo, each regex in it is compiled on RE2 and put behind an operator of ours (regex-operators.ts):
 * `$regex` / regex values become `$_re2`, `$in`/`$nin`/`$all` holding regexes `$_in`/`$_nin`/`$_all`, and the
 * expressions `$regexMatch`/`$regexFind`/`$regexFindAll` their `$_` twins. mingo's own regex code never runs.
 * `$type` (query operator and expression) becomes `$_type` too, mongod's BSON types (bson-type.ts).
 */
export const LINEAR_QUERY_OPS = { $in: '$_in', $nin: '$_nin', $all: '$_all' } as const;
export const LINEAR_EXPRESSIONS: Record<string, string> = { $regexMatch: '$_regexMatch', $regexFind: '$_regexFind', $regexFindAll: '$_regexFindAll', $type: '$_type' };
const LOGICAL = new Set(['$and', '$or', '$nor']);

const isPlainObject = (value: unknown): value is Document => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/** False when nothing in the value is a regex or a `$type` to rewrite (the common filter: no allocation at all). */
function needsRewrite(value: unknown, depth = 0): boolean {
  if (depth > 200) return true;
  if (isRegexValue(value)) return true;
  if (Array.isArray(value)) return value.some((v) => needsRewrite(v, depth + 1));
  if (!isPlainObject(value)) return false;
  for (const key in value) {
    if (key === '$regex' || key === '$options' || key in LINEAR_EXPRESSIONS) return true;
    if (needsRewrite(value[key], depth + 1)) return true;
  }
  return false;
}

/** A query filter with its regexes on RE2 (the same object when it has none). */
export function linearFilter<T>(filter: T): T {
  if (!needsRewrite(filter)) return filter;
  return rewriteFilter(filter) as T;
}

/** A pipeline with its regexes on RE2: `$match` stages (also nested in $lookup/$facet/$unionWith) and expressions. */
export function linearPipeline(pipeline: Document[]): Document[] {
  if (!needsRewrite(pipeline)) return pipeline;
  return pipeline.map((stage) => rewriteExpression(stage) as Document);
}

function rewriteFilter(filter: unknown): unknown {
  if (!isPlainObject(filter)) return filter;
  const out: Document = {};
  for (const [key, value] of Object.entries(filter)) {
    if (LOGICAL.has(key)) out[key] = Array.isArray(value) ? value.map(rewriteFilter) : value;
    else if (key === '$expr') out[key] = rewriteExpression(value);
    else if (key.startsWith('$')) out[key] = value;
    else out[key] = rewriteCondition(value, key);
  }
  return out;
}

const isOperatorObject = (value: Document) => {
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => k.startsWith('$') && !LOGICAL.has(k) && k !== '$expr');
};

const compileValue = (value: unknown) => {
  const { pattern, options } = regexParts(value)!;
  return LinearRegex.compile(pattern, options, invalidInQuery);
};

function rewriteCondition(condition: unknown, field = ''): unknown {
  if (isRegexValue(condition)) return { $_re2: compileValue(condition) };
  if (!isPlainObject(condition) || !Object.keys(condition).some((k) => k.startsWith('$'))) return condition;
  const out: Document = {};
  if ('$options' in condition && !('$regex' in condition)) throw new CommandError(2, '$options needs a $regex');
  for (const [op, arg] of Object.entries(condition)) {
    if (op === '$regex') out.$_re2 = regexOperator(arg, condition.$options);
    else if (op === '$options') continue;
    else if (op in LINEAR_QUERY_OPS && Array.isArray(arg) && arg.some(isRegexValue)) {
      out[LINEAR_QUERY_OPS[op as keyof typeof LINEAR_QUERY_OPS]] = arg.map((v) => (isRegexValue(v) ? compileValue(v) : v));
    } else if (op === '$type') out.$_type = parseTypeSet(arg, field);
    else if (op === '$not') out.$not = rewriteCondition(arg, field);
    else if (op === '$elemMatch' && isPlainObject(arg)) out.$elemMatch = isOperatorObject(arg) ? rewriteCondition(arg) : rewriteFilter(arg);
    else out[op] = arg;
  }
  return out;
}

/** `{ $regex: <string | regex>, $options: <string> }` as mongod validates it. */
function regexOperator(regex: unknown, options: unknown): LinearRegex {
  if (options !== undefined && typeof options !== 'string') throw new CommandError(2, '$options has to be a string');
  const parts = typeof regex === 'string' ? { pattern: regex, options: '' } : regexParts(regex);
  if (!parts) throw new CommandError(2, '$regex has to be a string');
  if (parts.options && options) throw new CommandError(51075, 'options set on both $regex and $options', [], { codeName: 'Location51075' });
  if (parts.pattern.includes('\0')) throw new CommandError(51091, 'Regular expression cannot contain an embedded null byte', [], { codeName: 'Location51091' });
  return LinearRegex.compile(parts.pattern, parts.options || (options as string | undefined) || '', invalidInQuery);
}

/** Expressions and stages: regex expressions renamed to ours, `$match` (and `restrictSearchWithMatch`) filters rewritten. */
function rewriteExpression(value: unknown, depth = 0): unknown {
  if (depth > 200) return value;
  if (Array.isArray(value)) return value.map((v) => rewriteExpression(v, depth + 1));
  if (!isPlainObject(value)) return value;
  const out: Document = {};
  for (const [key, arg] of Object.entries(value)) {
    if (key === '$literal') out[key] = arg;
    else if (key === '$match' || key === 'restrictSearchWithMatch') out[key] = rewriteFilter(arg);
    else if (key in LINEAR_EXPRESSIONS) out[LINEAR_EXPRESSIONS[key]] = rewriteExpression(arg, depth + 1);
    else out[key] = rewriteExpression(arg, depth + 1);
  }
  return out;
}

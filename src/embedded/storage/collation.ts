import type { Document } from 'bson';
import * as QUERY_OPERATORS from 'mingo/operators/query';
import { flatten, resolve } from 'mingo/util';
import { CommandError, ErrorCode } from '../errors.js';

/**
 * MongoDB collations (https://www.mongodb.com/docs/manual/reference/collation/) on ICU through Intl.Collator:
 * string comparisons in filters, sorts and distinct follow the locale, strength and case options. mingo
 * only knows collation in `$sort`; filters under a collation have their string comparisons put behind
 * operators of ours (`$_ceq` ...), which compare with the collator.
 */
export interface CollationSpec {
  locale: string;
  strength?: number;
  caseLevel?: boolean;
  caseFirst?: 'upper' | 'lower' | 'off';
  numericOrdering?: boolean;
  alternate?: 'non-ignorable' | 'shifted';
  maxVariable?: string;
  backwards?: boolean;
  normalization?: boolean;
}

const FIELDS = new Set(['locale', 'strength', 'caseLevel', 'caseFirst', 'numericOrdering', 'alternate', 'maxVariable', 'backwards', 'normalization']);
/** ICU strength 1 compares base letters only, 2 adds accents, 3 (the default) adds case. */
const SENSITIVITY: Record<number, Intl.CollatorOptions['sensitivity']> = { 1: 'base', 2: 'accent', 3: 'variant', 4: 'variant', 5: 'variant' };

/** A collation document checked as mongod checks it; undefined for none or the `simple` (binary) collation. */
export function parseCollation(value: unknown): CollationSpec | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new CommandError(ErrorCode.TypeMismatch, `collation must be an object, not ${typeof value}`);
  const spec = value as Document;
  for (const key of Object.keys(spec)) if (!FIELDS.has(key)) throw new CommandError(ErrorCode.FailedToParse, `unknown collation spec field: ${key}`);
  if (typeof spec.locale !== 'string') throw new CommandError(ErrorCode.FailedToParse, "Missing expected field 'locale'");
  if (spec.locale === 'simple') {
    if (Object.keys(spec).length > 1) throw badValue('Collation with locale "simple" may not set other fields');
    return undefined;
  }
  if (spec.strength !== undefined && ![1, 2, 3, 4, 5].includes(Number(spec.strength))) throw badValue(`collation strength must be an integer from 1 to 5, got ${spec.strength}`);
  if (spec.caseFirst !== undefined && !['upper', 'lower', 'off'].includes(spec.caseFirst)) throw badValue(`caseFirst must be 'upper', 'lower' or 'off', got ${spec.caseFirst}`);
  const locale = spec.locale.replace(/_/g, '-');
  try {
    if (Intl.Collator.supportedLocalesOf(locale.split('@')[0]).length === 0) throw new Error('unsupported');
  } catch {
    throw badValue(`Field 'locale' is invalid in: ${JSON.stringify(spec)}`);
  }
  return spec as CollationSpec;
}

function badValue(message: string): CommandError {
  return new CommandError(ErrorCode.BadValue, message);
}

const collators = new Map<string, Intl.Collator>();

/** The collator of a collation (cached: filters compile once per command, collators are costly). */
export function collatorFor(spec: CollationSpec): Intl.Collator {
  const key = JSON.stringify(spec);
  let collator = collators.get(key);
  if (!collator) {
    const options: Intl.CollatorOptions = {
      sensitivity: SENSITIVITY[spec.strength ?? 3],
      numeric: spec.numericOrdering === true,
      ignorePunctuation: spec.alternate === 'shifted',
      caseFirst: spec.caseFirst === 'off' || spec.caseFirst === undefined ? 'false' : spec.caseFirst,
    };
    // caseLevel at strength 1 or 2: case counts, accents (at 1) still do not.
    if (spec.caseLevel === true && options.sensitivity === 'base') options.sensitivity = 'case';
    if (spec.caseLevel === true && options.sensitivity === 'accent') options.sensitivity = 'variant';
    collator = new Intl.Collator(spec.locale.replace(/_/g, '-').split('@')[0], options);
    if (collators.size > 256) collators.clear();
    collators.set(key, collator);
  }
  return collator;
}

/** A comparison of any two values: strings by the collator, everything else by `fallback` (BSON order). */
export function collatedCompare(spec: CollationSpec | undefined, fallback: (a: unknown, b: unknown) => number): (a: unknown, b: unknown) => number {
  if (!spec) return fallback;
  const collator = collatorFor(spec);
  return (a, b) => (typeof a === 'string' && typeof b === 'string' ? collator.compare(a, b) : fallback(a, b));
}

// ---- filters under a collation ----

// mingo's operator shapes (see regex-operators.ts).
type Predicate = (doc: unknown) => boolean;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Options = any;
type QueryOperator = (selector: string, value: unknown, options: Options) => Predicate;

const RENAMED: Record<string, string> = { $eq: '$_ceq', $ne: '$_cne', $gt: '$_cgt', $gte: '$_cgte', $lt: '$_clt', $lte: '$_clte', $in: '$_cin', $nin: '$_cnin' };
const LOGICAL = new Set(['$and', '$or', '$nor']);

const isPlainObject = (value: unknown): value is Document => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/** A filter whose string comparisons go through the collation's operators (the same filter without one). */
export function collatedFilter(filter: Document, spec: CollationSpec | undefined): Document {
  if (!spec) return filter;
  return rewriteFilter(filter) as Document;
}

/** A pipeline whose `$match` stages compare strings by the collation. */
export function collatedPipeline(pipeline: Document[], spec: CollationSpec | undefined): Document[] {
  if (!spec) return pipeline;
  return pipeline.map((stage) => (isPlainObject(stage) && isPlainObject(stage.$match) ? { $match: rewriteFilter(stage.$match) } : stage));
}

function rewriteFilter(filter: unknown): unknown {
  if (!isPlainObject(filter)) return filter;
  const out: Document = {};
  for (const [key, value] of Object.entries(filter)) {
    if (LOGICAL.has(key)) out[key] = Array.isArray(value) ? value.map(rewriteFilter) : value;
    else if (key.startsWith('$')) out[key] = value;
    else out[key] = rewriteCondition(value);
  }
  return out;
}

const hasString = (value: unknown) => typeof value === 'string' || (Array.isArray(value) && value.some((v) => typeof v === 'string'));

function rewriteCondition(condition: unknown): unknown {
  if (typeof condition === 'string') return { $_ceq: condition };
  if (!isPlainObject(condition) || !Object.keys(condition).some((k) => k.startsWith('$'))) return condition;
  const out: Document = {};
  for (const [op, arg] of Object.entries(condition)) {
    if (op in RENAMED && hasString(arg) && (op === '$in' || op === '$nin' ? Array.isArray(arg) : true)) out[RENAMED[op]] = arg;
    else if (op === '$not') out.$not = rewriteCondition(arg);
    else if (op === '$elemMatch' && isPlainObject(arg)) out.$elemMatch = Object.keys(arg).every((k) => k.startsWith('$')) ? rewriteCondition(arg) : rewriteFilter(arg);
    else out[op] = arg;
  }
  return out;
}

/** The values a filter compares at `selector`: the field itself and, for arrays, their elements. */
function valuesAt(doc: unknown, selector: string): unknown[] {
  const value = resolve(doc as Document, selector, { unwrapArray: true });
  return Array.isArray(value) ? [value, ...(flatten(value, 1) as unknown[])] : [value];
}

function collatorOf(options: Options): Intl.Collator {
  const spec = options?.collation as CollationSpec | undefined;
  if (!spec) throw new CommandError(1, 'collated comparison without a collation');
  return collatorFor(spec);
}

/** A comparison of the field's strings with a string, by the collation (strings only compare with strings). */
function stringComparison(test: (c: number) => boolean): QueryOperator {
  return (selector, value, options) => {
    const collator = collatorOf(options);
    const wanted = value as string;
    return (doc) => valuesAt(doc, selector).some((v) => typeof v === 'string' && test(collator.compare(v, wanted)));
  };
}

const $_ceq = stringComparison((c) => c === 0);
const $_cne: QueryOperator = (selector, value, options) => {
  const eq = $_ceq(selector, value, options);
  return (doc) => !eq(doc);
};

const $_cin: QueryOperator = (selector, values, options) => {
  const list = values as unknown[];
  const strings = list.filter((v): v is string => typeof v === 'string');
  const others = list.filter((v) => typeof v !== 'string');
  const collator = collatorOf(options);
  const inOthers = others.length > 0 ? (QUERY_OPERATORS.$in as unknown as QueryOperator)(selector, others, options) : () => false;
  return (doc) => inOthers(doc) || valuesAt(doc, selector).some((v) => typeof v === 'string' && strings.some((s) => collator.compare(v, s) === 0));
};
const $_cnin: QueryOperator = (selector, values, options) => {
  const inAny = $_cin(selector, values, options);
  return (doc) => !inAny(doc);
};

export const COLLATION_QUERY_OPERATORS = {
  $_ceq, $_cne, $_cin, $_cnin,
  $_cgt: stringComparison((c) => c > 0),
  $_cgte: stringComparison((c) => c >= 0),
  $_clt: stringComparison((c) => c < 0),
  $_clte: stringComparison((c) => c <= 0),
};

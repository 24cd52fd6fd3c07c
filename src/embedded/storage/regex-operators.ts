import type { Document } from 'bson';
import { Context, evalExpr } from 'mingo/core';
import * as EXPRESSION_OPERATORS from 'mingo/operators/expression';
import * as QUERY_OPERATORS from 'mingo/operators/query';
import { ensureArray, flatten, resolve } from 'mingo/util';
import { CommandError } from '../errors.js';
import { LinearRegex, regexParts } from './regex.js';

// mingo's operator shapes: a query operator compiles (field, argument) to a predicate; an expression
// operator evaluates its argument against one document.
type Predicate = (doc: unknown) => boolean;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Options = any;
type QueryOperator = (selector: string, value: unknown, options: Options) => Predicate;

const location = (code: number, message: string) => new CommandError(code, message, [], { codeName: `Location${code}` });

/** A string field (or a string in an array field, one level down) that the regex matches, as $regex does. */
function fieldMatches(selector: string, re: LinearRegex): Predicate {
  return (doc) => {
    const values = ensureArray(resolve(doc as Document, selector, { unwrapArray: true })) as unknown[];
    const test = (v: unknown) => typeof v === 'string' && re.test(v);
    return values.some(test) || (flatten(values, 1) as unknown[]).some(test);
  };
}

const $_re2: QueryOperator = (selector, re, _options) => fieldMatches(selector, re as LinearRegex);

/** `$in` holding regexes: the plain values through mingo's $in, the regexes on RE2. */
const $_in: QueryOperator = (selector, values, options) => {
  const list = values as unknown[];
  const plain = list.filter((v) => !(v instanceof LinearRegex));
  const patterns = list.filter((v): v is LinearRegex => v instanceof LinearRegex).map((re) => fieldMatches(selector, re));
  const inPlain = plain.length > 0 ? (QUERY_OPERATORS.$in as unknown as QueryOperator)(selector, plain, options) : () => false;
  return (doc) => inPlain(doc) || patterns.some((p) => p(doc));
};

const $_nin: QueryOperator = (selector, values, options) => {
  const inAny = $_in(selector, values, options);
  return (doc) => !inAny(doc);
};

const $_all: QueryOperator = (selector, values, options) => {
  const list = values as unknown[];
  if (list.length === 0) return () => false;
  const each = list.map((v): Predicate => {
    if (!(v instanceof LinearRegex)) return (QUERY_OPERATORS.$all as unknown as QueryOperator)(selector, [v], options);
    return (doc) => {
      const field = resolve(doc as Document, selector);
      return Array.isArray(field) && field.some((s) => typeof s === 'string' && v.test(s));
    };
  });
  return (doc) => each.every((p) => p(doc));
};

export const LINEAR_QUERY_OPERATORS = { $_re2, $_in, $_nin, $_all };

/** $regexMatch / $regexFind / $regexFindAll on RE2, with mongod's argument checks and codes. */
function regexExpression(name: string, all: boolean) {
  return (doc: unknown, expr: unknown, options: Options): unknown => {
    if (expr === null || typeof expr !== 'object' || Array.isArray(expr)) {
      throw location(51103, `${name} expects an object of named arguments but found: ${Array.isArray(expr) ? 'array' : typeof expr}`);
    }
    const args = expr as Document;
    for (const key of Object.keys(args)) if (!['input', 'regex', 'options'].includes(key)) throw location(31024, `${name} found an unknown argument: ${key}`);
    if (!('input' in args)) throw location(31022, `${name} requires 'input' parameter`);
    if (!('regex' in args)) throw location(31023, `${name} requires 'regex' parameter`);
    const input = evalExpr(doc, args.input, options);
    const regex = regexParts(args.regex) ? args.regex : evalExpr(doc, args.regex, options);
    const flags = 'options' in args ? evalExpr(doc, args.options, options) : undefined;
    const empty = name === '$regexMatch' ? false : all ? [] : null;
    if (flags !== undefined && flags !== null && typeof flags !== 'string') throw location(51106, `${name} needs 'options' to be of type string`);
    const parts = typeof regex === 'string' ? { pattern: regex, options: '' } : regexParts(regex);
    if (regex !== null && regex !== undefined && !parts) throw location(51105, `${name} needs 'regex' to be of type string or regex`);
    if (parts?.options && flags) throw location(51107, `${name}: regex option(s) specified in both 'regex' and 'option' fields`);
    if (input === null || input === undefined || !parts) return empty;
    if (typeof input !== 'string') throw location(51104, `${name} needs 'input' to be of type string`);
    const re = LinearRegex.compile(parts.pattern, parts.options || (flags as string | null) || '', (reason) => location(51111, `Invalid Regex in ${name}: ${reason}`));
    if (name === '$regexMatch') return re.test(input);
    const found = re.matches(input, all).map((m) => ({
      match: m.match,
      idx: [...input.slice(0, m.index)].length, // mongod counts code points
      captures: m.captures.map((c) => c ?? null),
    }));
    return all ? found : found[0] ?? null;
  };
}

export const LINEAR_EXPRESSION_OPERATORS = {
  $_regexMatch: regexExpression('$regexMatch', false),
  $_regexFind: regexExpression('$regexFind', false),
  $_regexFindAll: regexExpression('$regexFindAll', true),
};

/**
 * Options for mingo's update operators ($pull conditions and arrayFilters are queries): its own defaults
 * with our regex operators added. mingo wants its ComputeOptions class there, which it does not export; one
 * expression evaluation hands it over.
 */
export function updateOperatorOptions(base: Document): unknown {
  let ComputeOptions: { init(options: unknown): { update(locals: unknown): unknown } } | undefined;
  const capture = { $_captureOptions: (_doc: unknown, _expr: unknown, options: Options) => ((ComputeOptions = options.constructor), null) };
  evalExpr({}, { $_captureOptions: 1 }, { ...base, context: Context.init({ expression: capture as Options }) } as Options);
  const context = Context.init({
    query: { ...QUERY_OPERATORS, ...LINEAR_QUERY_OPERATORS },
    expression: { ...EXPRESSION_OPERATORS, ...LINEAR_EXPRESSION_OPERATORS },
  });
  return ComputeOptions!.init({ ...base, context }).update({ updateConfig: { cloneMode: 'copy' } });
}

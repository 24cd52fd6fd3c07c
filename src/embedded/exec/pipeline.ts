import type { Document } from 'bson';
import { Aggregator } from 'mingo';
import { compare as compareValues, HashMap } from 'mingo/util';
import { CommandError } from '../errors.js';
import { mingoError, mingoOptions, preparePipeline, type QueryOptions } from '../storage/query.js';
import type { Deadline } from './deadline.js';
import { sortInSlices } from './sort.js';

/** Stages that map each document on its own: run chunk by chunk, yielding between chunks. */
const PER_DOCUMENT = new Set(['$match', '$project', '$addFields', '$set', '$unset', '$replaceRoot', '$replaceWith', '$redact', '$unwind', '$lookup']);
/** Input documents per chunk of a per-document segment. */
const CHUNK = 256;
/** Documents handed to one run of `$group` (whole groups only, so each group is accumulated once). */
const GROUP_BATCH = 2048;

export interface PipelineOptions extends QueryOptions {
  collectionResolver?: (name: string) => Document[];
}

/**
 * Runs an aggregation pipeline with mingo's semantics without holding the event loop: per-document stages
 * over chunks, `$sort` as a sliced merge sort, `$group` over batches of whole groups, `$skip`/`$limit` by
 * counting; any other stage runs in one go over its input. The deadline is checked between slices.
 */
export async function runPipelineInSlices(source: Iterable<Document>, pipeline: Document[], deadline: Deadline, options: PipelineOptions = {}): Promise<Document[]> {
  const opts = { ...mingoOptions(options), collectionResolver: options.collectionResolver };
  pipeline = preparePipeline(pipeline, options);
  let input: Iterable<Document> = source;
  for (let at = 0; at < pipeline.length;) {
    const name = stageName(pipeline[at]);
    if (PER_DOCUMENT.has(name)) {
      let end = at;
      while (end < pipeline.length && PER_DOCUMENT.has(stageName(pipeline[end]))) end++;
      input = await perDocument(input, pipeline.slice(at, end), wantedAfter(pipeline, end), deadline, opts);
      at = end;
      continue;
    }
    const docs = Array.isArray(input) ? input : await collect(input, deadline);
    const arg = pipeline[at][name];
    if (name === '$skip' && typeof arg === 'number' && arg >= 0) input = docs.slice(arg);
    else if (name === '$limit' && typeof arg === 'number' && arg > 0) input = docs.slice(0, arg);
    else if (name === '$sort' && isSortSpec(arg)) input = await sortInSlices(docs, arg, deadline, options.collation);
    else if (name === '$group' && arg && typeof arg === 'object' && '_id' in arg) input = await group(docs, arg, deadline, opts);
    else input = runWhole(docs, [pipeline[at]], opts);
    deadline.check();
    at++;
  }
  return Array.isArray(input) ? input : collect(input, deadline);
}

function stageName(stage: Document): string {
  if (stage === null || typeof stage !== 'object' || Array.isArray(stage)) throw new CommandError(14, 'Each element of the \'pipeline\' array must be an object');
  const keys = Object.keys(stage);
  if (keys.length !== 1) throw new CommandError(40323, 'A pipeline stage specification object must contain exactly one field.', [], { codeName: 'Location40323' });
  return keys[0];
}

function isSortSpec(spec: unknown): spec is Document {
  return !!spec && typeof spec === 'object' && Object.keys(spec).length > 0 && Object.values(spec).every((v) => v === 1 || v === -1);
}

/** How many documents the stages after `end` can use at most (`$limit`, or `$skip` then `$limit`). */
function wantedAfter(pipeline: Document[], end: number): number {
  const next = pipeline[end];
  if (next && typeof next.$limit === 'number' && next.$limit > 0) return next.$limit;
  const then = pipeline[end + 1];
  if (next && typeof next.$skip === 'number' && then && typeof then.$limit === 'number' && then.$limit > 0) return next.$skip + then.$limit;
  return Infinity;
}

async function collect(source: Iterable<Document>, deadline: Deadline): Promise<Document[]> {
  const out: Document[] = [];
  for (const doc of source) {
    if (deadline.tick()) await deadline.pause();
    out.push(doc);
  }
  return out;
}

async function perDocument(source: Iterable<Document>, stages: Document[], wanted: number, deadline: Deadline, opts: object): Promise<Document[]> {
  const aggregator = compile(stages, opts);
  const out: Document[] = [];
  let chunk: Document[] = [];
  const flush = () => {
    for (const doc of run(aggregator, chunk)) out.push(doc);
    chunk = [];
  };
  for (const doc of source) {
    chunk.push(doc);
    if (chunk.length < CHUNK) continue;
    flush();
    if (out.length >= wanted) return out;
    await deadline.step();
  }
  flush();
  return out;
}

/** `$group` over batches of whole groups: the same groups, in the same order, as one run over everything. */
async function group(docs: Document[], spec: Document, deadline: Deadline, opts: object): Promise<Document[]> {
  const keyOf = compile([{ $replaceWith: { k: spec._id } }], opts);
  const groups = HashMap.init() as Map<unknown, Document[]>;
  for (let at = 0; at < docs.length; at += CHUNK) {
    const chunk = docs.slice(at, at + CHUNK);
    const keys = run(keyOf, chunk);
    for (let i = 0; i < chunk.length; i++) {
      const key = keys[i]?.k ?? null;
      const members = groups.get(key);
      if (members) members.push(chunk[i]);
      else groups.set(key, [chunk[i]]);
    }
    await deadline.step();
  }
  const accumulate = compile([{ $group: spec }], opts);
  const split = splitPlan(spec);
  const out: Document[] = [];
  let batch: Document[] = [];
  const flush = () => {
    for (const doc of run(accumulate, batch)) out.push(doc);
    batch = [];
  };
  for (const members of groups.values()) {
    if (split && members.length > CHUNK) {
      // One big group (e.g. `_id: null` over everything): accumulated in parts, merged where that is exact.
      if (batch.length > 0) flush();
      out.push(await accumulateInParts(members, spec, split, accumulate, deadline, opts));
      await deadline.step();
      continue;
    }
    for (const doc of members) batch.push(doc);
    if (batch.length < GROUP_BATCH) continue;
    flush();
    await deadline.step();
  }
  if (batch.length > 0 || out.length === 0) flush();
  return out;
}

type Merge = '$sum' | '$count' | '$min' | '$max' | '$first' | '$last' | '$push' | '$avg';
const MERGEABLE = new Set<string>(['$sum', '$count', '$min', '$max', '$first', '$last', '$push', '$avg']);

/**
 * How to accumulate one group in parts: each output field's accumulator, when every one of them can be merged
 * from partial results (undefined otherwise: the group is accumulated in one go, as before). `$avg` is
 * accumulated as a sum and a count of numbers (mingo's $avg ignores non-numbers, as mongod's does).
 */
function splitPlan(spec: Document): { fields: [string, Merge][]; partial: Document } | undefined {
  const fields: [string, Merge][] = [];
  const partial: Document = { _id: spec._id };
  for (const [field, acc] of Object.entries(spec)) {
    if (field === '_id') continue;
    if (!acc || typeof acc !== 'object' || Array.isArray(acc)) return undefined;
    const ops = Object.keys(acc);
    if (ops.length !== 1 || !MERGEABLE.has(ops[0])) return undefined;
    const op = ops[0] as Merge;
    fields.push([field, op]);
    if (op === '$avg') {
      partial[partKey(field, 'sum')] = { $sum: acc.$avg };
      partial[partKey(field, 'n')] = { $sum: { $cond: [{ $isNumber: acc.$avg }, 1, 0] } };
    } else {
      partial[field] = acc;
    }
  }
  return { fields, partial };
}

/** The partial-result field of one part of an accumulator (a name no user field can have). */
const partKey = (field: string, part: string) => `${field}\u0001${part}`;

/**
 * One group's result from parts of CHUNK documents (an accumulator may cost much per document), yielding
 * between parts. The merge is exact: sums
 * are added only while every partial sum and the total are safe integers (otherwise the group is accumulated
 * in one go, so floating-point sums come out as one sequential pass gives them), $min/$max keep mingo's order
 * and skip null partials (what mingo's own $min/$max skip), $first/$last/$push follow document order.
 */
async function accumulateInParts(members: Document[], spec: Document, split: { fields: [string, Merge][]; partial: Document }, whole: Aggregator, deadline: Deadline, opts: object): Promise<Document> {
  const partial = compile([{ $group: split.partial }], opts);
  const parts: Document[] = [];
  for (let at = 0; at < members.length; at += CHUNK) {
    parts.push(run(partial, members.slice(at, at + CHUNK))[0]);
    await deadline.step();
  }
  const sum = (field: string): number | undefined => {
    let total = 0;
    for (const p of parts) {
      const v = p[field];
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) return undefined;
      total += v;
    }
    return Number.isSafeInteger(total) ? total : undefined;
  };
  const result: Document = { _id: parts[0]._id };
  for (const [field, op] of split.fields) {
    switch (op) {
      case '$sum':
      case '$count': {
        const total = sum(field);
        if (total === undefined) return run(whole, members)[0];
        result[field] = total;
        break;
      }
      case '$avg': {
        const total = sum(partKey(field, 'sum'));
        const n = sum(partKey(field, 'n'));
        if (total === undefined || n === undefined) return run(whole, members)[0];
        result[field] = n === 0 ? null : total / n;
        break;
      }
      case '$min':
      case '$max': {
        const values = parts.map((p) => p[field]).filter((v) => v !== null && v !== undefined);
        result[field] = values.length === 0 ? parts[0][field] : values.reduce((a, b) => {
          const c = compareValues(a, b);
          return (op === '$min' ? c <= 0 : c >= 0) ? a : b;
        });
        break;
      }
      case '$first':
        result[field] = parts[0][field];
        break;
      case '$last':
        result[field] = parts[parts.length - 1][field];
        break;
      case '$push':
        result[field] = parts.flatMap((p) => p[field] as unknown[]);
        break;
    }
  }
  return result;
}

function compile(stages: Document[], opts: object): Aggregator {
  try {
    return new Aggregator(stages, opts);
  } catch (err) {
    throw mingoError(err);
  }
}

function run(aggregator: Aggregator, docs: Document[]): Document[] {
  try {
    return aggregator.run(docs) as Document[];
  } catch (err) {
    throw mingoError(err);
  }
}

function runWhole(docs: Document[], stages: Document[], opts: object): Document[] {
  return run(compile(stages, opts), docs);
}

import { refuseView } from './views.js';
import { validateWrite } from '../storage/validation.js';
import type { Document } from 'bson';
import type { DataNode } from '../data-node.js';
import { CommandError, ErrorCode } from '../errors.js';
import { duplicateKey } from '../storage/collection.js';
import { sameValue } from '../storage/update.js';
import { applyUpdate } from '../storage/update.js';

/**
 * The writing stages of an aggregation, `$out` and `$merge` (always last): the pipeline before them runs as
 * usual, then its documents are written here and the cursor comes back empty, as on mongod.
 */
export interface OutputStage {
  kind: '$out' | '$merge';
  spec: unknown;
}

/** The pipeline without its final `$out`/`$merge`, and that stage; a writing stage elsewhere is refused. */
export function splitOutputStage(pipeline: Document[]): { stages: Document[]; output?: OutputStage } {
  pipeline.forEach((stage, i) => {
    const name = stage && typeof stage === 'object' ? Object.keys(stage)[0] : undefined;
    if ((name === '$out' || name === '$merge') && i !== pipeline.length - 1) {
      throw new CommandError(name === '$out' ? 40601 : 40601, `${name} can only be the final stage in the pipeline`, [], { codeName: 'Location40601' });
    }
  });
  const last = pipeline[pipeline.length - 1];
  const name = last && typeof last === 'object' ? Object.keys(last)[0] : undefined;
  if (name !== '$out' && name !== '$merge') return { stages: pipeline };
  return { stages: pipeline.slice(0, -1), output: { kind: name, spec: last[name] } };
}

function target(spec: unknown, db: string, stage: string): { db: string; coll: string } {
  if (typeof spec === 'string') return { db, coll: spec };
  if (spec && typeof spec === 'object' && typeof (spec as Document).coll === 'string') {
    return { db: typeof (spec as Document).db === 'string' ? (spec as Document).db : db, coll: (spec as Document).coll };
  }
  throw new CommandError(ErrorCode.FailedToParse, `${stage} requires a collection name as a string or a document with 'db' and 'coll'`);
}

/** Writes the documents `$out` or `$merge` asks for. */
export function writeOutput(node: DataNode, db: string, output: OutputStage, docs: Document[], bypassValidation = false): void {
  if (output.kind === '$out') return writeOut(node, target(output.spec, db, '$out'), docs, bypassValidation);
  const spec = typeof output.spec === 'string' ? { into: output.spec } : (output.spec as Document);
  if (!spec || typeof spec !== 'object') throw new CommandError(ErrorCode.TypeMismatch, '$merge requires a string or an object argument');
  return writeMerge(node, target(spec.into, db, '$merge'), spec, docs, bypassValidation);
}

/**
 * `$out`: the target holds exactly the pipeline's documents, keeping its options (validator) and indexes, as
 * mongod's rename over it does; a duplicate `_id` or a document its validator refuses fails the whole stage.
 */
function writeOut(node: DataNode, to: { db: string; coll: string }, docs: Document[], bypassValidation: boolean): void {
  refuseView(node.catalog, to.db, to.coll);
  const previous = node.catalog.get(to.db, to.coll);
  const seen: unknown[] = [];
  for (const doc of docs) {
    if (seen.some((id) => sameValue(id, doc._id))) throw duplicateKey(`${to.db}.${to.coll}`, '_id_', { _id: 1 }, { _id: doc._id });
    seen.push(doc._id);
    if (previous?.validation && !bypassValidation) validateWrite(previous.validation, doc);
  }
  node.dropCollection(to.db, to.coll);
  const created = node.ensureCollection(to.db, to.coll, previous ? { ...previous.options } : undefined);
  if (previous) created.indexes.splice(0, created.indexes.length, ...previous.indexes);
  for (const doc of docs) node.insert(to.db, to.coll, doc, true);
}

const WHEN_MATCHED = new Set(['replace', 'keepExisting', 'merge', 'fail']);
const WHEN_NOT_MATCHED = new Set(['insert', 'discard', 'fail']);

/** `$merge`: each document matched on `on` (default `_id`) to the target, then replaced, merged, kept, or inserted. */
function writeMerge(node: DataNode, to: { db: string; coll: string }, spec: Document, docs: Document[], bypassValidation: boolean): void {
  refuseView(node.catalog, to.db, to.coll);
  const on: string[] = spec.on === undefined ? ['_id'] : Array.isArray(spec.on) ? spec.on : [spec.on];
  const whenMatched = spec.whenMatched ?? 'merge';
  const whenNotMatched = spec.whenNotMatched ?? 'insert';
  if (!Array.isArray(whenMatched) && !WHEN_MATCHED.has(whenMatched)) throw new CommandError(ErrorCode.BadValue, `Enumeration value '${whenMatched}' for field 'whenMatched' is not a valid value.`);
  if (!WHEN_NOT_MATCHED.has(whenNotMatched)) throw new CommandError(ErrorCode.BadValue, `Enumeration value '${whenNotMatched}' for field 'whenNotMatched' is not a valid value.`);
  const collection = node.ensureCollection(to.db, to.coll);
  for (const doc of docs) {
    const existing = [...collection.docs.values()].find((d) => on.every((f) => sameValue(d[f], doc[f])));
    if (!existing) {
      if (whenNotMatched === 'discard') continue;
      if (whenNotMatched === 'fail') throw new CommandError(13113, "$merge could not find a matching document in the target collection for at least one document in the source collection", [], { codeName: 'MergeStageNoMatchingDocument' });
      node.insert(to.db, to.coll, doc, bypassValidation);
      continue;
    }
    if (whenMatched === 'keepExisting') continue;
    if (whenMatched === 'fail') {
      const keyValue = Object.fromEntries(on.map((f) => [f, doc[f]]));
      throw duplicateKey(`${to.db}.${to.coll}`, '_id_', Object.fromEntries(on.map((f) => [f, 1])), keyValue);
    }
    const after = whenMatched === 'replace' ? { ...doc, _id: existing._id }
      : Array.isArray(whenMatched) ? applyUpdate(existing, whenMatched, undefined, { new: doc, ...(spec.let ?? {}) })
        : { ...existing, ...doc, _id: existing._id };
    node.writeNewVersion(collection, existing, after, whenMatched === 'replace' ? 'replace' : 'update', undefined, bypassValidation);
  }
}

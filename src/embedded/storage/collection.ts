import { Binary, UUID, type Document } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import { idKey } from './document.js';
import { compileValidation, type Validation } from './validation.js';

export interface IndexSpec {
  v: number;
  key: Document;
  name: string;
  unique?: boolean;
  [option: string]: unknown;
}

export interface CollectionOptions {
  changeStreamPreAndPostImages?: { enabled: boolean };
  [option: string]: unknown;
}

/** One collection: documents by `_id` (the unique `_id` index) in insertion order, plus index specs. */
export class Collection {
  readonly docs = new Map<unknown, Document>();
  readonly indexes: IndexSpec[] = [{ v: 2, key: { _id: 1 }, name: '_id_' }];
  readonly uuid: Binary = new UUID().toBinary();

  /** The validator in force (undefined: none); recompiled whenever the options change. */
  validation: Validation | undefined;
  private currentOptions: CollectionOptions = {};

  constructor(
    readonly db: string,
    readonly name: string,
    options: CollectionOptions = {},
  ) {
    this.options = options;
  }

  get options(): CollectionOptions {
    return this.currentOptions;
  }

  set options(options: CollectionOptions) {
    this.currentOptions = options;
    this.validation = compileValidation(options);
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  get prePostImages(): boolean {
    return this.options.changeStreamPreAndPostImages?.enabled === true;
  }

  get(id: unknown): Document | undefined {
    return this.docs.get(idKey(id));
  }

  /** Adds a new document; a taken `_id` (or other unique key) is a DuplicateKey error. */
  insert(doc: Document): void {
    const key = idKey(doc._id);
    if (this.docs.has(key)) throw duplicateKey(this.ns, '_id_', { _id: 1 }, { _id: doc._id });
    this.checkUniqueIndexes(doc, undefined);
    this.docs.set(key, doc);
  }

  /** Swaps the stored version of a document (same `_id`). */
  replace(previous: Document, next: Document): void {
    this.checkUniqueIndexes(next, previous._id);
    this.docs.set(idKey(previous._id), next);
  }

  remove(id: unknown): boolean {
    const key = idKey(id);
    this.recordIds?.delete(key);
    return this.docs.delete(key);
  }

  /** Record ids (`showRecordId`), given on first request in natural order: stable across updates, never reused. */
  private recordIds?: Map<unknown, number>;
  private nextRecordId = 1;

  recordIdOf(doc: Document): number {
    const ids = (this.recordIds ??= new Map());
    const key = idKey(doc._id);
    if (!ids.has(key)) for (const k of this.docs.keys()) if (!ids.has(k)) ids.set(k, this.nextRecordId++);
    return ids.get(key) ?? 0;
  }

  // Secondary unique indexes are rare here; a scan keeps them correct without index structures.
  private checkUniqueIndexes(doc: Document, selfId: unknown): void {
    for (const index of this.indexes) {
      if (!index.unique || index.name === '_id_') continue;
      const fields = Object.keys(index.key);
      const value = (d: Document) => fields.map((f) => JSON.stringify(getPath(d, f) ?? null)).join('\u0001');
      const mine = value(doc);
      for (const other of this.docs.values()) {
        if (selfId !== undefined && idKey(other._id) === idKey(selfId)) continue;
        if (value(other) === mine) {
          const keyValue = Object.fromEntries(fields.map((f) => [f, getPath(doc, f) ?? null]));
          throw duplicateKey(this.ns, index.name, index.key, keyValue);
        }
      }
    }
  }
}

export function getPath(doc: Document, path: string): unknown {
  let value: unknown = doc;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Document)[part];
  }
  return value;
}

export function duplicateKey(ns: string, indexName: string, keyPattern: Document, keyValue: Document): CommandError {
  const shown = Object.entries(keyValue).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ');
  return new CommandError(
    ErrorCode.DuplicateKey,
    `E11000 duplicate key error collection: ${ns} index: ${indexName} dup key: { ${shown} }`,
    [],
    { keyPattern, keyValue },
  );
}

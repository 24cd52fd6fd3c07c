import type { Document } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import { Collection, type CollectionOptions } from './collection.js';

const INVALID_DB_CHARS = /[/\\. "$\0]/;

export function validateNames(db: string, coll?: string): void {
  if (!db || INVALID_DB_CHARS.test(db) || db.length > 63) {
    throw new CommandError(ErrorCode.InvalidNamespace, `Invalid database name: '${db}'`);
  }
  if (coll !== undefined && (!coll || coll.includes('\0') || coll.startsWith('.') || coll.includes('$'))) {
    throw new CommandError(ErrorCode.InvalidNamespace, `Invalid collection name: ${coll}`);
  }
}

/** A view: a read-only collection computed by a pipeline over another collection or view. */
export interface ViewDefinition {
  db: string;
  name: string;
  viewOn: string;
  pipeline: Document[];
  collation?: Document;
}

/** All databases of one node: db name → collection name → Collection; and the views, by namespace. */
export class Catalog {
  readonly databases = new Map<string, Map<string, Collection>>();
  /** Views by `db.name` (mongod keeps them in `<db>.system.views`). */
  readonly viewDefinitions = new Map<string, ViewDefinition>();

  view(db: string, name: string): ViewDefinition | undefined {
    return this.viewDefinitions.size === 0 ? undefined : this.viewDefinitions.get(`${db}.${name}`);
  }

  viewsOf(db: string): ViewDefinition[] {
    return [...this.viewDefinitions.values()].filter((v) => v.db === db);
  }

  get(db: string, coll: string): Collection | undefined {
    return this.databases.get(db)?.get(coll);
  }

  /** The collection, created implicitly as a write to a missing collection does in MongoDB. */
  ensure(db: string, coll: string, options?: CollectionOptions): { collection: Collection; created: boolean } {
    const existing = this.get(db, coll);
    if (existing) return { collection: existing, created: false };
    validateNames(db, coll);
    let colls = this.databases.get(db);
    if (!colls) this.databases.set(db, (colls = new Map()));
    const collection = new Collection(db, coll, options);
    colls.set(coll, collection);
    return { collection, created: true };
  }

  drop(db: string, coll: string): boolean {
    const colls = this.databases.get(db);
    if (!colls?.delete(coll)) return false;
    if (colls.size === 0) this.databases.delete(db);
    return true;
  }

  collections(db: string): Collection[] {
    return [...(this.databases.get(db)?.values() ?? [])];
  }

  attach(collection: Collection, db: string, name: string): Collection {
    const moved = new Collection(db, name, collection.options);
    for (const [k, v] of collection.docs) moved.docs.set(k, v);
    moved.indexes.splice(0, moved.indexes.length, ...collection.indexes);
    Object.defineProperty(moved, 'uuid', { value: collection.uuid });
    let colls = this.databases.get(db);
    if (!colls) this.databases.set(db, (colls = new Map()));
    colls.set(name, moved);
    return moved;
  }
}

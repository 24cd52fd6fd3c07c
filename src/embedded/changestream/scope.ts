/** Which namespaces a change stream follows: one collection, one database, or the whole deployment. */
export type StreamScope =
  | { kind: 'collection'; db: string; coll: string }
  | { kind: 'database'; db: string }
  | { kind: 'cluster' };

const INTERNAL_DBS = new Set(['admin', 'config', 'local']);

export function scopeIncludes(scope: StreamScope, db: string, coll: string | undefined): boolean {
  if (coll?.startsWith('system.')) return false;
  if (scope.kind === 'cluster') return !INTERNAL_DBS.has(db);
  if (scope.kind === 'database') return db === scope.db;
  return db === scope.db && coll === scope.coll;
}

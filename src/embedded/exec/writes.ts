import type { Document } from 'bson';
import type { DataNode, UpdateOutcome, UpdateStatement } from '../data-node.js';
import { CommandError, ErrorCode } from '../errors.js';
import { compileFilter, exactIdOf, type QueryOptions } from '../storage/query.js';
import { applyUpdate, isReplacement } from '../storage/update.js';
import type { Deadline } from './deadline.js';
import { matchInSlices } from './scan.js';

/**
 * Updates and deletes whose filter is not one `_id` find their targets in slices, then write them in slices.
 * As on mongod, a document another client changed meanwhile is written only if it still matches.
 * Writes by `_id`, and writes inside a transaction, take the node's one-step path.
 */
export async function updateInSlices(node: DataNode, db: string, coll: string, stmt: UpdateStatement, deadline: Deadline, inTransaction: boolean): Promise<UpdateOutcome> {
  const collection = node.catalog.get(db, coll);
  if (!collection || inTransaction || (exactIdOf(stmt.q) !== undefined && !stmt.query)) return node.update(db, coll, stmt);
  if (stmt.multi && isReplacement(stmt.u)) throw new CommandError(ErrorCode.FailedToParse, 'multi update is not supported for replacement-style update');
  const targets = await matchInSlices(node, collection, stmt.q, stmt.multi ? 0 : 1, deadline, stmt.query);
  if (targets.length === 0) return stmt.upsert ? node.update(db, coll, stmt) : { n: 0, nModified: 0 };
  const test = compileFilter(stmt.q, stmt.query);
  let n = 0;
  let nModified = 0;
  for (const target of targets) {
    await deadline.step();
    const current = collection.get(target._id);
    if (!current || (current !== target && !test(current))) continue;
    n++;
    const after = applyUpdate(current, stmt.u, stmt.arrayFilters, stmt.query?.variables);
    if (node.writeNewVersion(collection, current, after, isReplacement(stmt.u) ? 'replace' : 'update', stmt.u, stmt.bypassValidation)) nModified++;
  }
  return { n, nModified };
}

export async function deleteInSlices(node: DataNode, db: string, coll: string, filter: Document, limit: number, deadline: Deadline, inTransaction: boolean, query?: QueryOptions): Promise<number> {
  const collection = node.catalog.get(db, coll);
  if (!collection || inTransaction || (exactIdOf(filter) !== undefined && !query)) return node.delete(db, coll, filter, limit, query);
  const victims = await matchInSlices(node, collection, filter, limit === 1 ? 1 : 0, deadline, query);
  const test = compileFilter(filter, query);
  let n = 0;
  for (const victim of victims) {
    if (deadline.tick()) await deadline.pause();
    const current = collection.get(victim._id);
    if (!current || (current !== victim && !test(current))) continue;
    node.deleteDocument(collection, current);
    n++;
  }
  return n;
}

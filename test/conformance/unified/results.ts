import type { Document } from 'bson';

/**
 * A driver result as the unified format describes it: Maps (client bulk write's verbose results) become
 * documents keyed by index, class instances become their plain fields.
 */
export function normaliseResult(value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries([...value.entries()].map(([k, v]) => [String(k), normaliseResult(v)]));
  if (value && typeof value === 'object' && value.constructor?.name === 'ClientBulkWriteResult') {
    const out: Document = {};
    for (const key of ['insertedCount', 'upsertedCount', 'matchedCount', 'modifiedCount', 'deletedCount', 'insertResults', 'updateResults', 'deleteResults']) {
      const v = (value as Document)[key];
      if (v !== undefined) out[key] = normaliseResult(v);
    }
    return out;
  }
  return value;
}

import type { MongoClient } from 'mongodb';
import { UserError } from '../util/errors.js';
import { commandHint } from '../util/invocation.js';

export type CollectionState = 'missing' | 'empty' | number;

/** Whether the collection exists and holds documents; the count is the fast metadata estimate. */
export async function collectionState(client: MongoClient, db: string, coll: string): Promise<CollectionState> {
  const database = client.db(db);
  const found = await database.listCollections({ name: coll }, { nameOnly: true }).toArray();
  if (found.length === 0) return 'missing';
  const collection = database.collection(coll);
  // findOne is exact about emptiness; the estimate alone can lag on a sharded cluster.
  if ((await collection.findOne({}, { projection: { _id: 1 } })) === null) return 'empty';
  return Math.max(1, await collection.estimatedDocumentCount());
}

/** Refuses to drive or watch a collection that was never loaded. */
export async function requireLoaded(client: MongoClient, db: string, coll: string): Promise<number> {
  const state = await collectionState(client, db, coll);
  if (typeof state === 'number') return state;
  throw new UserError(`${db}.${coll} is empty: run ${commandHint('load')} first`);
}

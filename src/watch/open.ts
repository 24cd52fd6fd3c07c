import type { MongoClient } from 'mongodb';
import { requireLoaded } from '../connect/collection.js';
import { openClient } from '../connect/client.js';
import { describeTarget, requireChangeStreams, type Target } from '../connect/topology.js';
import { addressOf } from '../connect/uri.js';
import { requireKnownSymbols } from './symbols.js';

export interface WatchTarget {
  client: MongoClient;
  target: Target;
  /** The redacted address, for titles. */
  address: string;
}

/**
 * Everything `trace` and `display` check before watching, each failing with one line: the server
 * answers, it has change streams (not a standalone), the collection is loaded, the symbols exist.
 */
export async function openWatchTarget(uri: string, db: string, coll: string, symbols: readonly string[]): Promise<WatchTarget> {
  const client = await openClient(uri);
  try {
    const target = await describeTarget(client);
    requireChangeStreams(target);
    await requireLoaded(client, db, coll);
    const found = await client.db(db).collection<{ _id: string; price: number }>(coll)
      .find({ _id: { $in: [...symbols] } }, { projection: { price: 1 } }).toArray();
    requireKnownSymbols(symbols, Object.fromEntries(found.map((d) => [d._id, d.price])), `${db}.${coll}`);
    return { client, target, address: addressOf(uri) };
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
}

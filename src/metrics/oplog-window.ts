/**
 * The change stream's oplog window: how many seconds of oplog lie behind its resume token, i.e. how long
 * the oplog may go on rolling before the token falls off it and a resume fails with ChangeStreamHistoryLost
 * (286). Oldest entry: serverStatus's `oplog` section (`{ oplog: 1 }`, `earliestOptime`), as mongod has it;
 * a mongos has none (each shard has its own oplog), and then the window is unknown.
 */
import type { MongoClient } from 'mongodb';

/** The cluster time (seconds) in a resume token's `_data` (KeyString: 0x82 type byte, then t and i). */
export function resumeTokenSeconds(token: unknown): number | undefined {
  const data = (token as { _data?: unknown } | undefined)?._data;
  if (typeof data !== 'string' || !/^82[0-9a-f]{16}/i.test(data)) return undefined;
  return parseInt(data.slice(2, 10), 16);
}

/** The oldest oplog entry's time (seconds), or undefined where the server does not say (a mongos). */
export async function earliestOplogSeconds(client: MongoClient): Promise<number | undefined> {
  try {
    const status = await client.db('admin').command({ serverStatus: 1, oplog: 1 });
    const earliest = status.oplog?.earliestOptime as { t?: number; high?: number } | undefined;
    const t = earliest?.t ?? earliest?.high;
    return typeof t === 'number' ? t : undefined;
  } catch {
    return undefined;
  }
}

/** Seconds of oplog behind the token: token time − oldest entry time; undefined when either is unknown. */
export async function oplogWindowSeconds(client: MongoClient, token: unknown): Promise<number | undefined> {
  const tokenTime = resumeTokenSeconds(token);
  if (tokenTime === undefined) return undefined;
  const earliest = await earliestOplogSeconds(client);
  return earliest === undefined ? undefined : Math.max(0, tokenTime - earliest);
}

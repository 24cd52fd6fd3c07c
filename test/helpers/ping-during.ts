import { setTimeout as sleep } from 'node:timers/promises';
import type { MongoClient } from 'mongodb';

/**
 * Starts `long` on one connection, pings from `bystander` (another client) while it runs, and says which
 * finished first. When `long` ended before the ping could even be sent there is nothing to judge, which
 * the caller asserts against.
 */
export async function pingDuring(bystander: MongoClient, long: () => Promise<unknown>): Promise<{ pingFirst: boolean; longRanPastPingSend: boolean }> {
  let longDone = false;
  const order: string[] = [];
  const running = long().then(() => {
    longDone = true;
    order.push('long');
  });
  await sleep(50); // the long operation is on the server by now
  const longRanPastPingSend = !longDone;
  await bystander.db('admin').command({ ping: 1 });
  order.push('ping');
  await running;
  return { pingFirst: order[0] === 'ping', longRanPastPingSend };
}

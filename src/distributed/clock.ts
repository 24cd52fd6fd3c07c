/**
 * This machine's clock against the server's: offset = server − local, in ms. Agents agree on the start
 * in server time and each converts it with its own offset; the report shows every agent's offset, so
 * figures that cross clocks (commitToReceipt) can be read with their error bars.
 */
import type { Document } from 'mongodb';
import { epochNow } from '../mutate/timer.js';
import { agentId, type ControlStore } from './control.js';

export interface ClockOffset {
  /** server − local, ms: the middle of the tightest round trip */
  offsetMs: number;
  /** half that round trip: the offset lies within ± this */
  errorMs: number;
  /** the server time can be no earlier than the replies' operationTime (a lower bound, 1 s resolution) */
  clusterTimeLowMs?: number;
  /** set after the run: bounds from the events' wallTime (commit) between send and receipt */
  wallTime?: { lowMs: number; highMs: number; samples: number };
}

const SAMPLES = 5;

/**
 * Round trips that read the server's clock: `$currentDate` stamps the agent's own control document with
 * the server's time (milliseconds), which lies between the local send and reply.
 */
export async function measureOffset(store: ControlStore, run: string, agent: number): Promise<ClockOffset> {
  let best: { offsetMs: number; errorMs: number } | undefined;
  let clusterTimeLowMs: number | undefined;
  for (let i = 0; i < SAMPLES; i++) {
    const sentAt = epochNow();
    const doc = await store.op((c) =>
      c.findOneAndUpdate({ _id: agentId(run, agent) }, { $currentDate: { clockAt: true } }, { returnDocument: 'after' }),
    ) as (Document & { clockAt?: Date }) | null;
    const repliedAt = epochNow();
    if (!(doc?.clockAt instanceof Date)) continue;
    const server = doc.clockAt.getTime();
    const sample = { offsetMs: server - (sentAt + repliedAt) / 2, errorMs: (repliedAt - sentAt) / 2 };
    if (!best || sample.errorMs < best.errorMs) best = sample;
  }
  const reply = await store.op((c) => c.db.command({ ping: 1 })).catch(() => undefined);
  const t = (reply?.operationTime ?? reply?.$clusterTime?.clusterTime) as { high?: number; t?: number } | undefined;
  const seconds = t?.t ?? t?.high;
  if (typeof seconds === 'number') clusterTimeLowMs = seconds * 1000 - epochNow();
  if (!best) return { offsetMs: 0, errorMs: Number.POSITIVE_INFINITY, ...(clusterTimeLowMs !== undefined ? { clusterTimeLowMs } : {}) };
  return { offsetMs: round3(best.offsetMs), errorMs: round3(best.errorMs), ...(clusterTimeLowMs !== undefined ? { clusterTimeLowMs: Math.round(clusterTimeLowMs) } : {}) };
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

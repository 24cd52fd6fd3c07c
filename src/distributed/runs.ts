/** The runs kept in a control database: listed, and removed one at a time (all its documents). */
import { UserError } from '../util/errors.js';
import { runId, type ControlStore, type RunDoc } from './control.js';
import { serverTime } from './registry.js';

export interface RunRow {
  run: string;
  state: RunDoc['state'];
  agents: number;
  /** agents registered (joined, whatever became of them) */
  joined: number;
  /** agents whose results are stored */
  results: number;
  createdAt: string;
  /** true when its agents still touch it: a run that is joining or started, recently heard from */
  live: boolean;
}

export async function listRuns(store: ControlStore): Promise<RunRow[]> {
  const runs = (await store.op((c) => c.find({ kind: 'run' }).sort({ createdAt: -1 }).toArray())) as RunDoc[];
  const counts = await store.op((c) =>
    c.aggregate<{ _id: { run: string; kind: string }; n: number }>([
      { $match: { kind: { $in: ['agent', 'result'] } } },
      { $group: { _id: { run: '$run', kind: '$kind' }, n: { $sum: 1 } } },
    ]).toArray(),
  );
  const count = (run: string, kind: string): number => counts.find((x) => x._id.run === run && x._id.kind === kind)?.n ?? 0;
  const now = await serverTime(store);
  return runs.map((r) => ({
    run: r.run,
    state: r.state,
    agents: r.agents,
    joined: count(r.run, 'agent'),
    results: count(r.run, 'result'),
    createdAt: r.createdAt.toISOString(),
    live: isLive(r, now),
  }));
}

/** Removes every document of a run; a live one only with `force`. Returns the documents removed. */
export async function dropRun(store: ControlStore, run: string, force = false): Promise<number> {
  const doc = (await store.op((c) => c.findOne({ _id: runId(run) }))) as RunDoc | null;
  if (!doc) throw new UserError(`no run named "${run}" in ${store.dbName} (\`ticker report runs\` lists them)`);
  if (!force && isLive(doc, await serverTime(store))) {
    throw new UserError(`run "${run}" is live (${doc.state}): wait for it to end, or add --force to remove it anyway`);
  }
  const { deletedCount } = await store.op((c) => c.deleteMany({ run }));
  return deletedCount;
}

function isLive(doc: RunDoc, serverNow: number | undefined): boolean {
  if (doc.state === 'done') return false;
  // The leader touches its run at least every heartbeat while joining; agents beat while it runs.
  return serverNow === undefined || serverNow - doc.touchedAt.getTime() < 5 * doc.heartbeatMs + doc.config.duration + doc.config.warmup + 30_000;
}

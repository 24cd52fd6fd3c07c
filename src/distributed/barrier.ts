/**
 * The start barrier. Every agent says when its streams are open and its writers connected; the leader
 * waits for all N (with `--wait`, as long as it takes; otherwise up to the join timeout, then it starts
 * with those ready) and sets a start a few seconds ahead, in server time. Each agent converts it with
 * its own clock offset, so machines with skewed clocks still start together.
 */
import { epochNow, sleep } from './time.js';
import { UserError } from '../util/errors.js';
import { agentId, runId, type AgentDoc, type ControlStore, type RunDoc } from './control.js';

export interface BarrierOptions {
  run: string;
  agent: number;
  leader: boolean;
  agents: number;
  /** server − local, ms */
  offsetMs: number;
  warmupMs: number;
  wait: boolean;
  joinTimeoutMs: number;
  heartbeatMs: number;
  signal?: AbortSignal;
  /** ms from the decision to the start, so every agent has seen it (default 2 s) */
  leadMs?: number;
}

export interface AgreedStart {
  /** epoch ms on this machine's clock */
  startAt: number;
  started: number[];
}

const POLL_MS = 100;
const LEADER_SILENT_BEATS = 5;
/** the leader may be setting up its own threads and streams for a while before it touches the run */
const LEADER_SILENT_MIN_MS = 15_000;

export async function agreeOnStart(store: ControlStore, o: BarrierOptions): Promise<AgreedStart> {
  await store.op((c) => c.updateOne({ _id: agentId(o.run, o.agent) }, { $set: { state: 'ready' } }));
  return o.leader ? lead(store, o) : follow(store, o);
}

async function lead(store: ControlStore, o: BarrierOptions): Promise<AgreedStart> {
  const since = epochNow();
  let lastTouch = since;
  let ready: number[] = [];
  for (;;) {
    throwIfAborted(o.signal);
    const agents = (await store.op((c) => c.find({ kind: 'agent', run: o.run }).project<AgentDoc>({ agent: 1, state: 1 }).toArray()));
    ready = agents.filter((a) => a.state === 'ready').map((a) => a.agent).sort((a, b) => a - b);
    // An agent that failed before it was ready will never be: even --wait does not wait for it.
    const failed = agents.filter((a) => a.state === 'failed').length;
    if (ready.length + failed >= o.agents) break;
    const now = epochNow();
    if (!o.wait && now - since >= o.joinTimeoutMs) break;
    if (now - lastTouch >= o.heartbeatMs) {
      lastTouch = now;
      await store.op((c) => c.updateOne({ _id: runId(o.run) }, { $currentDate: { touchedAt: true } }));
    }
    await sleep(POLL_MS);
  }
  const startAtServer = epochNow() + o.offsetMs + (o.leadMs ?? 2_000);
  await store.op((c) => c.updateOne(
    { _id: runId(o.run) },
    { $set: { state: 'started', startAtServer, windowStartServer: startAtServer + o.warmupMs, started: ready }, $currentDate: { touchedAt: true } },
  ));
  return { startAt: startAtServer - o.offsetMs, started: ready };
}

async function follow(store: ControlStore, o: BarrierOptions): Promise<AgreedStart> {
  const leader = new LeaderWatch(Math.max(LEADER_SILENT_BEATS * o.heartbeatMs, LEADER_SILENT_MIN_MS));
  for (;;) {
    throwIfAborted(o.signal);
    const run = (await store.op((c) => c.findOne({ _id: runId(o.run) }))) as RunDoc | null;
    if (!run) throw new UserError(`run "${o.run}" was dropped before it started`);
    const silentMs = leader.silentMs(run);
    if (run.state === 'joining' && leader.gone(silentMs)) {
      throw new UserError(`the first agent of run "${o.run}" stopped before the run started (agent ${run.leader}, no sign of it for ${Math.round(silentMs / 1000)} s)`);
    }
    if (run.state !== 'joining' && run.startAtServer !== undefined) {
      if (!run.started?.includes(o.agent)) {
        throw new UserError(`run "${o.run}" started without agent ${o.agent} (it was not ready within the join timeout of the first agent)`);
      }
      return { startAt: run.startAtServer - o.offsetMs, started: run.started };
    }
    await sleep(POLL_MS);
  }
}

/** How long a follower waits for the data set however alive the first agent is: then it is loaded beforehand. */
export const DATA_WAIT_MAX_MS = 60 * 60_000;

/**
 * A follower waits for the first agent to check (and if need be load) the data set. The first agent
 * touches the run at every beat meanwhile (`keepTouched`): one that stops for LEADER_SILENT_BEATS
 * beats is gone; a load that takes longer than `maxMs` is refused too (load it first with `ticker load`).
 */
export async function awaitData(
  store: ControlStore,
  o: { run: string; heartbeatMs: number; maxMs?: number; signal?: AbortSignal },
): Promise<void> {
  const leader = new LeaderWatch(LEADER_SILENT_BEATS * o.heartbeatMs);
  const maxMs = o.maxMs ?? DATA_WAIT_MAX_MS;
  const since = epochNow();
  for (;;) {
    throwIfAborted(o.signal);
    const run = (await store.op((c) => c.findOne({ _id: runId(o.run) }))) as RunDoc | null;
    if (!run) throw new UserError(`run "${o.run}" was dropped before it started`);
    if (run.dataReady) return;
    const silentMs = leader.silentMs(run);
    if (leader.gone(silentMs)) {
      throw new UserError(`the first agent of run "${o.run}" stopped while preparing the data set (agent ${run.leader}, no sign of it for ${Math.round(silentMs / 1000)} s)`);
    }
    if (epochNow() - since > maxMs) {
      throw new UserError(`the first agent of run "${o.run}" did not have the data set ready within ${Math.round(maxMs / 60_000)} min: load it beforehand (\`ticker load\`) and start again`);
    }
    await sleep(POLL_MS);
  }
}

/** While the first agent is busy before the barrier (the data set), it touches the run at every beat. */
export function keepTouched(store: ControlStore, run: string, heartbeatMs: number): () => void {
  const timer = setInterval(() => {
    void store.op((c) => c.updateOne({ _id: runId(run) }, { $currentDate: { touchedAt: true } })).catch(() => undefined);
  }, heartbeatMs);
  return () => clearInterval(timer);
}

/**
 * A follower's view of the first agent: its touches of the run, compared on this machine's clock only,
 * so skewed clocks never make a live leader look gone.
 */
class LeaderWatch {
  private last = { at: Number.NaN, seenAt: epochNow() };
  constructor(private readonly silentLimitMs: number) {}

  /** ms since the run's touch last moved */
  silentMs(run: RunDoc): number {
    const touched = run.touchedAt.getTime();
    if (touched !== this.last.at) this.last = { at: touched, seenAt: epochNow() };
    return epochNow() - this.last.seenAt;
  }

  gone(silentMs: number): boolean {
    return silentMs > this.silentLimitMs;
  }
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new UserError('interrupted before the run started', 130);
}

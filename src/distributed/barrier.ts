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
  // The leader touches the run at every beat while it waits: a touch that stops moving means it is gone
  // (compared on this machine's clock only, so skew does not matter).
  let lastTouch = { at: 0, seenAt: epochNow() };
  for (;;) {
    throwIfAborted(o.signal);
    const run = (await store.op((c) => c.findOne({ _id: runId(o.run) }))) as RunDoc | null;
    if (!run) throw new UserError(`run "${o.run}" was dropped before it started`);
    const touched = run.touchedAt.getTime();
    if (touched !== lastTouch.at) lastTouch = { at: touched, seenAt: epochNow() };
    else if (run.state === 'joining' && epochNow() - lastTouch.seenAt > Math.max(LEADER_SILENT_BEATS * o.heartbeatMs, LEADER_SILENT_MIN_MS)) {
      throw new UserError(`the first agent of run "${o.run}" stopped before the run started (agent ${run.leader}, no sign of it for ${Math.round((epochNow() - lastTouch.seenAt) / 1000)} s)`);
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

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new UserError('interrupted before the run started', 130);
}

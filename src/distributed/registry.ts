/**
 * Joining a run: the first agent creates the run with its flags; every other agent is checked against
 * them and claims an agent index (given, e.g. a Kubernetes Job's completion index, or the next free one).
 * A run that has started, finished or been abandoned is never joined: its name is refused.
 */
import { hostname } from 'node:os';
import { UserError } from '../util/errors.js';
import { configMismatch, type AgreedConfig } from './config.js';
import { agentId, isDuplicateKey, runId, type AgentDoc, type ControlStore, type RunDoc } from './control.js';

export interface JoinOptions {
  run: string;
  config: AgreedConfig;
  /** the agent index to claim; default the next free one */
  agent?: number;
}

export interface Joined {
  agent: number;
  /** this agent created the run (its flags are the run's; it merges the results) */
  leader: boolean;
  runDoc: RunDoc;
}

/** How long a joining run may go untouched by its leader before it counts as abandoned. */
const ABANDONED_AFTER_BEATS = 5;

export async function joinRun(store: ControlStore, options: JoinOptions): Promise<Joined> {
  const { run, config } = options;
  if (options.agent !== undefined && options.agent >= config.agents) {
    throw new UserError(`--agent ${options.agent}: expected an index below --agents ${config.agents} (0 to ${config.agents - 1})`, 2);
  }
  const now = new Date();
  const fresh: RunDoc = {
    _id: runId(run), kind: 'run', run, agents: config.agents, config, leader: options.agent ?? 0, state: 'joining',
    touchedAt: now, createdAt: now, heartbeatMs: config.heartbeat,
  };
  let leader = true;
  // The leader's index is fixed below, once claimed; until then no other agent starts anything.
  try {
    await store.op((c) => c.insertOne(fresh));
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    leader = false;
  }
  let runDoc = leader ? fresh : ((await store.op((c) => c.findOne({ _id: runId(run) }))) as RunDoc | null);
  if (!runDoc) throw new UserError(`run "${run}" was dropped while this agent joined it: start again`);
  if (!leader) {
    await refuseIfNotJoinable(store, runDoc);
    const mismatch = configMismatch(config, runDoc.config, run);
    if (mismatch) throw mismatch;
  }

  const agent = await claimIndex(store, run, config.agents, options.agent);
  if (leader) {
    await store.op((c) => c.updateOne({ _id: runId(run) }, { $set: { leader: agent }, $currentDate: { touchedAt: true } }));
    runDoc = { ...runDoc, leader: agent };
  } else {
    // The run may have started between the check and the claim: then this agent is not part of it.
    const now2 = (await store.op((c) => c.findOne({ _id: runId(run) }))) as RunDoc | null;
    if (!now2 || now2.state !== 'joining') {
      await store.op((c) => c.deleteOne({ _id: agentId(run, agent) }));
      throw new UserError(`run "${run}" started without this agent: choose another --run name`);
    }
    runDoc = now2;
  }
  return { agent, leader, runDoc };
}

async function refuseIfNotJoinable(store: ControlStore, runDoc: RunDoc): Promise<void> {
  const { run } = runDoc;
  const drop = `choose another --run name, or remove the old one with \`ticker report runs --drop ${run}\``;
  if (runDoc.state === 'started') throw new UserError(`run "${run}" is live (started ${ageOf(runDoc.touchedAt)} ago with ${runDoc.started?.length ?? '?'} of ${runDoc.agents} agents): ${drop}`);
  if (runDoc.state === 'done') throw new UserError(`run "${run}" has already finished (${ageOf(runDoc.touchedAt)} ago): ${drop}`);
  const serverNow = await serverTime(store);
  if (serverNow !== undefined && serverNow - runDoc.touchedAt.getTime() > ABANDONED_AFTER_BEATS * runDoc.heartbeatMs + 5_000) {
    throw new UserError(`run "${run}" was abandoned while its agents were joining (its first agent stopped): ${drop}`);
  }
}

async function claimIndex(store: ControlStore, run: string, agents: number, wanted?: number): Promise<number> {
  const candidates = wanted !== undefined ? [wanted] : Array.from({ length: agents }, (_, i) => i);
  for (const agent of candidates) {
    const doc: AgentDoc = {
      _id: agentId(run, agent), kind: 'agent', run, agent, host: hostname(), pid: process.pid, state: 'joined',
      registeredAt: new Date(),
    };
    try {
      await store.op((c) => c.insertOne(doc));
      return agent;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      if (wanted !== undefined) {
        const other = (await store.op((c) => c.findOne({ _id: agentId(run, agent) }))) as AgentDoc | null;
        throw new UserError(`agent ${agent} of run "${run}" is already registered${other ? ` (${other.host}, pid ${other.pid})` : ''}: give each agent its own --agent`);
      }
    }
  }
  throw new UserError(`run "${run}" already has its ${agents} agents: choose another --run name, or raise --agents on every agent`);
}

/** The server's clock, from a ping reply's operationTime (seconds: enough to tell a stale run). */
export async function serverTime(store: ControlStore): Promise<number | undefined> {
  const reply = await store.op((c) => c.db.command({ ping: 1 })).catch(() => undefined);
  const t = (reply?.operationTime ?? reply?.$clusterTime?.clusterTime) as { t?: number } | undefined;
  return typeof t?.t === 'number' ? t.t * 1000 : undefined;
}

function ageOf(at: Date): string {
  const s = Math.max(0, Math.round((Date.now() - at.getTime()) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
}

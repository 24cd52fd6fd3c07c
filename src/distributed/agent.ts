/**
 * One agent of a distributed `bench latency` run: join the run on the deployment under test, agree on
 * the configuration and the start, run this agent's share of the load with heartbeats, leave the results
 * in the control collection and, for the first agent, wait for the others' and merge them.
 * Measuring code: never prints; what happens goes to `onStatus`.
 */
import { hostname } from 'node:os';
import { openClient } from '../connect/client.js';
import { describeTarget, requireChangeStreams } from '../connect/topology.js';
import { ensureDataset, runLatency, type LatencyRunOptions, type LatencyRunResult } from '../measure/latency-run.js';
import type { IntervalLog } from '../measure/intervals.js';
import type { LatencyReport } from '../report/model.js';
import { UserError } from '../util/errors.js';
import { agreeOnStart, awaitData, keepTouched } from './barrier.js';
import { measureOffset, type ClockOffset } from './clock.js';
import { collectRun, awaitResults } from './collect.js';
import { checkShareable, shareOf, type AgreedConfig } from './config.js';
import { agentId, badRunName, ControlStore, fenceIdOf, runId } from './control.js';
import { Heartbeat } from './heartbeat.js';
import { joinRun } from './registry.js';
import { uploadResult } from './results.js';

export interface AgentRunOptions {
  uri: string;
  run: string;
  controlDb: string;
  config: AgreedConfig;
  /** the index to claim (a Kubernetes Job's completion index); default the next free one */
  agent?: number;
  wait: boolean;
  joinTimeoutMs: number;
  /** the rest of the run's options; rate and listeners are the totals in `config` */
  latency: Omit<LatencyRunOptions, 'uri' | 'rate' | 'listeners' | 'db' | 'coll' | 'agent'>;
  signal?: AbortSignal;
  onStatus?: (line: string) => void;
}

export interface AgentRunResult {
  agent: number;
  leader: boolean;
  /** this agent's own part */
  own: LatencyRunResult;
  /** the merged report and interval log (the leader only) */
  merged?: { report: LatencyReport; intervals: IntervalLog };
  /** agents the run started with that never reported */
  missing: number[];
}

export async function runAgent(o: AgentRunOptions): Promise<AgentRunResult> {
  const nameProblem = badRunName(o.run);
  if (nameProblem) throw new UserError(`--run: ${nameProblem}`, 2);
  checkShareable(o.config);
  const client = await openClient(o.uri, { appName: 'ticker-agent' });
  const store = new ControlStore(client, o.controlDb);
  let heartbeat: Heartbeat | undefined;
  let joined: Awaited<ReturnType<typeof joinRun>> | undefined;
  try {
    const target = await describeTarget(client);
    requireChangeStreams(target);
    joined = await joinRun(store, { run: o.run, config: o.config, agent: o.agent });
    const { agent, leader } = joined;
    o.onStatus?.(`joined run "${o.run}" as agent ${agent} of ${o.config.agents}${leader ? ' (first: its flags are the run\'s)' : ''}`);
    const clock = await measureOffset(store, o.run, agent);

    if (leader) {
      // The others wait meanwhile: they see the run touched, so a long load is not taken for a dead leader.
      const untouched = keepTouched(store, o.run, o.config.heartbeat);
      try {
        await ensureDataset(client, o.uri, o.config.db, o.config.collection, target, o.signal);
      } finally {
        untouched();
      }
      await store.op((c) => c.updateOne({ _id: runId(o.run) }, { $set: { dataReady: true }, $currentDate: { touchedAt: true } }));
    } else {
      o.onStatus?.('waiting for the first agent to prepare the data set');
      await awaitData(store, { run: o.run, heartbeatMs: o.config.heartbeat, signal: o.signal });
    }

    const share = shareOf(o.config, agent);
    let started: number[] = [];
    const own = await runLatency({
      ...o.latency,
      uri: o.uri,
      db: o.config.db,
      coll: o.config.collection,
      rate: share.rate,
      listeners: share.listeners,
      agent: {
        firstWriterId: share.firstWriterId,
        totalWriters: share.totalWriters,
        fenceId: fenceIdOf(o.run, agent),
        fenceIds: Array.from({ length: o.config.agents }, (_, a) => fenceIdOf(o.run, a)),
        agreeOnStart: async () => {
          if (!leader) o.onStatus?.('waiting for the first agent to start the run');
          else o.onStatus?.(`waiting for ${o.config.agents} agents to be ready${o.wait ? '' : ` (at most ${Math.round(o.joinTimeoutMs / 1000)} s)`}`);
          const agreed = await agreeOnStart(store, {
            run: o.run, agent, leader, agents: o.config.agents, offsetMs: clock.offsetMs, warmupMs: o.config.warmup,
            wait: o.wait, joinTimeoutMs: o.joinTimeoutMs, heartbeatMs: o.config.heartbeat, signal: o.signal,
          });
          started = agreed.started;
          heartbeat = new Heartbeat(store, o.run, agent, started, o.config.heartbeat);
          heartbeat.start();
          const without = o.config.agents - started.length;
          o.onStatus?.(`run starts with agents ${started.join(', ')}${without > 0 ? ` (without ${without}: not ready in time)` : ''}`);
          return agreed.startAt;
        },
        liveFences: () => started.filter((a) => !heartbeat?.isMissing(a)).map((a) => fenceIdOf(o.run, a)),
      },
    });
    if (!own.auditSets) throw new Error('the run returned no audit sets');

    const windowFrom = Date.parse(own.report.startedAt);
    const windowTo = Date.parse(own.report.endedAt);
    const offset: ClockOffset = { ...clock, wallTime: finiteBounds(own.auditSets.clock) };
    await uploadResult(store, o.run, {
      agent, host: hostname(), leader, report: own.report, intervals: own.intervals, ledger: own.auditSets.ledger, clock: offset,
      othersEvents: own.auditSets.othersEvents,
      control: { ops: store.ops, opsInWindow: store.opsBetween(windowFrom, windowTo) },
      missingSeen: heartbeat?.missing() ?? [], errors: own.errors,
    }, own.auditSets.receipts);
    await store.op((c) => c.updateOne({ _id: agentId(o.run, agent) }, { $set: { state: 'done' } }));
    // Beating until 'done' is written: an upload that takes a while never looks like a dead agent.
    if (!leader) {
      await heartbeat?.stop();
      return { agent, leader, own, missing: [] };
    }

    o.onStatus?.('waiting for the other agents\' results');
    const waitMs = (o.latency.drainMs ?? 15_000) + 4 * o.config.heartbeat + 10_000;
    const missing = await awaitResults(store, o.run, started, (a) => heartbeat?.isMissing(a) ?? false, waitMs, o.signal);
    await heartbeat?.stop();
    const { report, intervals } = await collectRun(store, o.run);
    await store.op((c) => c.updateOne({ _id: runId(o.run) }, { $set: { state: 'done' }, $currentDate: { touchedAt: true } }));
    return { agent, leader, own, merged: { report, intervals }, missing };
  } catch (error) {
    await heartbeat?.stop().catch(() => undefined);
    if (joined) {
      const message = error instanceof Error ? error.message : String(error);
      await store.op((c) => c.updateOne({ _id: agentId(o.run, joined!.agent) }, { $set: { state: 'failed', error: message } })).catch(() => undefined);
    }
    throw error;
  } finally {
    await client.close().catch(() => undefined);
  }
}

function finiteBounds(b: { lowMs: number; highMs: number; samples: number }): ClockOffset['wallTime'] {
  return Number.isFinite(b.lowMs) && Number.isFinite(b.highMs) ? b : { lowMs: 0, highMs: 0, samples: 0 };
}

/**
 * Merges a distributed run's results into one report: the agents' histograms and counts are added
 * (report merge), and every agent's listeners are audited against every agent's writes. A row per agent
 * and the whole; agents that never reported are named with the reason.
 */
import { ListenerReceipts, WriteLedger, type AuditCounts, type ReceiptsData } from '../measure/audit.js';
import { mergeIntervals, type IntervalLog } from '../measure/intervals.js';
import { mergeReports } from '../report/merge.js';
import { isAuditClean, type AgentRow, type DistributedRun, type LatencyReport, type ListenerAudit } from '../report/model.js';
import { UserError } from '../util/errors.js';
import { epochNow, sleep } from './time.js';
import { runId, unpack, type AgentDoc, type ControlStore, type ReceiptsDoc, type ResultDoc, type RunDoc } from './control.js';
import type { AgentPayload } from './results.js';

export interface Collected {
  report: LatencyReport;
  /** the agents' interval histograms added per second (the .hlog) */
  intervals: IntervalLog;
  run: RunDoc;
}

export async function collectRun(store: ControlStore, run: string): Promise<Collected> {
  const runDoc = (await store.op((c) => c.findOne({ _id: runId(run) }))) as RunDoc | null;
  if (!runDoc) throw new UserError(`no run named "${run}" in ${store.dbName} (\`ticker report runs\` lists them)`);
  const results = (await store.op((c) => c.find({ kind: 'result', run }).toArray())) as ResultDoc[];
  if (results.length === 0) throw new UserError(`run "${run}" has no results yet (state: ${runDoc.state}): wait for its agents to finish`);
  const agents = (await store.op((c) => c.find({ kind: 'agent', run }).toArray())) as AgentDoc[];
  const payloads = results.map((r) => unpack<AgentPayload>(r.payload)).sort((a, b) => a.agent - b.agent);
  const names = payloads.map((p) => `agent${p.agent}`);
  const merged = mergeReports(payloads.map((p) => p.report), names);

  // The cross-agent audit: every listener against the writes of every agent that reported.
  const ledger = new WriteLedger();
  for (const p of payloads) ledger.addData(p.ledger);
  const receipts = (await store.op((c) => c.find({ kind: 'receipts', run }).toArray())) as ReceiptsDoc[];
  const reported = new Set(payloads.map((p) => p.agent));
  const perListener: ListenerAudit[] = [];
  const byAgent = new Map<number, AuditCounts>();
  for (const doc of receipts.sort((a, b) => a.agent - b.agent || a.listener.localeCompare(b.listener, 'en', { numeric: true }))) {
    if (!reported.has(doc.agent)) continue;
    const counts = ledger.audit(ListenerReceipts.fromData(unpack<ReceiptsData>(doc.data)));
    perListener.push({ listener: `agent${doc.agent}:${doc.listener}`, ...counts });
    byAgent.set(doc.agent, add(byAgent.get(doc.agent), counts));
  }
  const total = [...byAgent.values()].reduce<AuditCounts>((a, b) => add(a, b), zero());
  merged.audit = { ...total, perListener };
  merged.ok = isAuditClean(merged.audit) && payloads.every((p) => p.report.ok || isAuditClean(p.report.audit));

  const started = runDoc.started ?? [];
  const missing = missingAgents(runDoc, agents, payloads);
  const perAgent: AgentRow[] = payloads.map((p) => agentRow(p, byAgent.get(p.agent) ?? zero()));
  const distributed: DistributedRun = {
    run,
    agents: runDoc.agents,
    leader: runDoc.leader,
    started,
    reported: payloads.map((p) => p.agent),
    missing,
    perAgent,
    control: { opsInWindow: perAgent.reduce((a, r) => a + r.control.opsInWindow, 0), benchmarkWrites: merged.rate.writes },
  };
  const notes = merged.target.notes ?? [];
  notes.push(`distributed run "${run}": ${payloads.length} of ${runDoc.agents} agents reported; latency timed by each agent on its own clock, for its own writes`);
  const notStarted = Array.from({ length: runDoc.agents }, (_, i) => i).filter((i) => !started.includes(i));
  if (notStarted.length > 0) notes.push(`started without agent${notStarted.length > 1 ? 's' : ''} ${notStarted.join(', ')} (not ready within the join timeout)`);
  for (const m of missing) if (started.includes(m.agent)) notes.push(`agent ${m.agent} is missing: ${m.reason}; the report holds the other agents' results`);
  merged.target.notes = notes;
  merged.distributed = distributed;
  const intervals = mergeIntervals(
    Math.min(...payloads.map((p) => p.intervals.startTime)),
    payloads[0]!.intervals.tags,
    payloads.map((p) => p.intervals.intervals),
  );
  return { report: merged, intervals, run: runDoc };
}

/**
 * Waits until every agent the run started with has reported, or is known to be missing (`isMissing`),
 * or `timeoutMs` passed. Returns the agents still without a result.
 */
export async function awaitResults(
  store: ControlStore,
  run: string,
  started: readonly number[],
  isMissing: (agent: number) => boolean,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<number[]> {
  const deadline = epochNow() + timeoutMs;
  for (;;) {
    const done = new Set(
      (await store.op((c) => c.find({ kind: 'result', run }).project<{ agent: number }>({ agent: 1 }).toArray())).map((r) => r.agent),
    );
    const waiting = started.filter((a) => !done.has(a) && !isMissing(a));
    if (waiting.length === 0 || epochNow() >= deadline || signal?.aborted) return started.filter((a) => !done.has(a));
    await sleep(250);
  }
}

function missingAgents(runDoc: RunDoc, agents: AgentDoc[], payloads: AgentPayload[]): { agent: number; reason: string }[] {
  const reported = new Set(payloads.map((p) => p.agent));
  const seen = new Map<number, string>();
  for (const p of payloads) for (const m of p.missingSeen) if (!seen.has(m.agent)) seen.set(m.agent, `agent ${p.agent} saw it ${m.reason}`);
  const docs = new Map(agents.map((a) => [a.agent, a]));
  const missing: { agent: number; reason: string }[] = [];
  for (let agent = 0; agent < runDoc.agents; agent++) {
    if (reported.has(agent)) continue;
    const doc = docs.get(agent);
    const reason = !(runDoc.started ?? []).includes(agent)
      ? doc ? 'not ready when the run started' : 'never joined'
      : doc?.state === 'failed' ? `failed: ${doc.error ?? 'unknown error'}` : seen.get(agent) ?? 'no result';
    missing.push({ agent, reason });
  }
  return missing;
}

function agentRow(p: AgentPayload, audit: AuditCounts): AgentRow {
  const e = p.report.histograms.endToEnd?.summary;
  const wall = p.clock.wallTime;
  return {
    agent: p.agent,
    host: p.host,
    rate: p.report.rate,
    listeners: p.report.config.listeners,
    endToEnd: { count: e?.count ?? 0, p50us: e?.p50 ?? 0, p99us: e?.p99 ?? 0, maxUs: e?.max ?? 0 },
    audit,
    othersEvents: p.othersEvents,
    clock: {
      offsetMs: p.clock.offsetMs,
      errorMs: p.clock.errorMs,
      ...(p.clock.clusterTimeLowMs !== undefined ? { clusterTimeLowMs: p.clock.clusterTimeLowMs } : {}),
      ...(wall && wall.samples > 0 ? { wallTimeLowMs: round3(wall.lowMs), wallTimeHighMs: round3(wall.highMs) } : {}),
    },
    control: p.control,
  };
}

function zero(): AuditCounts {
  return { expected: 0, received: 0, lost: 0, duplicated: 0 };
}

function add(a: AuditCounts | undefined, b: AuditCounts): AuditCounts {
  const x = a ?? zero();
  return { expected: x.expected + b.expected, received: x.received + b.received, lost: x.lost + b.lost, duplicated: x.duplicated + b.duplicated };
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

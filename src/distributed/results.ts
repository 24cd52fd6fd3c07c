/**
 * What each agent leaves in the control collection when it is done: its own report (compressed
 * histograms and counts), its writers' ledger and, one document per listener, what that listener
 * received; the cross-agent audit is made from these when the results are collected.
 */
import type { LedgerData, ReceiptsData } from '../measure/audit.js';
import type { IntervalLog } from '../measure/intervals.js';
import type { AgentAuditSets } from '../measure/latency-run.js';
import type { LatencyReport } from '../report/model.js';
import type { ClockOffset } from './clock.js';
import { pack, receiptsId, resultId, type ControlStore, type ReceiptsDoc, type ResultDoc } from './control.js';
import type { MissingAgent } from './heartbeat.js';

export interface AgentPayload {
  agent: number;
  host: string;
  leader: boolean;
  report: LatencyReport;
  /** per-second histograms (the .hlog), seconds counted from the agreed window start */
  intervals: IntervalLog;
  ledger: LedgerData;
  clock: ClockOffset;
  othersEvents: number;
  control: { ops: number; opsInWindow: number };
  /** agents this one saw stop beating */
  missingSeen: MissingAgent[];
  errors: string[];
}

export async function uploadResult(
  store: ControlStore,
  run: string,
  payload: AgentPayload,
  receipts: AgentAuditSets['receipts'],
): Promise<void> {
  const { agent } = payload;
  // Receipts first: a result document means everything of this agent is there.
  const docs: ReceiptsDoc[] = receipts.map((r) => ({
    _id: receiptsId(run, agent, r.listener), kind: 'receipts', run, agent, listener: r.listener, data: pack(r.data satisfies ReceiptsData),
  }));
  if (docs.length > 0) {
    await store.op((c) => c.bulkWrite(docs.map((d) => ({ replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true } }))));
  }
  const result: ResultDoc = {
    _id: resultId(run, agent), kind: 'result', run, agent, host: payload.host, payload: pack(payload), listeners: receipts.length,
  };
  await store.op((c) => c.replaceOne({ _id: result._id }, result, { upsert: true }));
}

/**
 * The latency report as plain data: what `ticker bench latency` saves, and what merge, compare and the
 * renderers read. All latencies are microseconds unless a field name says otherwise.
 */
import type { HistogramSummary } from '../measure/histograms.js';
import { breaches, type ThresholdResult } from '../measure/thresholds.js';
import { UserError } from '../util/errors.js';
import type { SteppedRun } from './steps.js';
import { CAPACITY_REPORT_FORMAT, describeSchemaError, REPORT_FORMAT, REPORT_VERSION, reportSchema } from './schema.js';

export { REPORT_FORMAT, REPORT_VERSION };

export const HISTOGRAM_DESCRIPTIONS = {
  endToEnd: 'receipt − intended send time (coordinated-omission corrected)',
  uncorrected: 'receipt − actual send time (for comparison only)',
  writeAck: 'write acknowledged − actual send time',
  commitToReceipt: 'receipt − event wallTime',
  serverSide: 'getMore/aggregate reply operationTime − event clusterTime (1 s resolution: cluster times count seconds)',
} as const;

export type HistogramName = keyof typeof HISTOGRAM_DESCRIPTIONS;
export const HISTOGRAM_NAMES = Object.keys(HISTOGRAM_DESCRIPTIONS) as HistogramName[];

export interface ReportHistogram {
  unit: 'us';
  description: string;
  /** hdr-histogram compressed base64: the exact counts, so reports can be added later. */
  encoded: string;
  summary: HistogramSummary;
}

export interface LatencyConfig {
  /** requested writes per second (all writers together) */
  rate: number;
  durationMs: number;
  warmupMs: number;
  listeners: number;
  writers: number;
  fullDocument: string;
  /** operation weights, e.g. { insert: 60, update: 30, delete: 10 } */
  mix: Record<string, number>;
  coldShard?: boolean;
  /** set on merged reports: the reports it was made from */
  sources?: string[];
}

export interface ReportTarget {
  /** always redacted: never a password */
  uri: string;
  embedded: boolean;
  serverVersion: string;
  topology: 'replicaSet' | 'sharded';
  shards?: number;
  notes?: string[];
  /** set on merged reports: the (redacted) target of each source, in `config.sources` order */
  sources?: string[];
}

export interface RateSummary {
  /** writes per second */
  requested: number;
  achieved: number;
  /** how far the writers ever fell behind their schedule */
  maxBehindMs: number;
  writes: number;
  writeErrors: number;
}

export interface Stagger {
  /** ms since the start of the measured window */
  startMs: number;
  gapMs: number;
  /** events received in the burst that ended the gap */
  burst: number;
  listener?: string;
  shard?: string;
}

export interface StaggerSummary {
  thresholdMs: number;
  count: number;
  /** gap lengths, microseconds */
  histogram: { unit: 'us'; encoded: string; summary: HistogramSummary };
  /** longest gaps first */
  worst: Stagger[];
}

export interface TimelineBucket {
  /** whole seconds since the start of the measured window */
  second: number;
  events: number;
  p50us: number;
  p99us: number;
  maxUs: number;
  /** the second's endToEnd histogram; when every source has it, merging is exact */
  encoded?: string;
  /** writes intended in this second (all writers) */
  writes?: number;
  /** writes acknowledged in this second (all writers): the achieved rate */
  acked?: number;
  /** the writers' send lag (actual − intended send time) in this second, µs */
  sendLagP99Us?: number;
  sendLagMaxUs?: number;
}

export interface ListenerAudit {
  listener: string;
  expected: number;
  received: number;
  lost: number;
  duplicated: number;
}

export interface Audit {
  expected: number;
  received: number;
  lost: number;
  duplicated: number;
  perListener?: ListenerAudit[];
}

export interface ListenerLatency {
  listener: string;
  events: number;
  p99us: number;
  maxUs?: number;
  /** most events received but not yet read by this listener (its own backlog, not the server's) */
  backlog?: number;
  /** longest an event waited in the listener thread after its reply arrived, ms */
  queuedMs?: number;
}

export interface LatencyReport {
  format: typeof REPORT_FORMAT;
  version: typeof REPORT_VERSION;
  config: LatencyConfig;
  target: ReportTarget;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  rate: RateSummary;
  histograms: Partial<Record<HistogramName, ReportHistogram>> & Record<string, ReportHistogram>;
  staggers: StaggerSummary;
  timeline: TimelineBucket[];
  audit: Audit;
  /** false when any event was lost or duplicated */
  ok: boolean;
  perListener?: ListenerLatency[];
  /** `--threshold` results, in the order given; absent when none was set */
  thresholds?: ThresholdResult[];
  /** set on the merged report of a distributed run (`ticker bench latency --run`) */
  distributed?: DistributedRun;
  /** set on a stepped run (`--rates`, `--listeners 1,15,105`): a row per step; the figures above add them */
  steps?: SteppedRun;
}

/** One agent of a distributed run, as the merged report shows it. */
export interface AgentRow {
  agent: number;
  host: string;
  /** writes per second and counts of this agent's writers */
  rate: RateSummary;
  listeners: number;
  /** this agent's listeners timing this agent's writes (one clock) */
  endToEnd: { count: number; p50us: number; p99us: number; maxUs: number };
  /** this agent's listeners against every agent's writes */
  audit: Omit<Audit, 'perListener'>;
  /** events of other agents' writes its listeners received (audited, not timed) */
  othersEvents: number;
  /** server − this agent's clock, ms */
  clock: {
    offsetMs: number;
    errorMs: number;
    /** lower bound from the replies' operationTime (1 s resolution) */
    clusterTimeLowMs?: number;
    /** bounds from the events' wallTime between send and receipt */
    wallTimeLowMs?: number;
    wallTimeHighMs?: number;
  };
  /** control-collection operations of this agent: all of them, and those inside the measured window */
  control: { ops: number; opsInWindow: number };
}

export interface DistributedRun {
  run: string;
  /** agents asked for */
  agents: number;
  /** the agent that created the run (its flags) */
  leader: number;
  /** agents the run started with; those missing from it were not ready in time */
  started: number[];
  /** agents whose results are in this report */
  reported: number[];
  missing: { agent: number; reason: string }[];
  perAgent: AgentRow[];
  /** control-collection operations during the measured window, all agents, beside the benchmarked writes */
  control: { opsInWindow: number; benchmarkWrites: number };
}

/** The run's verdict: the audit is clean and every threshold passed. */
export function reportPassed(report: Pick<LatencyReport, 'ok' | 'thresholds'>): boolean {
  return report.ok && breaches(report.thresholds).length === 0;
}

export function isAuditClean(audit: Audit): boolean {
  return audit.lost === 0 && audit.duplicated === 0;
}

/**
 * Checks that `json` is a latency report this version can read, against the one schema (`schema.ts`), so
 * merge, compare and the renderers can trust every field. Throws a one-line UserError naming the file and
 * the first bad field otherwise.
 */
export function parseReport(json: unknown, fileName: string): LatencyReport {
  const notAReport = (why: string) => new UserError(`${fileName} is not a ticker latency report (${why})`);
  if (!isObject(json)) throw notAReport('not a JSON object');
  if (json.format === CAPACITY_REPORT_FORMAT) throw notAReport('it is a bench capacity report, which holds its own knee; report merge, compare and slice read bench latency reports');
  if (json.format !== REPORT_FORMAT) throw notAReport(`format is ${JSON.stringify(json.format) ?? 'missing'}`);
  if (json.version !== REPORT_VERSION) {
    throw new UserError(
      `${fileName} is a ticker latency report version ${String(json.version)}; this ticker reads version ${REPORT_VERSION}`,
    );
  }
  const checked = reportSchema.safeParse(json);
  if (!checked.success) throw new UserError(`${fileName} is not a valid ticker latency report: ${describeSchemaError(checked.error)}`);
  return json as unknown as LatencyReport;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

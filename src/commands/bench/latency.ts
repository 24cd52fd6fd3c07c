import { Flags } from '@oclif/core';
import { runAgent } from '../../distributed/agent.js';
import { DEFAULT_CONTROL_DB } from '../../distributed/control.js';
import type { IntervalLog } from '../../measure/intervals.js';
import { runLatency, type LatencyProgress, type LatencyRunResult } from '../../measure/latency-run.js';
import { metricsFlags, startCommandMetrics } from '../../metrics/flags.js';
import type { HistogramSummary } from '../../measure/histograms.js';
import { formatMs, formatStep } from '../../render/format-latency.js';
import { renderAgents } from '../../render/agents-table.js';
import { breachLines, renderReportSummary, renderStepsTable } from '../../render/latency-table.js';
import { listPlan, runSteps, type StepVariable } from '../../measure/steps.js';
import { steppedReport } from '../../report/steps.js';
import type { StepRow } from '../../report/steps.js';
import { breaches, evaluateThresholds, THRESHOLD_EXIT_CODE, type ThresholdResult } from '../../measure/thresholds.js';
import type { LatencyReport } from '../../report/model.js';
import { writeReport, type WrittenReport } from '../../report/write.js';
import { requireWritableDir } from '../../util/atomic-write.js';
import { colourEnabled } from '../../util/colour.js';
import { UserError } from '../../util/errors.js';
import { connectionFlags, TickerCommand } from '../../util/command-base.js';
import { formatDuration } from '../../util/duration.js';
import { BOUNDS, describeBound, MAX_RATE_PER_THREAD, rateBoundFor } from '../../util/bounds.js';
import { durationFlag, MAX_LIST_VALUES, positiveIntFlag, positiveIntListFlag, rateFlag, rateListFlag, staggerThresholdFlag, thresholdFlag, uriFlag } from '../../util/flags.js';

export interface LatencySummary {
  ok: boolean;
  interrupted: boolean;
  files: WrittenReport;
  target: LatencyReport['target'];
  rate: LatencyReport['rate'];
  audit: Omit<LatencyReport['audit'], 'perListener'>;
  staggers: { thresholdMs: number; count: number; longestUs: number };
  /** microseconds */
  latency: Record<string, Omit<HistogramSummary, 'distribution'>>;
  errors: string[];
  thresholds: ThresholdResult[];
  /** a stepped run (--rates, --listeners a,b,c): a row per step (each step's histograms are in the report file) */
  steps?: Omit<StepRow, 'histograms'>[];
  /** set on an agent of a distributed run (`--run`) */
  distributed?: { run: string; agent: number; leader: boolean; missing: number[]; ownFiles?: WrittenReport };
}

export default class BenchLatency extends TickerCommand {
  static override summary = 'Measure end-to-end change-stream latency and staggers under a known write load.';

  static override description =
    'Drives writes at an open-loop rate and times every change event each listener receives from the write\'s intended time; ' +
    'counts staggers (gaps over --stagger-threshold with committed writes held back); audits that nothing is lost or duplicated; ' +
    'writes a report (JSON, Markdown, HTML, .hgrm, .hlog). Without --uri it starts the embedded server in a process of its own.';

  static override examples = [
    { description: '10 s at 100 writes/s on the embedded server', command: '<%= config.bin %> bench latency' },
    { description: 'Faster, longer, with ten listeners', command: '<%= config.bin %> bench latency --rate 2000 --duration 30s --listeners 10' },
    { description: 'A mongos with one shard left idle (its no-ops show as staggers), the summary as JSON', command: '<%= config.bin %> bench latency --uri "mongodb://mongos:27017" --cold-shard shard02 --json' },
    {
      description: 'Gate CI on the tail and on staggers (exit 99 when one is breached, as k6)',
      command: "<%= config.bin %> bench latency --rate 1000 --threshold 'endToEnd.p99<50ms' --threshold 'staggers.count==0' --threshold 'rate.achieved>=99%'",
    },
    {
      description: 'Step through three write rates, 30 s measured each, into one report with a row per step (thresholds judged per step)',
      command: "<%= config.bin %> bench latency --rates 100,1000,5000 --step 30s --threshold 'endToEnd.p99<50ms'",
    },
    {
      description: "MongoDB's listener sweep at 1,000 writes/s: 1, 15 and 105 change streams",
      command: '<%= config.bin %> bench latency --rate 1000 --listeners 1,15,105 --step 20s',
    },
    {
      description: 'One of 3 agents (one per client machine, the same command on each) sharing 30,000 writes/s and 300 listeners',
      command: '<%= config.bin %> bench latency --uri "$MONGODB_URI" --run nightly-1 --agents 3 --rate 30000 --listeners 300',
    },
  ];

  static override enableJsonFlag = true;

  static override flags = {
    ...connectionFlags,
    uri: uriFlag({ description: 'connection string (default: $MONGODB_URI, else the embedded server, started in its own process)' }),
    rate: rateFlag({ description: `writes per second, all writers together; at most ${MAX_RATE_PER_THREAD.toLocaleString('en-US')} per writer`, default: 100, bound: rateBoundFor(BOUNDS.writers.max) }),
    duration: durationFlag({ description: 'measured time', default: 10_000, defaultHelp: async () => '10s' }),
    warmup: durationFlag({ description: 'time before the measurement (discarded)', default: 2_000, allowZero: true, defaultHelp: async () => '2s' }),
    listeners: positiveIntListFlag({
      description: `listeners, each its own change stream; a list (1,15,105) runs one measured step per count; ${describeBound(BOUNDS.listeners)}`,
      default: [1], defaultHelp: async () => '1', bound: BOUNDS.listeners,
    }),
    rates: rateListFlag({
      description: `run one measured step per rate, in the order given (each with its own warm-up), into one report with a row per step; at most ${MAX_LIST_VALUES.max} values`,
      bound: rateBoundFor(BOUNDS.writers.max), exclusive: ['rate'],
    }),
    step: durationFlag({ description: 'measured time of each step of --rates or --listeners a,b,c (default: --duration)' }),
    writers: positiveIntFlag({ description: `writer threads sharing the rate; ${describeBound(BOUNDS.writers)}`, default: 1, bound: BOUNDS.writers }),
    'full-document': Flags.boolean({ description: "listeners ask for fullDocument: 'updateLookup'", default: false }),
    mix: Flags.string({ helpValue: '<mix>', description: 'operation mix, e.g. "familiar:3,a-update" (default: the original four kinds)' }),
    'stagger-threshold': staggerThresholdFlag(),
    'report-dir': Flags.string({ helpValue: '<dir>', description: 'directory for the report files', default: 'reports' }),
    'cold-shard': Flags.string({ helpValue: '<shard>', description: 'keep every write off this shard (sharded clusters): its idle time shows as staggers' }),
    ...metricsFlags,
    threshold: thresholdFlag({
      description:
        "pass/fail limit, repeatable: <histogram>.<p99|p99.9|max|mean|...>, staggers.<count|max|p99>, rate.<achieved|maxBehind|writeErrors>, lost, duplicated; e.g. 'endToEnd.p99<50ms', 'rate.achieved>=99%'. A breach exits 99",
    }),
    run: Flags.string({ helpValue: '<name>', description: 'a distributed run: the name every agent is given (each agent takes 1/N of the rate and listeners)', helpGroup: 'DISTRIBUTED' }),
    agents: Flags.integer({ helpValue: '<n>', description: 'agents in the --run (one per client machine, or processes on one)', default: 1, min: 1, max: 1000, helpGroup: 'DISTRIBUTED' }),
    agent: Flags.integer({ helpValue: '<index>', description: 'this agent\'s index, 0 to N-1 (e.g. $JOB_COMPLETION_INDEX); default the next free one', min: 0, max: 999, helpGroup: 'DISTRIBUTED' }),
    'control-db': Flags.string({ helpValue: '<name>', description: 'database on the target where agents meet (never the benchmarked one)', default: DEFAULT_CONTROL_DB, helpGroup: 'DISTRIBUTED' }),
    wait: Flags.boolean({ description: 'the first agent waits for every agent, however long (default: starts without those not ready within --join-timeout)', default: false, helpGroup: 'DISTRIBUTED' }),
    'join-timeout': durationFlag({ description: 'how long the first agent waits for the others', default: 60_000, defaultHelp: async () => '60s', helpGroup: 'DISTRIBUTED' }),
    heartbeat: durationFlag({ description: 'heartbeat interval; an agent silent for 3 beats is missing', default: 2_000, defaultHelp: async () => '2s', helpGroup: 'DISTRIBUTED' }),
  };

  async run(): Promise<LatencySummary> {
    const { flags } = await this.parse(BenchLatency);
    const rateBound = rateBoundFor(flags.writers);
    // A distributed run's bound is per agent: each machine drives its share.
    const agents = flags.run === undefined ? 1 : flags.agents;
    if (flags.rate / agents > rateBound.max) {
      throw new UserError(`--rate: got ${flags.rate}${agents > 1 ? ` (${flags.rate / agents} per agent)` : ''}; ${describeBound(rateBound)}${agents > 1 ? ' per agent' : ''}`, 2);
    }
    const steps = stepsOf(flags);
    if (steps) {
      const over = steps.variable === 'rate' ? steps.values.find((v) => v > rateBound.max) : undefined;
      if (over !== undefined) throw new UserError(`--rates: got ${over}; ${describeBound(rateBound)}`, 2);
      if (flags.run !== undefined) throw new UserError(`--run: a distributed run is one step; run --${steps.variable === 'rate' ? 'rates' : 'listeners'} on a single agent`, 2);
    } else if (flags.step !== undefined) {
      throw new UserError('--step is the measured time of each step: give --rates a,b,c or --listeners a,b,c (else use --duration)', 2);
    }
    const json = this.jsonEnabled();
    await requireWritableDir(flags['report-dir'], 'the report'); // now, not after the run
    const progress = !json && process.stderr.isTTY ? progressLine(process.stderr) : undefined;
    const live = await startCommandMetrics(flags);
    if (live && !json) process.stderr.write(`metrics: ${live.server.url}\n`);

    try {
      const uri = flags.uri?.trim() || undefined;
      const common = {
        durationMs: flags.duration,
        warmupMs: flags.warmup,
        writers: flags.writers,
        fullDocument: flags['full-document'],
        mix: flags.mix,
        staggerThresholdMs: flags['stagger-threshold'],
        coldShard: flags['cold-shard'],
        signal: this.stopSignal,
        onProgress: progress?.update,
        ...(live ? { metrics: live.metrics } : {}),
      };
      let result: LatencyRunResult;
      let distributed: LatencySummary['distributed'];
      let merged: { report: LatencyReport; intervals: IntervalLog } | undefined;
      if (steps) {
        const durationMs = flags.step ?? flags.duration;
        const run = await runSteps({
          base: { ...common, durationMs, uri, db: flags.db, coll: flags.collection, rate: flags.rate, listeners: flags.listeners[0]! },
          variable: steps.variable,
          plan: listPlan(steps.values),
          thresholds: flags.threshold ?? [],
          onStep: ({ value, index }) => {
            progress?.clear();
            if (!json) process.stderr.write(`step ${index} of ${steps.values.length}: ${formatStep(steps.variable, value)}\n`);
          },
        });
        if (run.steps.length === 0) throw new UserError('stopped before the first step ended: nothing to report', 130);
        const sweep = steppedReport(run.steps, { values: steps.values, stepDurationMs: durationMs, warmupMs: flags.warmup });
        result = { report: sweep.report, intervals: sweep.intervals, errors: run.steps.flatMap((s) => s.errors), interrupted: run.interrupted };
      } else if (flags.run === undefined) {
        if (flags.agents > 1 || flags.agent !== undefined) throw new UserError('--agents and --agent belong to a distributed run: give it a name with --run', 2);
        result = await runLatency({ ...common, uri, db: flags.db, coll: flags.collection, rate: flags.rate, listeners: flags.listeners[0]! });
      } else {
        if (uri === undefined) throw new UserError('--run needs --uri (or MONGODB_URI): the agents meet on the deployment under test', 2);
        const agentRun = await runAgent({
          uri, run: flags.run, controlDb: flags['control-db'], agent: flags.agent, wait: flags.wait, joinTimeoutMs: flags['join-timeout'],
          config: {
            agents: flags.agents, rate: flags.rate, duration: flags.duration, warmup: flags.warmup, listeners: flags.listeners[0]!,
            writers: flags.writers, 'full-document': flags['full-document'], mix: flags.mix ?? null,
            'stagger-threshold': flags['stagger-threshold'], 'cold-shard': flags['cold-shard'] ?? null,
            db: flags.db, collection: flags.collection, heartbeat: flags.heartbeat,
          },
          latency: common,
          signal: this.stopSignal,
          onStatus: (line) => {
            progress?.clear();
            if (!json) process.stderr.write(`${line}\n`);
          },
        });
        result = agentRun.own;
        merged = agentRun.merged;
        distributed = { run: flags.run, agent: agentRun.agent, leader: agentRun.leader, missing: agentRun.missing };
      }
      const { errors, interrupted } = result;
      progress?.clear();
      // Thresholds are judged on the whole: the merged report when this agent made one (a stepped run's, per step, are in).
      // Another agent's part would pass or fail on its share of the load: only the first agent judges them.
      const report = merged?.report ?? result.report;
      const part = distributed !== undefined && merged === undefined;
      if (flags.threshold?.length && !report.steps && !part) report.thresholds = evaluateThresholds(flags.threshold, report);
      if (flags.threshold?.length && part && !json) process.stderr.write(`--threshold is judged on the whole run by its first agent (or \`ticker report collect --run ${flags.run} --threshold ...\`)\n`);
      // A second Ctrl-C waits for the files: never half a report.
      const files = await this.writing(async () => {
        if (!distributed) return writeReport(report, flags['report-dir'], undefined, result.intervals);
        distributed.ownFiles = await writeReport(result.report, flags['report-dir'], `${distributed.run}-agent${distributed.agent}`, result.intervals);
        return merged ? writeReport(merged.report, flags['report-dir'], distributed.run, merged.intervals) : distributed.ownFiles;
      });
      const summary: LatencySummary = { ...summarise(report, files, errors, interrupted), ...(distributed ? { distributed } : {}) };
      if (!json) {
        if (report.steps) this.log(`all ${report.steps.rows.length} steps together (each step on its own below):`);
        this.log(renderReportSummary(report, { colour: colourEnabled(process.stdout) }));
        if (report.steps) this.log(`\nsteps (thresholds judged on each step):\n${renderStepsTable(report.steps.rows, report.steps.variable, { colour: colourEnabled(process.stdout) })}`);
        if (report.distributed) this.log(`\n${renderAgents(report.distributed)}`);
        for (const e of errors) this.warn(e);
        this.log(`\nreport: ${Object.values(files).join(', ')}`);
      }
      // One line on stderr: an interrupted run is written, but it is not what was asked for (exit 130, as
      // an interrupted program); a failed audit wins (exit 1).
      const cut = !interrupted ? undefined : report.steps
        ? `interrupted in step ${report.steps.rows.length} of ${report.steps.values.length}`
        : `interrupted: measured ${formatDuration(report.durationMs)} of ${formatDuration(flags.duration)}`;
      const missing = distributed?.missing ?? [];
      if (!report.ok) {
        if (!json) process.stderr.write(`Error: the audit failed: events were lost or duplicated (see the report)${cut ? `; ${cut}` : ''}\n`);
        process.exitCode = 1;
      } else if (missing.length > 0) {
        if (!json) process.stderr.write(`Error: agent${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of run "${distributed!.run}" did not report: the merged report holds the others' results\n`);
        process.exitCode = 1;
      } else if (cut) {
        if (!json) process.stderr.write(`${cut}; the report covers that part\n`);
      }
      const breached = breaches(report.thresholds);
      if (breached.length > 0) {
        if (!json) for (const line of breachLines(breached)) process.stderr.write(`${line}\n`);
        if (!process.exitCode && !interrupted) process.exitCode = THRESHOLD_EXIT_CODE; // the audit (1) and a stop (130/143) say more
      }
      return summary;
    } finally {
      progress?.clear();
      await live?.server.close();
    }
  }
}

/** The stepped variable and its values, when --rates or a list of --listeners asks for steps. */
function stepsOf(flags: { rates?: number[]; listeners: number[] }): { variable: StepVariable; values: number[] } | undefined {
  if (flags.rates !== undefined && flags.listeners.length > 1) {
    throw new UserError('--rates and a list of --listeners: step through one of them at a time (the other takes one value)', 2);
  }
  if (flags.rates !== undefined) return { variable: 'rate', values: flags.rates };
  if (flags.listeners.length > 1) return { variable: 'listeners', values: flags.listeners };
  return undefined;
}

function summarise(report: LatencyReport, files: WrittenReport, errors: string[], interrupted: boolean): LatencySummary {
  const { perListener: _ignored, ...audit } = report.audit;
  return {
    ok: report.ok,
    interrupted,
    files,
    target: report.target,
    rate: report.rate,
    audit,
    staggers: { thresholdMs: report.staggers.thresholdMs, count: report.staggers.count, longestUs: report.staggers.histogram.summary.max },
    latency: Object.fromEntries(
      Object.entries(report.histograms).map(([name, h]) => {
        const { distribution: _d, ...rest } = h.summary;
        return [name, rest];
      }),
    ),
    errors,
    thresholds: report.thresholds ?? [],
    ...(report.steps ? { steps: report.steps.rows.map(({ histograms: _h, ...row }) => row) } : {}),
  };
}

/** One line, redrawn in place on a TTY: phase, time, writes, events, how far behind. */
function progressLine(stream: NodeJS.WriteStream): { update: (p: LatencyProgress) => void; clear: () => void } {
  let drawn = false;
  return {
    update: (p) => {
      const line =
        `${p.phase} ${formatDuration(p.elapsedMs)} / ${formatDuration(p.totalMs)}  ` +
        `${p.writes.toLocaleString('en-US')} writes  ${p.events.toLocaleString('en-US')} events  ` +
        `behind ${formatMs(p.behindMs * 1000)} ms  (Ctrl-C ends early)`;
      stream.write(`\r\x1b[2K${line.slice(0, (stream.columns || 120) - 1)}`);
      drawn = true;
    },
    clear: () => {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}

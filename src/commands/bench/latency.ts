import { Flags } from '@oclif/core';
import { runLatency, type LatencyProgress } from '../../measure/latency-run.js';
import { metricsFlags, startCommandMetrics } from '../../metrics/flags.js';
import type { HistogramSummary } from '../../measure/histograms.js';
import { formatMs } from '../../render/format-latency.js';
import { breachLines, renderReportSummary } from '../../render/latency-table.js';
import { breaches, evaluateThresholds, THRESHOLD_EXIT_CODE, type ThresholdResult } from '../../measure/thresholds.js';
import type { LatencyReport } from '../../report/model.js';
import { writeReport, type WrittenReport } from '../../report/write.js';
import { requireWritableDir } from '../../util/atomic-write.js';
import { colourEnabled } from '../../util/colour.js';
import { UserError } from '../../util/errors.js';
import { connectionFlags, SIGNAL_EXIT_CODES, TickerCommand } from '../../util/command-base.js';
import { formatDuration } from '../../util/duration.js';
import { BOUNDS, describeBound, MAX_RATE_PER_THREAD, rateBoundFor } from '../../util/bounds.js';
import { durationFlag, positiveIntFlag, rateFlag, thresholdFlag, uriFlag } from '../../util/flags.js';

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
}

export default class BenchLatency extends TickerCommand {
  static override description =
    'Drive a known write load and measure, for every change event and listener, the latency from the intended write time to receipt; find staggers; audit that nothing is lost; write a report';

  static override examples = [
    '<%= config.bin %> bench latency',
    '<%= config.bin %> bench latency --rate 2000 --duration 30s --listeners 10',
    '<%= config.bin %> bench latency --uri "mongodb://mongos:27017" --cold-shard shard02 --json',
    {
      description: 'Gate CI on the tail and on staggers (exit 99 when one is breached, as k6)',
      command: "<%= config.bin %> bench latency --rate 1000 --threshold 'endToEnd.p99<50ms' --threshold 'staggers.count==0' --threshold 'rate.achieved>=99%'",
    },
  ];

  static override enableJsonFlag = true;

  static override flags = {
    ...connectionFlags,
    uri: uriFlag({ description: 'connection string (default: $MONGODB_URI, else the embedded server, started in its own process)' }),
    rate: rateFlag({ description: `writes per second, all writers together; at most ${MAX_RATE_PER_THREAD.toLocaleString('en-US')} per writer`, default: 100, bound: rateBoundFor(BOUNDS.writers.max) }),
    duration: durationFlag({ description: 'measured time', default: 10_000, defaultHelp: async () => '10s' }),
    warmup: durationFlag({ description: 'time before the measurement (discarded)', default: 2_000, allowZero: true, defaultHelp: async () => '2s' }),
    listeners: positiveIntFlag({ description: `listeners, each its own change stream; ${describeBound(BOUNDS.listeners)}`, default: 1, bound: BOUNDS.listeners }),
    writers: positiveIntFlag({ description: `writer threads sharing the rate; ${describeBound(BOUNDS.writers)}`, default: 1, bound: BOUNDS.writers }),
    'full-document': Flags.boolean({ description: "listeners ask for fullDocument: 'updateLookup'", default: false }),
    mix: Flags.string({ description: 'operation mix, e.g. "familiar:3,a-update" (default: the original four kinds)' }),
    'stagger-threshold': durationFlag({ description: 'a gap longer than this with committed writes held back is a stagger', default: 250, defaultHelp: async () => '250ms' }),
    'report-dir': Flags.string({ description: 'directory for the report files', default: 'reports' }),
    'cold-shard': Flags.string({ description: 'keep every write off this shard (sharded clusters): its idle time shows as staggers' }),
    ...metricsFlags,
    threshold: thresholdFlag({
      description:
        "pass/fail limit, repeatable: <histogram>.<p99|p99.9|max|mean|...>, staggers.<count|max|p99>, rate.<achieved|maxBehind|writeErrors>, lost, duplicated; e.g. 'endToEnd.p99<50ms', 'rate.achieved>=99%'. A breach exits 99",
    }),
  };

  async run(): Promise<LatencySummary> {
    const { flags } = await this.parse(BenchLatency);
    const rateBound = rateBoundFor(flags.writers);
    if (flags.rate > rateBound.max) throw new UserError(`--rate: got ${flags.rate}; ${describeBound(rateBound)}`, 2);
    const json = this.jsonEnabled();
    await requireWritableDir(flags['report-dir'], 'the report'); // now, not after the run
    const progress = !json && process.stderr.isTTY ? progressLine(process.stderr) : undefined;
    const live = await startCommandMetrics(flags);
    if (live && !json) process.stderr.write(`metrics: ${live.server.url}\n`);

    try {
      const uri = flags.uri?.trim() || undefined;
      const { report, errors, interrupted, intervals } = await runLatency({
        uri,
        db: flags.db,
        coll: flags.collection,
        rate: flags.rate,
        durationMs: flags.duration,
        warmupMs: flags.warmup,
        listeners: flags.listeners,
        writers: flags.writers,
        fullDocument: flags['full-document'],
        mix: flags.mix,
        staggerThresholdMs: flags['stagger-threshold'],
        coldShard: flags['cold-shard'],
        signal: this.stopSignal,
        onProgress: progress?.update,
        ...(live ? { metrics: live.metrics } : {}),
      });
      progress?.clear();
      if (flags.threshold?.length) report.thresholds = evaluateThresholds(flags.threshold, report);
      // A second Ctrl-C waits for the files: never half a report.
      const files = await this.writing(() => writeReport(report, flags['report-dir'], undefined, intervals));
      const summary = summarise(report, files, errors, interrupted);
      if (!json) {
        this.log(renderReportSummary(report, { colour: colourEnabled(process.stdout) }));
        for (const e of errors) this.warn(e);
        this.log(`\nreport: ${Object.values(files).join(', ')}`);
      }
      // One line on stderr: an interrupted run is written, but it is not what was asked for (exit 130, as
      // an interrupted program); a failed audit wins (exit 1).
      const cut = interrupted ? `interrupted: measured ${formatDuration(report.durationMs)} of ${formatDuration(flags.duration)}` : undefined;
      if (!report.ok) {
        if (!json) process.stderr.write(`Error: the audit failed: events were lost or duplicated (see the report)${cut ? `; ${cut}` : ''}\n`);
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

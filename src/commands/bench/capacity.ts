import { Flags } from '@oclif/core';
import { capacityPlan, findKnee, type CapacitySearch } from '../../measure/capacity.js';
import { runSteps } from '../../measure/steps.js';
import { THRESHOLD_EXIT_CODE } from '../../measure/thresholds.js';
import { CAPACITY_FORMAT, kneeText, writeCapacityReport, type CapacityReport, type WrittenCapacity } from '../../report/capacity.js';
import { stepRow } from '../../report/steps.js';
import { defaultReportName } from '../../report/write.js';
import { renderStepsTable } from '../../render/latency-table.js';
import { formatRate } from '../../render/format-latency.js';
import { requireWritableDir } from '../../util/atomic-write.js';
import { BOUNDS, describeBound, rateBoundFor } from '../../util/bounds.js';
import { colourEnabled } from '../../util/colour.js';
import { connectionFlags, TickerCommand } from '../../util/command-base.js';
import { UserError } from '../../util/errors.js';
import { durationFlag, MAX_LIST_VALUES, positiveIntFlag, rateFlag, staggerThresholdFlag, thresholdFlag, uriFlag } from '../../util/flags.js';

const MAX_STEPS = MAX_LIST_VALUES;
const FACTOR = { max: 10, why: '(a step more than ten times the last one skips the knee by too much to bisect quickly)' };

export default class BenchCapacity extends TickerCommand {
  static override summary = 'Find the highest write rate (or listener count) at which the change streams still meet an SLO with nothing lost.';

  static override description =
    'Steps up by a factor while the SLO holds, then bisects between the last passing and the first failing step; ' +
    'always stops at --max and --max-steps. Writes a report (JSON, Markdown, HTML plot of the steps with the SLO line).';

  static override examples = [
    { description: 'The knee of the write rate for a 50 ms p99', command: "<%= config.bin %> bench capacity --slo 'endToEnd.p99<50ms'" },
    { description: 'How many listeners at 1,000 writes/s', command: "<%= config.bin %> bench capacity --vary listeners --rate 1000 --slo 'endToEnd.p99<100ms' --max 100" },
    { description: 'Shorter steps, finer bisection, a lower ceiling', command: "<%= config.bin %> bench capacity --slo 'endToEnd.p99<50ms' --slo 'staggers.count==0' --step 5s --precision 5 --max 5000" },
  ];

  static override enableJsonFlag = true;

  static override flags = {
    ...connectionFlags,
    uri: uriFlag({ description: 'connection string (default: $MONGODB_URI, else the embedded server, started in its own process)' }),
    slo: thresholdFlag({ description: "what a step must meet, repeatable, as --threshold of bench latency (e.g. 'endToEnd.p99<50ms'); nothing lost is always required", required: true }),
    vary: Flags.string({ description: 'what is raised step by step', options: ['rate', 'listeners'], default: 'rate' }),
    start: positiveIntFlag({ description: 'first value (default: 100 writes/s, or 1 listener)', bound: rateBoundFor(BOUNDS.writers.max) }),
    max: positiveIntFlag({ description: 'never try above this (default: 20,000 writes/s, or the listener bound)', bound: rateBoundFor(BOUNDS.writers.max) }),
    factor: Flags.string({ helpValue: '<x>', description: `growth per step while the SLO holds; ${describeBound(FACTOR)}`, default: '2' }),
    precision: positiveIntFlag({ helpValue: '<percent>', description: 'stop bisecting when the gap between passing and failing is at most this percent of the passing value', default: 10, bound: { max: 100, why: '(percent)' } }),
    'max-steps': positiveIntFlag({ description: `stop after this many steps; ${describeBound(MAX_STEPS)}`, default: 12, bound: MAX_STEPS }),
    step: durationFlag({ description: 'measured time of each step', default: 10_000, defaultHelp: async () => '10s' }),
    warmup: durationFlag({ description: 'warm-up before each step (discarded)', default: 2_000, allowZero: true, defaultHelp: async () => '2s' }),
    rate: rateFlag({ description: 'writes per second while the listener count varies', default: 1000, bound: rateBoundFor(BOUNDS.writers.max) }),
    listeners: positiveIntFlag({ description: `listeners while the rate varies; ${describeBound(BOUNDS.listeners)}`, default: 1, bound: BOUNDS.listeners }),
    writers: positiveIntFlag({ description: `writer threads sharing the rate; ${describeBound(BOUNDS.writers)}`, default: 1, bound: BOUNDS.writers }),
    'batch-size': positiveIntFlag({ description: 'events per change-stream getMore (default: the server’s)', bound: BOUNDS.batchSize }),
    'full-document': Flags.boolean({ description: "listeners ask for fullDocument: 'updateLookup'", default: false }),
    mix: Flags.string({ helpValue: '<mix>', description: 'operation mix, e.g. "familiar:3,a-update" (default: the original four kinds)' }),
    'stagger-threshold': staggerThresholdFlag(),
    'report-dir': Flags.string({ helpValue: '<dir>', description: 'directory for the report files', default: 'reports' }),
  };

  async run(): Promise<{ files: WrittenCapacity; report: CapacityReport }> {
    const { flags } = await this.parse(BenchCapacity);
    const vary = flags.vary as 'rate' | 'listeners';
    const factor = Number(flags.factor);
    if (!(factor > 1 && factor <= FACTOR.max)) throw new UserError(`--factor: got "${flags.factor}"; above 1 and ${describeBound(FACTOR)}`, 2);
    const bound = vary === 'rate' ? rateBoundFor(flags.writers).max : BOUNDS.listeners.max;
    const max = flags.max ?? (vary === 'rate' ? Math.min(20_000, bound) : bound);
    if (max > bound) throw new UserError(`--max: got ${max}; ${vary === 'rate' ? describeBound(rateBoundFor(flags.writers)) : describeBound(BOUNDS.listeners)}`, 2);
    const start = flags.start ?? (vary === 'rate' ? 100 : 1);
    if (start > max) throw new UserError(`--start ${start} is above --max ${max}`, 2);
    const search: CapacitySearch = { start, max, factor, precision: flags.precision / 100, maxSteps: flags['max-steps'], integer: true };
    const json = this.jsonEnabled();
    await requireWritableDir(flags['report-dir'], 'the report');
    const startedAt = new Date();

    const { steps, interrupted } = await runSteps({
      base: {
        uri: flags.uri?.trim() || undefined, db: flags.db, coll: flags.collection,
        rate: flags.rate, listeners: flags.listeners, writers: flags.writers,
        durationMs: flags.step, warmupMs: flags.warmup, fullDocument: flags['full-document'], mix: flags.mix,
        staggerThresholdMs: flags['stagger-threshold'], signal: this.stopSignal,
        ...(flags['batch-size'] !== undefined ? { batchSize: flags['batch-size'] } : {}),
      },
      variable: vary,
      plan: capacityPlan(search),
      thresholds: flags.slo,
      onStep: ({ value, index }) => {
        if (!json) process.stderr.write(`step ${index}: ${vary === 'rate' ? `${formatRate(value)} writes/s` : `${value} listeners`}…\n`);
      },
    });
    if (steps.length === 0) throw new UserError('stopped before the first step ended: nothing to report', 130);
    const knee = findKnee(steps, search, interrupted);
    const report: CapacityReport = {
      format: CAPACITY_FORMAT,
      version: 1,
      vary,
      slo: flags.slo.map((t) => t.expression),
      search,
      knee,
      stepDurationMs: flags.step,
      warmupMs: flags.warmup,
      target: steps[0]!.report.target,
      startedAt: startedAt.toISOString(),
      endedAt: new Date().toISOString(),
      steps: steps.map(stepRow),
    };
    const files = await this.writing(() => writeCapacityReport(report, flags['report-dir'], defaultReportName(startedAt).replace(/^latency-/, 'capacity-')));
    if (!json) {
      this.log(renderStepsTable(report.steps, vary, { colour: colourEnabled(process.stdout) }));
      this.log(kneeText(report));
      this.log(`\nreport: ${Object.values(files).join(', ')}`);
    }
    if (knee.value === null && !interrupted) process.exitCode = THRESHOLD_EXIT_CODE; // the SLO was never met
    return { files, report };
  }
}

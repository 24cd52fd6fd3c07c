import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { breaches, evaluateThresholds, THRESHOLD_EXIT_CODE } from '../../measure/thresholds.js';
import { parseHlog } from '../../report/hlog.js';
import type { LatencyReport } from '../../report/model.js';
import { readReportFile } from '../../report/read.js';
import { sliceReport } from '../../report/slice.js';
import { writeReport, type WrittenReport } from '../../report/write.js';
import { breachLines, renderReportSummary } from '../../render/latency-table.js';
import { colourEnabled } from '../../util/colour.js';
import { TickerCommand } from '../../util/command-base.js';
import { formatDuration } from '../../util/duration.js';
import { UserError } from '../../util/errors.js';
import { durationFlag, thresholdFlag } from '../../util/flags.js';

export default class ReportSlice extends TickerCommand {
  static override summary = 'Cut a time range out of a run into a new report.';

  static override description =
    'Reads the run\'s interval log (.hlog) and report (.json, beside it): the histograms of those seconds are added and the ' +
    'percentiles recomputed; the rate and the audit stay the whole run\'s.';

  static override examples = [
    { description: 'Seconds 10 to 20 of the measured window', command: '<%= config.bin %> report slice reports/latency-run.hlog --from 10s --to 20s' },
    { description: 'Gate the steady part of a run only', command: "<%= config.bin %> report slice reports/latency-run.json --from 5s --threshold 'endToEnd.p99<50ms'" },
  ];

  static override enableJsonFlag = true;

  static override args = {
    file: Args.string({ description: 'the run’s .hlog, or its .json (the other is found beside it)', required: true }),
  };

  static override flags = {
    from: durationFlag({ description: 'start of the range, from the start of the measured window', default: 0, allowZero: true, defaultHelp: async () => '0s' }),
    to: durationFlag({ description: 'end of the range (default: the end of the run)' }),
    'out-dir': Flags.string({ helpValue: '<dir>', description: 'directory for the slice report files (default: the source’s)' }),
    threshold: thresholdFlag({ description: "pass/fail limit on the slice, repeatable, as bench latency's (a breach exits 99)" }),
  };

  async run(): Promise<{ files: WrittenReport; report: LatencyReport }> {
    const { args, flags } = await this.parse(ReportSlice);
    const stem = args.file.replace(/\.(hlog|json)$/, '');
    if (stem === args.file) throw new UserError(`${args.file}: give the run's .hlog or .json file`);
    const [base, logText] = await Promise.all([readReportFile(`${stem}.json`), readText(`${stem}.hlog`)]);
    const log = parseHlog(logText);
    if (log.intervals.length === 0) throw new UserError(`${stem}.hlog holds no interval histogram`);
    const { report, intervals } = sliceReport(base, log, { fromMs: flags.from, toMs: flags.to ?? Number.MAX_SAFE_INTEGER }, basename(`${stem}.json`));
    if (flags.threshold?.length) report.thresholds = evaluateThresholds(flags.threshold, report);
    const offset = (at: string): string => formatDuration(Date.parse(at) - Date.parse(base.startedAt));
    const name = `${basename(stem)}-slice-${offset(report.startedAt)}-${offset(report.endedAt)}`;
    const files = await writeReport(report, flags['out-dir'] ?? dirname(args.file), name, intervals);
    const breached = breaches(report.thresholds);
    if (!this.jsonEnabled()) {
      this.log(renderReportSummary(report, { colour: colourEnabled(process.stdout) }));
      this.log(`\nwrote ${Object.values(files).join(', ')}`);
      for (const line of breachLines(breached)) process.stderr.write(`${line}\n`);
    }
    if (breached.length > 0) process.exitCode = THRESHOLD_EXIT_CODE;
    return { files, report };
  }
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file (runs since interval logs write one beside the report)' : code ?? (err as Error).message}`);
  }
}


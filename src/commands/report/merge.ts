import { Args, Flags } from '@oclif/core';
import { mergeProblem } from '../../report/consistency.js';
import { mergeReports } from '../../report/merge.js';
import { UserError } from '../../util/errors.js';
import type { LatencyReport } from '../../report/model.js';
import { readReportFile } from '../../report/read.js';
import { defaultReportName, writeReport, type WrittenReport } from '../../report/write.js';
import { renderReportSummary } from '../../render/latency-table.js';
import { colourEnabled } from '../../util/colour.js';
import { Interrupted, TickerCommand } from '../../util/command-base.js';

export default class ReportMerge extends TickerCommand {
  static override summary = 'Add saved latency reports of parts of one run and write the merged report files.';

  static override description =
    'Histograms and counts are added, percentiles recomputed. Parts must share the target and settings, overlap in time, ' +
    'and each come once; anything else is refused unless --force.';

  static override examples = [
    { description: 'Two machines drove the same cluster at the same time', command: '<%= config.bin %> report merge reports/latency-a.json reports/latency-b.json' },
    { description: 'Every part, into another directory, as JSON', command: '<%= config.bin %> report merge reports/run-*.json --out-dir reports/merged --json' },
  ];

  static override strict = false;
  static override enableJsonFlag = true;

  static override args = {
    reports: Args.string({ description: 'report JSON files to merge', required: true }),
  };

  static override flags = {
    'out-dir': Flags.string({ helpValue: '<dir>', description: 'directory for the merged report files', default: 'reports' }),
    force: Flags.boolean({ description: 'merge reports that are not parts of one run (other target or settings, other times, a part twice)', default: false }),
  };

  async run(): Promise<{ files: WrittenReport; report: LatencyReport }> {
    const { argv, flags } = await this.parse(ReportMerge);
    const paths = argv as string[];
    const reports = await Promise.all(paths.map((p) => readReportFile(p)));
    const problem = mergeProblem(reports, paths);
    if (problem && !flags.force) throw new UserError(`${problem} (--force merges them anyway)`);
    if (problem && !this.jsonEnabled()) process.stderr.write(`merging anyway (--force): ${problem}\n`);
    const report = mergeReports(reports, paths);
    if (this.stopSignal.aborted) throw new Interrupted(this.stoppedBy!, 'reading the reports');
    const files = await this.writing(() => writeReport(report, flags['out-dir'], defaultReportName().replace(/^latency-/, 'latency-merged-')));
    if (!this.jsonEnabled()) {
      this.log(renderReportSummary(report, { colour: colourEnabled(process.stdout) }));
      this.log(`\nwrote ${Object.values(files).join(', ')}`);
    }
    return { files, report };
  }
}

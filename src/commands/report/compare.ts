import { Args } from '@oclif/core';
import { compareReports, type ComparisonRow } from '../../report/compare.js';
import { settingDifferences } from '../../report/consistency.js';
import { readReportFile } from '../../report/read.js';
import { renderComparison } from '../../render/latency-table.js';
import { colourEnabled } from '../../util/colour.js';
import { TickerCommand } from '../../util/command-base.js';

export default class ReportCompare extends TickerCommand {
  static override summary = 'Compare the latency percentiles of two saved reports (new against base).';

  static override description = 'Names first the settings in which the two runs differ (rate, listeners, target ...), then compares the figures.';

  static override examples = [
    { description: 'Percentiles before and after a change', command: '<%= config.bin %> report compare reports/before.json reports/after.json' },
    { description: 'The same as data, with the differing settings', command: '<%= config.bin %> report compare reports/before.json reports/after.json --json' },
  ];

  static override enableJsonFlag = true;

  static override args = {
    base: Args.string({ description: 'the report to compare against', required: true }),
    new: Args.string({ description: 'the report being judged', required: true }),
  };

  async run(): Promise<{ base: string; new: string; differences: string[]; rows: ComparisonRow[] }> {
    const { args } = await this.parse(ReportCompare);
    const [base, next] = await Promise.all([readReportFile(args.base), readReportFile(args.new)]);
    const differences = settingDifferences(base, next);
    const rows = compareReports(base, next);
    if (!this.jsonEnabled()) {
      // Said first: figures of runs with other settings differ for that reason too.
      if (differences.length > 0) this.log(`the runs differ in: ${differences.join('; ')}\n`);
      this.log(renderComparison(rows, { colour: colourEnabled(process.stdout) }));
    }
    return { base: args.base, new: args.new, differences, rows };
  }
}

import { Args } from '@oclif/core';
import { compareReports, type ComparisonRow } from '../../report/compare.js';
import { readReportFile } from '../../report/read.js';
import { renderComparison } from '../../render/latency-table.js';
import { colourEnabled } from '../../util/colour.js';
import { TickerCommand } from '../../util/command-base.js';

export default class ReportCompare extends TickerCommand {
  static override description = 'Compare the latency percentiles of two saved reports (new against base)';

  static override examples = [
    '<%= config.bin %> report compare reports/before.json reports/after.json',
    '<%= config.bin %> report compare reports/before.json reports/after.json --json',
  ];

  static override enableJsonFlag = true;

  static override args = {
    base: Args.string({ description: 'the report to compare against', required: true }),
    new: Args.string({ description: 'the report being judged', required: true }),
  };

  async run(): Promise<{ base: string; new: string; rows: ComparisonRow[] }> {
    const { args } = await this.parse(ReportCompare);
    const [base, next] = await Promise.all([readReportFile(args.base), readReportFile(args.new)]);
    const rows = compareReports(base, next);
    if (!this.jsonEnabled()) this.log(renderComparison(rows, { colour: colourEnabled(process.stdout) }));
    return { base: args.base, new: args.new, rows };
  }
}

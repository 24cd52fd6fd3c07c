import { Flags, Args } from '@oclif/core';
import { basename, dirname, join } from 'node:path';
import { THRESHOLD_EXIT_CODE } from '../../measure/thresholds.js';
import { compareReports, DEFAULT_MARGIN, figureName, regressions, verdictRule, type ComparisonRow } from '../../report/compare.js';
import { renderCompareHtml } from '../../report/compare-html.js';
import { settingDifferences } from '../../report/consistency.js';
import { readReportFile } from '../../report/read.js';
import { renderComparison, verdictSummary } from '../../render/latency-table.js';
import { ensureDir, writeFileAtomic, WHY_NOT_WRITABLE } from '../../util/atomic-write.js';
import { colourEnabled } from '../../util/colour.js';
import { TickerCommand } from '../../util/command-base.js';
import { UserError } from '../../util/errors.js';

/** `--fail-on-regression`: k6's code for failed thresholds, as `bench latency --threshold` (errors exit 1 or 2). */
export const REGRESSION_EXIT_CODE = THRESHOLD_EXIT_CODE;
const MARGIN = { max: 1000, why: '(percent: a figure ten times worse is a regression under any margin)' };

export default class ReportCompare extends TickerCommand {
  static override summary = 'Compare two saved reports (new against base): a verdict per figure, and an HTML page of both runs overlaid.';

  static override description =
    'Names first the settings in which the two runs differ (rate, listeners, target ...), then judges each figure better, worse or ' +
    'within noise (a relative margin AND non-overlapping 95% intervals from the HdrHistogram counts; the rule is printed), and writes ' +
    `an HTML page with both runs' plots overlaid. --fail-on-regression exits ${REGRESSION_EXIT_CODE} when any figure is worse.`;

  static override examples = [
    { description: 'Percentiles before and after a change, with a verdict each and an HTML page', command: '<%= config.bin %> report compare reports/before.json reports/after.json' },
    { description: 'Gate CI: exit 99 when any figure got worse by more than 20% beyond noise', command: '<%= config.bin %> report compare base.json new.json --fail-on-regression --margin 20' },
    { description: 'The same as data, with the differing settings', command: '<%= config.bin %> report compare reports/before.json reports/after.json --json' },
  ];

  static override enableJsonFlag = true;

  static override args = {
    base: Args.string({ description: 'the report to compare against', required: true }),
    new: Args.string({ description: 'the report being judged', required: true }),
  };

  static override flags = {
    margin: Flags.string({ helpValue: '<percent>', description: `relative change a figure must exceed to be better or worse, percent; at most ${MARGIN.max}`, default: String(DEFAULT_MARGIN * 100) }),
    'fail-on-regression': Flags.boolean({ description: `exit ${REGRESSION_EXIT_CODE} when any figure is worse (after the page is written)`, default: false }),
    html: Flags.string({ helpValue: '<file>', description: 'where to write the HTML page (default: compare-<base>-vs-<new>.html beside the new report)' }),
  };

  async run(): Promise<{ base: string; new: string; differences: string[]; rows: ComparisonRow[]; rule: string; summary: string; html: string }> {
    const { args, flags } = await this.parse(ReportCompare);
    const margin = parseMargin(flags.margin);
    const [base, next] = await Promise.all([readReportFile(args.base), readReportFile(args.new)]);
    const differences = settingDifferences(base, next);
    const rows = compareReports(base, next, { margin });
    const rule = verdictRule(margin);
    const summary = verdictSummary(rows);
    const stem = (f: string) => basename(f).replace(/\.json$/, '');
    const html = flags.html ?? join(dirname(args.new), `compare-${stem(args.base)}-vs-${stem(args.new)}.html`);
    await this.writing(() => writePage(html, renderCompareHtml({ base: { name: args.base, report: base }, next: { name: args.new, report: next }, differences, rows, rule })));
    const worse = regressions(rows);
    if (!this.jsonEnabled()) {
      // Said first: figures of runs with other settings differ for that reason too.
      if (differences.length > 0) this.log(`the runs differ in: ${differences.join('; ')}\n`);
      this.log(renderComparison(rows, { colour: colourEnabled(process.stdout) }));
      this.log(`\nverdict: ${summary}`);
      this.log(`rule: ${rule}`);
      this.log(`\npage: ${html}`);
      if (flags['fail-on-regression']) for (const r of worse) process.stderr.write(`regression: ${figureName(r)} ${r.why}\n`);
    }
    if (flags['fail-on-regression'] && worse.length > 0) process.exitCode = REGRESSION_EXIT_CODE;
    return { base: args.base, new: args.new, differences, rows, rule, summary, html };
  }
}

function parseMargin(text: string): number {
  const value = Number(text.trim().replace(/%$/, ''));
  if (!(text.trim() !== '' && Number.isFinite(value) && value >= 0 && value <= MARGIN.max)) {
    throw new UserError(`--margin: got "${text}"; a percent from 0 to ${MARGIN.max} ${MARGIN.why}`, 2);
  }
  return value / 100;
}

async function writePage(path: string, html: string): Promise<void> {
  try {
    await ensureDir(dirname(path));
    await writeFileAtomic(path, html);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    throw new UserError(`cannot write ${path}: ${WHY_NOT_WRITABLE[code] ?? code}`);
  }
}

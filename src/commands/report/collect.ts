import { Flags } from '@oclif/core';
import { ControlStore, DEFAULT_CONTROL_DB } from '../../distributed/control.js';
import { collectRun } from '../../distributed/collect.js';
import { openClient } from '../../connect/client.js';
import { resolveUri } from '../../connect/uri.js';
import type { LatencyReport } from '../../report/model.js';
import { writeReport, type WrittenReport } from '../../report/write.js';
import { renderAgents } from '../../render/agents-table.js';
import { renderReportSummary } from '../../render/latency-table.js';
import { colourEnabled } from '../../util/colour.js';
import { TickerCommand } from '../../util/command-base.js';
import { thresholdFlag, uriFlag } from '../../util/flags.js';
import { breaches, evaluateThresholds, THRESHOLD_EXIT_CODE } from '../../measure/thresholds.js';
import { breachLines } from '../../render/latency-table.js';

export default class ReportCollect extends TickerCommand {
  static override description =
    'Merge the results a distributed run (bench latency --run) left in the control database into one report: a row per agent and the whole';

  static override summary = 'Merge the results of a distributed run into one report.';

  static override examples = [
    { description: 'The merged report of run nightly-1, from any machine that reaches the target', command: '<%= config.bin %> report collect --run nightly-1 --uri "$MONGODB_URI"' },
    { description: 'Into another directory, printing the report as JSON', command: '<%= config.bin %> report collect --run nightly-1 --out-dir reports/nightly --json' },
    { description: 'Judge the whole run against limits (exit 99 on a breach)', command: "<%= config.bin %> report collect --run nightly-1 --threshold 'endToEnd.p99<50ms' --threshold 'lost==0'" },
  ];

  static override enableJsonFlag = true;

  static override flags = {
    uri: uriFlag(),
    run: Flags.string({ helpValue: '<name>', description: 'the run name the agents were given', required: true }),
    'control-db': Flags.string({ helpValue: '<name>', description: 'database where the agents met', default: DEFAULT_CONTROL_DB }),
    'out-dir': Flags.string({ helpValue: '<dir>', description: 'directory for the merged report files', default: 'reports' }),
    threshold: thresholdFlag({ description: "pass/fail limit on the whole run, repeatable, as bench latency's (e.g. 'endToEnd.p99<50ms'); a breach exits 99" }),
  };

  async run(): Promise<{ files: WrittenReport; report: LatencyReport }> {
    const { flags } = await this.parse(ReportCollect);
    const client = await openClient(resolveUri(flags.uri), { appName: 'ticker-collect' });
    try {
      const { report, intervals } = await collectRun(new ControlStore(client, flags['control-db']), flags.run);
      if (flags.threshold?.length) report.thresholds = evaluateThresholds(flags.threshold, report);
      const files = await writeReport(report, flags['out-dir'], flags.run, intervals);
      if (!this.jsonEnabled()) {
        this.log(renderReportSummary(report, { colour: colourEnabled(process.stdout) }));
        if (report.distributed) this.log(`\n${renderAgents(report.distributed)}`);
        this.log(`\nwrote ${Object.values(files).join(', ')}`);
      }
      // The same verdict as the first agent's: a failed audit or a missing agent exits 1, a breach 99.
      const missing = report.distributed?.missing.map((m) => m.agent) ?? [];
      if (!report.ok) {
        if (!this.jsonEnabled()) process.stderr.write('Error: the audit failed: events were lost or duplicated (see the report)\n');
        process.exitCode = 1;
      } else if (missing.length > 0) {
        if (!this.jsonEnabled()) process.stderr.write(`Error: agent${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of run "${flags.run}" did not report: the merged report holds the others' results\n`);
        process.exitCode = 1;
      }
      const breached = breaches(report.thresholds);
      if (breached.length > 0) {
        if (!this.jsonEnabled()) for (const line of breachLines(breached)) process.stderr.write(`${line}\n`);
        if (!process.exitCode) process.exitCode = THRESHOLD_EXIT_CODE;
      }
      return { files, report };
    } finally {
      await client.close().catch(() => undefined);
    }
  }
}

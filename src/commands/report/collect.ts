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
import { uriFlag } from '../../util/flags.js';

export default class ReportCollect extends TickerCommand {
  static override description =
    'Merge the results a distributed run (bench latency --run) left in the control database into one report: a row per agent and the whole';

  static override examples = [
    '<%= config.bin %> report collect --run nightly-1 --uri "$MONGODB_URI"',
    '<%= config.bin %> report collect --run nightly-1 --out-dir reports/nightly --json',
  ];

  static override enableJsonFlag = true;

  static override flags = {
    uri: uriFlag(),
    run: Flags.string({ description: 'the run name the agents were given', required: true }),
    'control-db': Flags.string({ description: 'database where the agents met', default: DEFAULT_CONTROL_DB }),
    'out-dir': Flags.string({ description: 'directory for the merged report files', default: 'reports' }),
  };

  async run(): Promise<{ files: WrittenReport; report: LatencyReport }> {
    const { flags } = await this.parse(ReportCollect);
    const client = await openClient(resolveUri(flags.uri), { appName: 'ticker-collect' });
    try {
      const { report, intervals } = await collectRun(new ControlStore(client, flags['control-db']), flags.run);
      const files = await writeReport(report, flags['out-dir'], flags.run, intervals);
      if (!this.jsonEnabled()) {
        this.log(renderReportSummary(report, { colour: colourEnabled(process.stdout) }));
        if (report.distributed) this.log(`\n${renderAgents(report.distributed)}`);
        this.log(`\nwrote ${Object.values(files).join(', ')}`);
      }
      return { files, report };
    } finally {
      await client.close().catch(() => undefined);
    }
  }
}

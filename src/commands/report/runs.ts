import { Flags } from '@oclif/core';
import { ControlStore, DEFAULT_CONTROL_DB } from '../../distributed/control.js';
import { dropRun, listRuns, type RunRow } from '../../distributed/runs.js';
import { openClient } from '../../connect/client.js';
import { resolveUri } from '../../connect/uri.js';
import { renderRuns } from '../../render/agents-table.js';
import { TickerCommand } from '../../util/command-base.js';
import { uriFlag } from '../../util/flags.js';

export default class ReportRuns extends TickerCommand {
  static override description = 'List the distributed runs kept in the control database, or remove one with --drop';

  static override summary = 'List or remove the distributed runs kept on the target.';

  static override examples = [
    { description: 'The runs in the control database, newest first', command: '<%= config.bin %> report runs --uri "$MONGODB_URI"' },
    { description: 'Remove one (its registrations, results and audit sets)', command: '<%= config.bin %> report runs --drop nightly-1' },
  ];

  static override enableJsonFlag = true;

  static override flags = {
    uri: uriFlag(),
    'control-db': Flags.string({ helpValue: '<name>', description: 'database where the agents met', default: DEFAULT_CONTROL_DB }),
    drop: Flags.string({ helpValue: '<run>', description: 'remove this run (its registrations, results and audit sets)' }),
    force: Flags.boolean({ description: 'with --drop: remove a run that is still live', dependsOn: ['drop'] }),
  };

  async run(): Promise<{ runs: RunRow[] } | { dropped: string; documents: number }> {
    const { flags } = await this.parse(ReportRuns);
    const client = await openClient(resolveUri(flags.uri), { appName: 'ticker-runs' });
    try {
      const store = new ControlStore(client, flags['control-db']);
      if (flags.drop !== undefined) {
        const documents = await dropRun(store, flags.drop, flags.force === true);
        if (!this.jsonEnabled()) this.log(`removed run "${flags.drop}" (${documents} documents)`);
        return { dropped: flags.drop, documents };
      }
      const runs = await listRuns(store);
      if (!this.jsonEnabled()) this.log(renderRuns(runs));
      return { runs };
    } finally {
      await client.close().catch(() => undefined);
    }
  }
}

import { Flags } from '@oclif/core';
import { nextStopSignal, runForegroundServer, type ServerRunSummary } from '../embedded/cli-server.js';
import { DEFAULT_OPLOG_ENTRIES, DEFAULT_PORT, DEFAULT_REPLICA_SET, type EmbeddedServerOptions } from '../embedded/index.js';
import { TickerCommand } from '../util/command-base.js';
import { positiveIntFlag } from '../util/flags.js';

/** The flags of `ticker server`; each maps to one field of EmbeddedServerOptions in `serverOptions`. */
export const serverFlags = {
  port: Flags.integer({ description: 'TCP port to listen on (0 picks a free one and prints it)', default: DEFAULT_PORT, min: 0, max: 65535 }),
  host: Flags.string({ description: 'address to bind (0.0.0.0 for every interface; the machine name is then advertised)', default: '127.0.0.1' }),
  'replica-set': Flags.string({ description: 'replica-set name the server reports (setName)', default: DEFAULT_REPLICA_SET }),
  'oplog-size': positiveIntFlag({ description: 'oplog entries kept; resuming a change stream from before the oldest fails with ChangeStreamHistoryLost', default: DEFAULT_OPLOG_ENTRIES }),
};

type ServerFlags = { port: number; host: string; 'replica-set': string; 'oplog-size': number };

export function serverOptions(flags: ServerFlags): EmbeddedServerOptions {
  return { port: flags.port, host: flags.host, replicaSet: flags['replica-set'], oplogEntries: flags['oplog-size'] };
}

export default class Server extends TickerCommand {
  static override description =
    'Run the embedded in-memory MongoDB 7.0 replica-set primary in the foreground: prints the connection string, logs malformed connections to stderr, stops on Ctrl-C';

  static override examples = [
    '<%= config.bin %> server',
    '<%= config.bin %> server --port 27018 --replica-set rs1',
    '<%= config.bin %> server --port 0 --oplog-size 100000',
    'URI=$(<%= config.bin %> server --port 0 | head -1)',
  ];

  static override flags = serverFlags;

  async run(): Promise<ServerRunSummary> {
    const { flags } = await this.parse(Server);
    return runForegroundServer(serverOptions(flags), {
      out: (line) => this.log(line),
      err: (line) => process.stderr.write(`${line}\n`),
      stopSignal: nextStopSignal(),
    });
  }
}

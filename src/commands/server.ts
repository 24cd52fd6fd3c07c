import { Flags } from '@oclif/core';
import { DEFAULT_OPLOG_ENTRIES, DEFAULT_PORT, DEFAULT_REPLICA_SET, parseAuthSpec } from '../embedded/index.js';
import { parseFault } from '../server/fault-spec.js';
import { runForegroundServer, type ForegroundServerOptions, type ServerRunSummary } from '../server/foreground.js';
import { asUserError, UserError } from '../util/errors.js';
import { TickerCommand } from '../util/command-base.js';
import { BOUNDS, describeBound } from '../util/bounds.js';
import { formatDuration } from '../util/duration.js';
import { durationFlag, portFlag, positiveIntFlag, wholeNumberFlag } from '../util/flags.js';

/** The flags of `ticker server`; each maps to one field of ForegroundServerOptions in `serverOptions`. */
export const serverFlags = {
  port: portFlag({ description: 'TCP port to listen on (0 picks a free one and prints it)', default: DEFAULT_PORT }),
  host: Flags.string({ helpValue: '<address>', description: 'address to bind (0.0.0.0 for every interface needs --auth, or --insecure-bind)', default: '127.0.0.1' }),
  'replica-set': Flags.string({ helpValue: '<name>', description: 'replica-set name the server reports (setName)', default: DEFAULT_REPLICA_SET }),
  'oplog-size': positiveIntFlag({ description: `oplog entries kept (per shard with --sharded); resuming from before the oldest fails with ChangeStreamHistoryLost; ${describeBound(BOUNDS.oplogSize)}`, default: DEFAULT_OPLOG_ENTRIES, bound: BOUNDS.oplogSize }),
  auth: Flags.string({ helpValue: '<user:password>', description: 'require SCRAM-SHA-256 authentication as this user (user:password, a root user in admin)' }),
  'insecure-bind': Flags.boolean({ description: 'allow binding a non-loopback address without --auth', default: false }),
  standalone: Flags.boolean({ description: 'answer as a standalone mongod, without change streams (to see how clients refuse one)', default: false }),
  sharded: Flags.boolean({ description: 'run a mongos in front of in-memory shards instead of a replica-set primary', default: false }),
  shards: positiveIntFlag({ description: `number of shards (with --sharded); ${describeBound(BOUNDS.shards)}`, default: 3, bound: BOUNDS.shards }),
  'noop-interval': durationFlag({ description: `each idle shard's periodic no-op interval, as periodicNoopIntervalSecs (with --sharded); ${describeBound(BOUNDS.noopInterval, formatDuration)}`, default: 10_000, max: BOUNDS.noopInterval }),
  routers: positiveIntFlag({ description: `number of mongos routers in front of the same shards (with --sharded); the connection string names them all; ${describeBound(BOUNDS.routers)}`, default: 1, bound: BOUNDS.routers }),
  'shard-ports': Flags.boolean({ description: 'also give each shard a port of its own, to look at one shard directly (with --sharded)', default: false }),
  fault: Flags.string({ helpValue: '<fault>', description: 'a fault to inject again and again: drop, stepdown[:2s], pause[:1s] or restart[:200ms] (repeatable)', multiple: true }),
  'fault-every': durationFlag({ description: 'time between injected faults (with --fault)', default: 10_000 }),
  'fault-seed': wholeNumberFlag({ description: 'seed of the fault sequence (with --fault)', default: 1, bound: BOUNDS.seed }),
};

type ServerFlags = {
  port: number; host: string; 'replica-set': string; 'oplog-size': number; auth?: string; 'insecure-bind': boolean;
  standalone: boolean; sharded: boolean; shards: number; routers: number; 'noop-interval': number; 'shard-ports': boolean;
  fault?: string[]; 'fault-every': number; 'fault-seed': number;
};

export function serverOptions(flags: ServerFlags): ForegroundServerOptions {
  // A mongos and a standalone have no replica set: refuse flags they would silently ignore.
  if (flags.sharded && flags.standalone) throw new UserError('--sharded and --standalone exclude each other: choose one', 2);
  if (flags.routers !== 1 && !flags.sharded) throw new UserError('--routers is the number of mongos routers of --sharded; a replica-set primary has none', 2);
  if (flags['replica-set'] !== DEFAULT_REPLICA_SET && (flags.sharded || flags.standalone)) {
    throw new UserError(`--replica-set names the set of a replica-set primary; a ${flags.sharded ? 'mongos (--sharded)' : 'standalone'} has none`, 2);
  }
  return {
    port: flags.port,
    host: flags.host,
    replicaSet: flags['replica-set'],
    oplogEntries: flags['oplog-size'],
    auth: flags.auth === undefined ? undefined : asUserError(() => parseAuthSpec(flags.auth!)),
    allowUnauthenticatedRemote: flags['insecure-bind'],
    standalone: flags.standalone,
    sharded: flags.sharded ? { shards: flags.shards, routers: flags.routers, noopIntervalMs: flags['noop-interval'], shardPorts: flags['shard-ports'] } : undefined,
    faults: flags.fault?.length
      ? { faults: flags.fault.map((spec) => asUserError(() => parseFault(spec))), everyMs: flags['fault-every'], seed: flags['fault-seed'] }
      : undefined,
  };
}

export default class Server extends TickerCommand {
  static override summary = 'Run the embedded in-memory MongoDB 7.0 server in the foreground.';

  static override description =
    'A replica-set primary, or with --sharded a mongos in front of shards. Prints the connection string alone on stdout, ' +
    'logs malformed connections to stderr, stops on Ctrl-C with a summary.';

  static override examples = [
    { description: 'A replica-set primary on 127.0.0.1:27017', command: '<%= config.bin %> server' },
    { description: 'Another port and set name', command: '<%= config.bin %> server --port 27018 --replica-set rs1' },
    { description: 'A free port and a smaller oplog', command: '<%= config.bin %> server --port 0 --oplog-size 100000' },
    { description: 'A mongos in front of three shards', command: '<%= config.bin %> server --sharded --shards 3 --noop-interval 10s' },
    { description: 'Two mongos routers (ports 27017 and 27018) in front of the same shards', command: '<%= config.bin %> server --sharded --routers 2' },
    { description: 'Reachable from other machines, with a user', command: '<%= config.bin %> server --auth admin:secret --host 0.0.0.0' },
    { description: 'Inject faults again and again', command: '<%= config.bin %> server --fault stepdown:2s --fault drop --fault-every 15s' },
    {
      description: 'In a script: start it in the background and read its connection string from a file',
      command: '<%= config.bin %> server --port 0 > server.uri & sleep 1; URI=$(head -1 server.uri)',
    },
  ];

  static override flags = serverFlags;

  async run(): Promise<ServerRunSummary> {
    const { flags } = await this.parse(Server);
    return runForegroundServer(serverOptions(flags), {
      out: (line) => this.log(line),
      err: (line) => process.stderr.write(`${line}\n`),
      stopSignal: this.stopped(),
    });
  }
}

import {
  dataSummary, FaultPlan, SERVER_VERSION, startEmbeddedServer, startShardedServer,
  type EmbeddedServer, type EmbeddedServerOptions, type Fault, type ShardedServerFlags,
} from '../embedded/index.js';
import { UserError } from '../util/errors.js';

/** What `ticker server` needs besides the server's own options. */
export interface ForegroundIo {
  /** The connection string goes here, alone on its line (so scripts can read it). */
  out: (line: string) => void;
  /** Banner, malformed-connection log lines and the summary. */
  err: (line: string) => void;
  /** Resolves when the server should stop (Ctrl-C, SIGTERM); the name of the reason. */
  stopSignal: Promise<string>;
}

export interface ServerRunSummary {
  uri: string;
  stoppedBy: string;
  uptimeMs: number;
  databases: number;
  collections: number;
  documents: number;
  oplogEntries: number;
}

/** A started server, whichever kind: how to reach it, what to say about it, how to stop it. */
interface RunningServer {
  uri: string;
  banner: string[];
  contents(): Pick<ServerRunSummary, 'databases' | 'collections' | 'documents' | 'oplogEntries'>;
  stop(): Promise<void>;
}

export interface ForegroundServerOptions extends EmbeddedServerOptions {
  /** Start a mongos in front of in-memory shards instead of a replica-set primary. */
  sharded?: Omit<ShardedServerFlags, 'host' | 'port' | 'oplogEntries' | 'log'>;
  /** Faults to inject again and again (replica set only): the kinds and durations to draw from. */
  faults?: { faults: Fault[]; everyMs: number; seed: number };
}

/** Starts the embedded server, prints how to connect, serves until `stopSignal`, stops and summarises. */
export async function runForegroundServer(options: ForegroundServerOptions, io: ForegroundIo): Promise<ServerRunSummary> {
  const started = Date.now();
  const running = options.sharded ? await startSharded(options, io) : await startReplicaSet(options, io);
  for (const line of running.banner) io.err(line);
  io.out(running.uri);
  const stoppedBy = await io.stopSignal;
  const summary = { uri: running.uri, stoppedBy, uptimeMs: Date.now() - started, ...running.contents() };
  await running.stop();
  io.err(renderSummary(summary));
  return summary;
}

async function startReplicaSet(options: ForegroundServerOptions, io: ForegroundIo): Promise<RunningServer> {
  const server = await startOrExplain({ ...options, log: (line) => io.err(line) });
  const bound = server.host.includes(':') ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
  const banner = [`in-memory MongoDB ${SERVER_VERSION} ${options.standalone ? 'standalone mongod (no replica set: no change streams)' : `replica-set primary (set ${server.server.topology.options.replicaSet})`} listening on ${bound}${options.auth ? ' with SCRAM-SHA-256 authentication' : ''}; Ctrl-C stops it`];
  let plan: FaultPlan | undefined;
  if (options.faults) {
    const { faults, everyMs, seed } = options.faults;
    plan = new FaultPlan(server.server.faults, {
      seed,
      intervalMs: [everyMs, everyMs],
      kinds: faults.map((f) => f.kind),
      durationMs: Object.fromEntries(faults.map((f) => [f.kind, [f.durationMs, f.durationMs]])),
      onFault: (fault, at) => io.err(`${at.toISOString()} fault: ${fault.kind}${fault.durationMs ? ` for ${fault.durationMs} ms` : ''}`),
    }).start();
    banner.push(`injecting ${faults.map((f) => f.kind).join('/')} every ${everyMs / 1000} s (seed ${seed})`);
  }
  return {
    uri: server.uri,
    banner,
    contents: () => dataSummary([server.server.node]),
    stop: async () => {
      await plan?.stop();
      await server.stop();
    },
  };
}

async function startSharded(options: ForegroundServerOptions, io: ForegroundIo): Promise<RunningServer> {
  if (options.auth) throw new UserError('--auth is not supported with --sharded: the embedded sharded cluster runs without authentication', 2);
  if (options.faults) throw new UserError('--fault applies to the replica-set server, not to --sharded', 2);
  const handle = await explainListenErrors(options, () => startShardedServer({
    ...options.sharded, host: options.host, port: options.port, oplogEntries: options.oplogEntries, log: (line) => io.err(line),
  }));
  return {
    uri: handle.cluster.routers.length === 1 ? handle.cluster.uri : handle.cluster.multiUri,
    banner: handle.lines,
    contents: () => dataSummary(handle.cluster.shards.map((s) => s.node)),
    stop: () => handle.stop(),
  };
}

function startOrExplain(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  return explainListenErrors(options, () => startEmbeddedServer(options));
}

/** Runs `start`, turning the usual reasons a listener cannot start into one line for the user. */
async function explainListenErrors<T>(options: EmbeddedServerOptions, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const where = `${options.host ?? '127.0.0.1'}:${options.port ?? 27017}`;
    if (e.code === 'EADDRINUSE') throw new UserError(`port ${options.port} is already in use on ${options.host ?? '127.0.0.1'} (another mongod or ticker server?): choose another with --port`);
    if (e.code === 'EACCES') throw new UserError(`not allowed to listen on ${where}: ports below 1024 need privileges; choose another with --port`);
    if (e.code === 'EADDRNOTAVAIL') throw new UserError(`cannot listen on ${where}: ${options.host} is not an address of this machine`);
    if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') throw new UserError(`cannot listen on ${where}: unknown host ${options.host}`);
    if (/^refusing to bind/.test(e.message ?? '')) throw new UserError(e.message);
    throw err;
  }
}

export function renderSummary(s: ServerRunSummary): string {
  const n = (v: number) => v.toLocaleString('en-US');
  return `stopped (${s.stoppedBy}) after ${(s.uptimeMs / 1000).toFixed(1)} s: ${n(s.databases)} databases, ${n(s.collections)} collections, `
    + `${n(s.documents)} documents, ${n(s.oplogEntries)} oplog entries (all in memory, now gone)`;
}

/** Resolves with the first of SIGINT/SIGTERM, then stops listening for them. */
export function nextStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

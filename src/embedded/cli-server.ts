import { UserError } from '../util/errors.js';
import { startEmbeddedServer, type EmbeddedServer, type EmbeddedServerOptions } from './index.js';
import { SERVER_VERSION } from './commands/hello.js';

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

/** Starts the embedded server, prints how to connect, serves until `stopSignal`, stops and summarises. */
export async function runForegroundServer(options: EmbeddedServerOptions, io: ForegroundIo): Promise<ServerRunSummary> {
  const started = Date.now();
  const server = await startOrExplain({ ...options, log: (line) => io.err(line) });
  const bound = server.host.includes(':') ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
  io.err(`in-memory MongoDB ${SERVER_VERSION} replica-set primary (set ${server.server.topology.options.replicaSet}) listening on ${bound}; Ctrl-C stops it`);
  io.out(server.uri);
  const stoppedBy = await io.stopSignal;
  const summary = summarise(server, stoppedBy, Date.now() - started);
  await server.stop();
  io.err(renderSummary(summary));
  return summary;
}

async function startOrExplain(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  try {
    return await startEmbeddedServer(options);
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

function summarise(server: EmbeddedServer, stoppedBy: string, uptimeMs: number): ServerRunSummary {
  const { catalog, oplog } = server.server.node;
  let collections = 0;
  let documents = 0;
  for (const db of catalog.databases.values()) {
    for (const c of db.values()) {
      collections++;
      documents += c.docs.size;
    }
  }
  return { uri: server.uri, stoppedBy, uptimeMs, databases: catalog.databases.size, collections, documents, oplogEntries: oplog.size };
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

import { WireServer } from './server.js';

export interface EmbeddedServerOptions {
  /** Address to bind; 127.0.0.1 unless told otherwise. */
  host?: string;
  /** 27017 by default; 0 picks a free port (tests). */
  port?: number;
  replicaSet?: string;
  /** How many oplog entries are kept; resuming from before the oldest fails with ChangeStreamHistoryLost. */
  oplogEntries?: number;
  log?: (line: string) => void;
}

export const DEFAULT_OPLOG_ENTRIES = 1_000_000;

export interface EmbeddedServer {
  /** The connection string a client should use. */
  readonly uri: string;
  readonly host: string;
  readonly port: number;
  /** The wire server, for tests and fault injection. */
  readonly server: WireServer;
  stop(): Promise<void>;
}

/** Starts an in-memory MongoDB 7.0 replica-set primary (set `rs0` by default). */
export async function startEmbeddedServer(options: EmbeddedServerOptions = {}): Promise<EmbeddedServer> {
  const host = options.host ?? '127.0.0.1';
  const replicaSet = options.replicaSet ?? 'rs0';
  const server = new WireServer({
    host,
    port: options.port ?? 27017,
    replicaSet,
    oplogEntries: options.oplogEntries ?? DEFAULT_OPLOG_ENTRIES,
    log: options.log,
  });
  await server.listen();
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    uri: `mongodb://${shownHost}:${server.port}/?replicaSet=${encodeURIComponent(replicaSet)}`,
    host,
    port: server.port,
    server,
    stop: () => server.close(),
  };
}

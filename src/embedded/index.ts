import os from 'node:os';
import type { DataNode } from './data-node.js';
import { DEFAULT_OPLOG_ENTRIES, DEFAULT_PORT, DEFAULT_REPLICA_SET } from './defaults.js';
import type { WireServer, WireServerOptions } from './server.js';
import type { ShardedServerFlags, ShardedServerHandle } from './sharded/cli.js';

// The server's public surface: what the harness (the `server` command, benches, scripts) may use.
export { SERVER_VERSION } from './commands/hello.js';
export { parseAuthSpec, type AuthCredentials } from './auth/index.js';
export { DEFAULT_FAULT_MS, FAULT_KINDS, FaultPlan, type Fault, type FaultKind, type FaultPlanOptions } from './faults.js';
export type { ShardedServerFlags, ShardedServerHandle };

// The wire server and the sharded cluster are loaded on first start, not with this module: every CLI
// command imports it (for its defaults) and the server with its query engine is most of what a command
// would otherwise load at start-up.
export async function startShardedServer(flags: ShardedServerFlags = {}): Promise<ShardedServerHandle> {
  const sharded = await import('./sharded/cli.js');
  return sharded.startShardedServer(flags);
}

export interface EmbeddedServerOptions {
  /** Address to bind; 127.0.0.1 unless told otherwise. */
  host?: string;
  /** 27017 by default; 0 picks a free port (tests). */
  port?: number;
  replicaSet?: string;
  /** Answer as a standalone mongod (no replica set, so no change streams), to see how clients refuse one. */
  standalone?: boolean;
  /** How many oplog entries are kept; resuming from before the oldest fails with ChangeStreamHistoryLost. */
  oplogEntries?: number;
  /**
   * The host name the server gives drivers in `hello.me`/`hosts`/`primary` (and puts in `uri`). By default
   * the bound address, except a wildcard bind (0.0.0.0, ::), which is not connectable: then os.hostname().
   */
  advertiseHost?: string;
  /** Require SCRAM-SHA-256 authentication as this one user. */
  auth?: WireServerOptions['auth'];
  /** Bind a non-loopback address without auth. */
  allowUnauthenticatedRemote?: boolean;
  log?: (line: string) => void;
}

export { DEFAULT_OPLOG_ENTRIES, DEFAULT_PORT, DEFAULT_REPLICA_SET };

export interface EmbeddedServer {
  /** The connection string a client should use. */
  readonly uri: string;
  /** The bound address. */
  readonly host: string;
  /** The host name drivers are told to use (hello.me). */
  readonly advertisedHost: string;
  readonly port: number;
  /** The wire server, for tests and fault injection. */
  readonly server: WireServer;
  stop(): Promise<void>;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

/** The connectable name for a bind address: the address itself, or this machine's name for a wildcard. */
export function advertisedHostFor(bindHost: string): string {
  return WILDCARDS.has(bindHost) ? os.hostname() : bindHost;
}

/** `host:port` as it appears in a connection string and in `hello.hosts` (IPv6 literals in brackets). */
export function hostAndPort(host: string, port: number): string {
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

/** Starts an in-memory MongoDB 7.0 replica-set primary (set `rs0` by default). */
export async function startEmbeddedServer(options: EmbeddedServerOptions = {}): Promise<EmbeddedServer> {
  const host = options.host ?? '127.0.0.1';
  const replicaSet = options.replicaSet ?? DEFAULT_REPLICA_SET;
  const { WireServer } = await import('./server.js');
  const server: WireServer = new WireServer({
    host,
    port: options.port ?? DEFAULT_PORT,
    replicaSet,
    role: options.standalone ? 'standalone' : 'replicaSetPrimary',
    oplogEntries: options.oplogEntries ?? DEFAULT_OPLOG_ENTRIES,
    log: options.log,
    auth: options.auth,
    allowUnauthenticatedRemote: options.allowUnauthenticatedRemote,
  });
  await server.listen();
  const advertised = options.advertiseHost ?? advertisedHostFor(host);
  // hello.me/hosts/primary come from the topology's host: drivers must be able to connect to that name.
  server.topology.options.host = advertised.includes(':') && !advertised.startsWith('[') ? `[${advertised}]` : advertised;
  return {
    uri: `mongodb://${hostAndPort(advertised, server.port)}/${options.standalone ? '' : `?replicaSet=${encodeURIComponent(replicaSet)}`}`,
    host,
    advertisedHost: advertised,
    port: server.port,
    server,
    stop: () => server.close(),
  };
}

/** How much data the given nodes hold (the `server` command's summary at exit). */
export function dataSummary(nodes: readonly DataNode[]): { databases: number; collections: number; documents: number; oplogEntries: number } {
  const databases = new Set<string>();
  let collections = 0;
  let documents = 0;
  let oplogEntries = 0;
  for (const { catalog, oplog } of nodes) {
    oplogEntries += oplog.size;
    for (const [name, db] of catalog.databases) {
      databases.add(name);
      for (const c of db.values()) {
        collections++;
        documents += c.docs.size;
      }
    }
  }
  return { databases: databases.size, collections, documents, oplogEntries };
}

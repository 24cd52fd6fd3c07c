import type { Document, Timestamp } from 'bson';
import type { CommandTable } from '../commands/context.js';
import { DEFAULT_OPLOG_ENTRIES } from '../defaults.js';
import { sessionHex } from '../transactions/sessions.js';
import { WireServer } from '../server.js';
import { RouterNode, ShardingCatalog } from './cluster.js';
import { routerCommands, type RouterContext } from './router.js';
import { Shard } from './shard.js';
import { ShardedTransaction } from './transaction.js';

export interface ShardedClusterOptions {
  /** Address to bind; 127.0.0.1 unless told otherwise. */
  host?: string;
  /** The router's port: 27017 by default, 0 picks a free one (tests). */
  port?: number;
  /** Number of shards (default 3). */
  shards?: number;
  /** Each shard's periodic no-op interval (`periodicNoopIntervalSecs`), default 10 s; 0 turns it off. */
  noopIntervalMs?: number;
  /** How long the router's getMore on a shard waits before answering empty (a mongos uses 1 s). */
  shardWaitMs?: number;
  /** Oplog entries kept per shard. */
  oplogEntries?: number;
  /** Also listen on a port per shard (as a shard's mongod), so tools can look at one shard directly. */
  shardPorts?: boolean;
  /**
   * Routers (mongoses) in front of the same shards, 1 by default; the others take the next ports (any free
   * port when `port` is 0). Each has its own connections, cursors, sessions and fail points, as separate
   * mongos processes do; a commit retried on another router with the transaction's recoveryToken finds the
   * transaction's outcome, and killAllSessions/killSessions on any router reach every router's transactions.
   */
  routers?: number;
  log?: (line: string) => void;
}

export interface ShardedCluster {
  /** The connection string of the router. */
  readonly uri: string;
  readonly host: string;
  readonly port: number;
  /** The in-process shards (data node, oplog, clock, no-op writer). */
  readonly shards: readonly Shard[];
  /** The router's wire server (mongos); the first of `routers`. */
  readonly router: WireServer;
  /** Every router, in the order of `uris`. */
  readonly routers: readonly WireServer[];
  /** One connection string per router (`uri` is the first's); `multiUri` names them all (useMultipleMongoses). */
  readonly uris: readonly string[];
  readonly multiUri: string;
  /** The config server's state: databases, sharded collections, chunk maps. */
  readonly sharding: ShardingCatalog;
  stop(): Promise<void>;
}

export const DEFAULT_NOOP_INTERVAL_MS = 10_000;
export const SHARD_GETMORE_WAIT_MS = 1_000;
/** Transactions a router can still recover by recoveryToken (the oldest are forgotten). */
const RECOVERABLE_TRANSACTIONS = 10_000;

/**
 * Starts an in-memory sharded cluster: a mongos-like router in front of `shards` in-process shards,
 * each with its own oplog, its own cluster clock and a periodic no-op writer.
 */
export async function startShardedCluster(options: ShardedClusterOptions = {}): Promise<ShardedCluster> {
  const host = options.host ?? '127.0.0.1';
  const count = options.shards ?? 3;
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new RangeError(`shards must be a whole number from 1 to 64, got ${count}`);
  const oplogEntries = options.oplogEntries ?? DEFAULT_OPLOG_ENTRIES;
  const shards = Array.from({ length: count }, (_, i) => new Shard(i, `shard${i}`, count, oplogEntries));
  const routerCount = options.routers ?? 1;
  if (!Number.isInteger(routerCount) || routerCount < 1 || routerCount > 16) throw new RangeError(`routers must be a whole number from 1 to 16, got ${routerCount}`);
  const routerNode = new RouterNode(() => shards);
  const sharding = new ShardingCatalog(shards, () => routerNode.clock.now());
  const routers: WireServer[] = [];
  // The cluster's transactions by session and number: what a recovery shard would tell another router.
  const transactions = new Map<string, ShardedTransaction>();
  const begin = (lsid: Document, txnNumber: number, readTs: Timestamp | undefined) => {
    const transaction = new ShardedTransaction(shards, routerNode, lsid, txnNumber, readTs);
    transactions.set(`${sessionHex(lsid)}:${txnNumber}`, transaction);
    if (transactions.size > RECOVERABLE_TRANSACTIONS) transactions.delete(transactions.keys().next().value as string);
    return transaction;
  };
  const recover = (lsid: Document, txnNumber: number) => transactions.get(`${sessionHex(lsid)}:${txnNumber}`);
  const onEveryRouter = (apply: (server: WireServer) => void): Document => {
    for (const r of routers) apply(r);
    return { ok: 1 };
  };
  for (let i = 0; i < routerCount; i++) {
    const port = options.port === 0 ? 0 : (options.port ?? 27017) + i;
    const context: RouterContext = {
      shards,
      sharding,
      clusterTime: () => routerNode.clock.now(),
      stream: { shardWaitMs: options.shardWaitMs ?? SHARD_GETMORE_WAIT_MS, bufferLimit: 10_000 },
      address: () => routers[i]?.topology.address ?? `${host}:${port}`,
    };
    const commands: CommandTable = {
      ...routerCommands(context),
      killAllSessions: () => onEveryRouter((r) => r.sessions.killAll()),
      killSessions: (cmd) => onEveryRouter((r) => r.sessions.endSessions(Array.isArray(cmd.killSessions) ? cmd.killSessions : [])),
    };
    routers.push(new WireServer({
      host, port, replicaSet: '', oplogEntries: 1, role: 'mongos', commands, log: options.log, beginTransaction: begin, recoverTransaction: recover,
    }, routerNode));
  }
  try {
    if (options.shardPorts) {
      for (const shard of shards) {
        shard.server = new WireServer({ host, port: 0, replicaSet: shard.name, oplogEntries, log: options.log }, shard.node);
        await shard.server.listen();
      }
    }
    for (const r of routers) await r.listen();
  } catch (err) {
    await Promise.all(routers.map((r) => r.close().catch(() => {})));
    await Promise.all(shards.map((s) => s.stop()));
    throw err;
  }
  const noop = options.noopIntervalMs ?? DEFAULT_NOOP_INTERVAL_MS;
  for (const shard of shards) shard.setNoopInterval(noop);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const uris = routers.map((r) => `mongodb://${shownHost}:${r.port}/`);
  return {
    uri: uris[0],
    uris,
    multiUri: `mongodb://${routers.map((r) => `${shownHost}:${r.port}`).join(',')}/`,
    host,
    port: routers[0].port,
    shards,
    router: routers[0],
    routers,
    sharding,
    stop: async () => {
      await Promise.all(routers.map((r) => r.close()));
      await Promise.all(shards.map((s) => s.stop()));
    },
  };
}

export { Shard } from './shard.js';
export { RouterChangeStream } from './stream.js';
export { compareKeys, hashKey } from './keys.js';

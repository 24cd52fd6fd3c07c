import { DEFAULT_OPLOG_ENTRIES } from '../defaults.js';
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
  log?: (line: string) => void;
}

export interface ShardedCluster {
  /** The connection string of the router. */
  readonly uri: string;
  readonly host: string;
  readonly port: number;
  /** The in-process shards (data node, oplog, clock, no-op writer). */
  readonly shards: readonly Shard[];
  /** The router's wire server (mongos). */
  readonly router: WireServer;
  /** The config server's state: databases, sharded collections, chunk maps. */
  readonly sharding: ShardingCatalog;
  stop(): Promise<void>;
}

export const DEFAULT_NOOP_INTERVAL_MS = 10_000;
export const SHARD_GETMORE_WAIT_MS = 1_000;

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
  const routerNode = new RouterNode(() => shards);
  const sharding = new ShardingCatalog(shards, () => routerNode.clock.now());
  let router: WireServer | undefined;
  const context: RouterContext = {
    shards,
    sharding,
    clusterTime: () => routerNode.clock.now(),
    stream: { shardWaitMs: options.shardWaitMs ?? SHARD_GETMORE_WAIT_MS, bufferLimit: 10_000 },
    address: () => router?.topology.address ?? `${host}:${options.port ?? 27017}`,
  };
  router = new WireServer({
    host,
    port: options.port ?? 27017,
    replicaSet: '',
    oplogEntries: 1,
    role: 'mongos',
    commands: routerCommands(context),
    log: options.log,
    beginTransaction: (lsid, txnNumber, readTs) => new ShardedTransaction(shards, routerNode, lsid, txnNumber, readTs),
  }, routerNode);
  try {
    if (options.shardPorts) {
      for (const shard of shards) {
        shard.server = new WireServer({ host, port: 0, replicaSet: shard.name, oplogEntries, log: options.log }, shard.node);
        await shard.server.listen();
      }
    }
    await router.listen();
  } catch (err) {
    await Promise.all(shards.map((s) => s.stop()));
    throw err;
  }
  const noop = options.noopIntervalMs ?? DEFAULT_NOOP_INTERVAL_MS;
  for (const shard of shards) shard.setNoopInterval(noop);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const wire = router;
  return {
    uri: `mongodb://${shownHost}:${wire.port}/`,
    host,
    port: wire.port,
    shards,
    router: wire,
    sharding,
    stop: async () => {
      await wire.close();
      await Promise.all(shards.map((s) => s.stop()));
    },
  };
}

export { Shard } from './shard.js';
export { RouterChangeStream } from './stream.js';
export { compareKeys, hashKey } from './keys.js';

import { DEFAULT_NOOP_INTERVAL_MS, startShardedCluster, type ShardedCluster } from './index.js';

export interface ShardedServerFlags {
  host?: string;
  port?: number;
  /** --shards (default 3). */
  shards?: number;
  /** --routers (default 1): mongos routers on consecutive ports in front of the same shards. */
  routers?: number;
  /** --noop-interval, already parsed to milliseconds (default 10 s). */
  noopIntervalMs?: number;
  /** --shard-ports: each shard also listens on a free port (direct connections for inspection). */
  shardPorts?: boolean;
  /** --oplog-size: oplog entries kept per shard. */
  oplogEntries?: number;
  log?: (line: string) => void;
}

/** What `ticker server --sharded` needs: the running cluster and the lines to print about it. */
export interface ShardedServerHandle {
  cluster: ShardedCluster;
  lines: string[];
  stop(): Promise<void>;
}

/** Starts the embedded sharded cluster for `ticker server --sharded` and describes it (never prints). */
export async function startShardedServer(flags: ShardedServerFlags = {}): Promise<ShardedServerHandle> {
  const noopIntervalMs = flags.noopIntervalMs ?? DEFAULT_NOOP_INTERVAL_MS;
  if (!Number.isFinite(noopIntervalMs) || noopIntervalMs < 0) throw new RangeError(`--noop-interval must be a duration >= 0, got ${noopIntervalMs}`);
  const cluster = await startShardedCluster({
    host: flags.host,
    port: flags.port ?? 27017,
    shards: flags.shards ?? 3,
    routers: flags.routers ?? 1,
    noopIntervalMs,
    shardPorts: flags.shardPorts,
    oplogEntries: flags.oplogEntries,
    log: flags.log,
  });
  const lines = [
    cluster.routers.length === 1
      ? `embedded sharded cluster (MongoDB 7.0-compatible mongos) listening on ${cluster.uri}`
      : `embedded sharded cluster: ${cluster.routers.length} MongoDB 7.0-compatible mongos routers listening on ${cluster.routers.map((r) => r.topology.address).join(', ')}`,
    `${cluster.shards.length} shard${cluster.shards.length === 1 ? '' : 's'}: ${cluster.shards.map((s) => (s.server ? `${s.name} (${s.server.topology.address})` : s.name)).join(', ')}`,
    noopIntervalMs > 0
      ? `periodic no-op every ${noopIntervalMs >= 1000 ? `${noopIntervalMs / 1000} s` : `${noopIntervalMs} ms`} per idle shard: a shard without writes holds change streams back that long`
      : 'periodic no-op writer off: a shard without writes holds change streams back indefinitely',
  ];
  return { cluster, lines, stop: () => cluster.stop() };
}

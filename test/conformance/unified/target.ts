import type { MongoClient } from 'mongodb';
import type { SpecFile } from './runner.js';

/** The spec-test folders of ../shared/conformance, in the order the summary prints them. */
export const FOLDERS = ['change-streams', 'crud', 'retryable-writes', 'sessions', 'command-monitoring', 'transactions'] as const;
export type Folder = (typeof FOLDERS)[number];

export type Mode = 'replicaset' | 'sharded';

export interface ConformanceTarget {
  uri: string;
  /** Every mongos of a sharded target (for clients with useMultipleMongoses); undefined elsewhere. */
  multiUri?: string;
  /** Stops what start() started (nothing for MONGODB_URI). */
  stop(): Promise<void>;
}

const REAL_URI = process.env.MONGODB_URI?.trim() || undefined;

/** True when the spec tests run against a real deployment (then only one mode: whatever it is). */
export const AGAINST_REAL_DEPLOYMENT = REAL_URI !== undefined;

/**
 * One deployment for a whole folder, as the drivers' runners do: the embedded replica set, or the embedded
 * sharded cluster (two shards behind two routers: clients with useMultipleMongoses get both, others the
 * first, as the format asks), or MONGODB_URI when set.
 */
export async function startTarget(mode: Mode): Promise<ConformanceTarget> {
  if (REAL_URI) return { uri: REAL_URI, stop: async () => {} };
  if (mode === 'sharded') {
    const { startShardedCluster } = await import('../../../src/embedded/sharded/index.js');
    const cluster = await startShardedCluster({ port: 0, shards: 2, routers: 2, noopIntervalMs: 100, shardWaitMs: 100 });
    return { uri: cluster.uri, multiUri: cluster.multiUri, stop: () => cluster.stop() };
  }
  const { startEmbeddedServer } = await import('../../../src/embedded/index.js');
  const server = await startEmbeddedServer({ port: 0 });
  return { uri: server.uri, stop: () => server.stop() };
}

const KEEP = new Set(['admin', 'config', 'local']);

/** The databases a spec file names (its entities and initial data): the only ones it may write. */
export function specDatabases(file: SpecFile): string[] {
  const names = new Set<string>();
  for (const spec of file.createEntities ?? []) if (spec.database?.databaseName) names.add(spec.database.databaseName);
  for (const data of file.initialData ?? []) names.add(data.databaseName);
  return [...names].filter((n) => !KEEP.has(n));
}

/** Drops the databases a spec file used, so the next file on the same deployment starts from nothing. */
export async function dropSpecDatabases(client: MongoClient, file: SpecFile): Promise<void> {
  for (const name of specDatabases(file)) await client.db(name).dropDatabase().catch(() => {});
}

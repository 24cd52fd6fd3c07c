import type { Document, MongoClient } from 'mongodb';
import { UserError } from '../util/errors.js';

export type TopologyKind = 'replicaSet' | 'sharded' | 'standalone';

/** What we are talking to, read once from `hello` and `buildInfo`. */
export interface Target {
  topology: TopologyKind;
  setName?: string;
  serverVersion: string;
  /** Number of shards behind a mongos, when `listShards` is allowed. */
  shards?: number;
  /** True when buildInfo says this is ticker's embedded server (for reports only: nothing behaves differently). */
  isEmbedded: boolean;
  hosts: string[];
}

/** Classifies a `hello` reply: a mongos says `msg: 'isdbgrid'`; a replica-set member has a `setName`. */
export function topologyOf(hello: Document): TopologyKind {
  if (hello.msg === 'isdbgrid') return 'sharded';
  if (typeof hello.setName === 'string') return 'replicaSet';
  return 'standalone';
}

export async function describeTarget(client: MongoClient): Promise<Target> {
  const admin = client.db('admin');
  const hello = await admin.command({ hello: 1 }).catch(() => admin.command({ isMaster: 1 }));
  const buildInfo = await admin.command({ buildInfo: 1 }).catch(() => ({}) as Document);
  const topology = topologyOf(hello);

  const target: Target = {
    topology,
    serverVersion: typeof buildInfo.version === 'string' ? buildInfo.version : 'unknown',
    isEmbedded: buildInfo.gitVersion === 'ticker-embedded',
    hosts: hostsOf(client, hello),
  };
  if (typeof hello.setName === 'string') target.setName = hello.setName;
  if (topology === 'sharded') {
    // listShards needs clusterMonitor; without it we simply do not know the count.
    const shards = await admin.command({ listShards: 1 }).catch(() => undefined);
    if (Array.isArray(shards?.shards)) target.shards = shards.shards.length;
  }
  return target;
}

function hostsOf(client: MongoClient, hello: Document): string[] {
  if (Array.isArray(hello.hosts) && hello.hosts.length > 0) return hello.hosts.map(String);
  return (client.options.hosts ?? []).map((host) => host.toString());
}

/** Change streams need an oplog: a replica set or a sharded cluster, never a standalone. */
export function requireChangeStreams(target: Target): void {
  if (target.topology === 'standalone') {
    const where = target.hosts.join(',') || 'the server';
    throw new UserError(`${where} is a standalone server; change streams need a replica set or a sharded cluster`);
  }
}

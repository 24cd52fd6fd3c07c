import { ObjectId, type Document } from 'bson';
import { SERVER_VERSION } from '../commands/hello.js';
import { toLongBound } from './keys.js';
import { shardHost, type RouterContext } from './router.js';

const CLUSTER_ID = new ObjectId();

/** The documents of one `config` collection, generated from the router's sharding state. */
export function configCollection(rc: RouterContext, name: string): Document[] {
  const { shards, sharding } = rc;
  switch (name) {
    case 'shards':
      return shards.map((shard) => ({ _id: shard.name, host: shardHost(rc, shard), state: 1, topologyTime: rc.clusterTime() }));
    case 'databases':
      return [...sharding.databases.values()].map((d) => ({
        _id: d.name,
        primary: shards[d.primary].name,
        version: { uuid: d.uuid, timestamp: d.timestamp, lastMod: 1 },
      }));
    case 'collections':
      return [...sharding.collections.values()].map((c) => ({
        _id: c.ns,
        lastmodEpoch: c.epoch,
        lastmod: c.lastmod,
        timestamp: c.timestamp,
        uuid: c.uuid,
        key: c.key,
        unique: c.unique,
        noBalance: false,
      }));
    case 'chunks': {
      const out: Document[] = [];
      for (const c of sharding.collections.values()) {
        for (const chunk of c.chunks.chunks) {
          out.push({
            _id: chunk.id,
            uuid: c.uuid,
            min: { _id: toLongBound(chunk.min) },
            max: { _id: toLongBound(chunk.max) },
            shard: shards[chunk.shard].name,
            lastmod: chunk.lastmod,
            onCurrentShardSince: chunk.onCurrentShardSince,
            history: [{ validAfter: chunk.onCurrentShardSince, shard: shards[chunk.shard].name }],
          });
        }
      }
      return out;
    }
    case 'version':
      return [{ _id: 1, clusterId: CLUSTER_ID }];
    case 'settings':
      return [{ _id: 'balancer', mode: sharding.balancerMode, stopped: sharding.balancerMode === 'off' }, { _id: 'chunksize', value: 128 }];
    case 'mongos':
      return [{ _id: rc.address(), ping: new Date(), up: Math.floor(process.uptime()), waiting: true, mongoVersion: SERVER_VERSION }];
    default:
      return [];
  }
}

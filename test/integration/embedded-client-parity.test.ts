import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Double, Int32, MongoClient, ObjectId, type Db } from 'mongodb';
import { startShardedCluster, type ShardedCluster } from '../../src/embedded/sharded/index.js';
import { EMULATOR_ONLY, embeddedTestTarget, type EmbeddedTestTarget } from './embedded-target.js';
import { serverError } from '../helpers/server-error.js';

// What PyMongo 3.11 and mongosh 2.x showed to differ from a MongoDB 7.0 replica-set primary and mongos
// (db.stats(), db.coll.stats(), rs.conf(), getIndexes(), buildInfo, show dbs on a mongos), through the
// official driver. Shapes, types, codes and code names are MongoDB 7.0's.


describe('replica-set primary: statistics, config and metadata commands', () => {
  let target: EmbeddedTestTarget;
  let client: MongoClient;
  let db: Db;
  const DB = `ticker_parity_${process.pid}`;

  before(async () => {
    target = await embeddedTestTarget();
    client = new MongoClient(target.uri, { serverSelectionTimeoutMS: 5000 });
    await client.connect();
    db = client.db(DB);
    await db.dropDatabase();
    await db.collection('stocksymbols').insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: `A${10000 + i}` as never, price: 12 })));
  });

  after(async () => {
    await db.dropDatabase().catch(() => {});
    await client.close();
    await target.stop();
  });

  it('dbStats (db.stats()): counts as int32, sizes as doubles, scale, and a bad scale is 51024', async () => {
    const stats = await db.command({ dbStats: 1 }, { promoteValues: false });
    assert.equal(stats.db.toString(), DB);
    for (const field of ['collections', 'views', 'objects', 'indexes']) assert.ok(stats[field] instanceof Int32, `${field} is an int32`);
    for (const field of ['avgObjSize', 'dataSize', 'storageSize', 'indexSize', 'totalSize', 'scaleFactor']) {
      assert.ok(stats[field] instanceof Double, `${field} is a double`);
    }
    assert.equal(stats.collections.value, 1);
    assert.equal(stats.views.value, 0);
    assert.equal(stats.objects.value, 50);
    assert.equal(stats.indexes.value, 1);
    assert.ok(stats.dataSize.value > 0);
    assert.equal(stats.totalSize.value, stats.storageSize.value + stats.indexSize.value);
    const lower = await db.command({ dbstats: 1, scale: 1024 });
    assert.equal(lower.scaleFactor, 1024);
    assert.equal(lower.dataSize, Math.trunc(stats.dataSize.value / 1024));
    const bad = await serverError(db.command({ dbStats: 1, scale: 0 }));
    assert.equal(bad.code, 51024);
    const empty = await client.db(`${DB}_none`).command({ dbStats: 1 });
    assert.equal(empty.collections, 0);
    assert.equal(empty.objects, 0);
  });

  it('collStats: the collection\'s storage statistics; a missing collection is all zeros, not an error', async () => {
    const stats = await db.command({ collStats: 'stocksymbols' });
    assert.equal(stats.ns, `${DB}.stocksymbols`);
    assert.equal(stats.count, 50);
    assert.ok(stats.size > 0);
    assert.equal(stats.avgObjSize, Math.round(stats.size / 50));
    assert.equal(stats.nindexes, 1);
    assert.deepEqual(Object.keys(stats.indexSizes), ['_id_']);
    assert.equal(stats.totalSize, stats.storageSize + stats.totalIndexSize);
    assert.equal(stats.capped, false);
    assert.equal(stats.scaleFactor, 1);
    const missing = await db.command({ collStats: 'noSuchCollection' });
    assert.equal(missing.ok, 1);
    assert.equal(missing.count, 0);
    assert.equal(missing.size, 0);
    assert.equal(missing.nindexes, 0);
  });

  it('$collStats (mongosh db.coll.stats()): storageStats and count; a missing collection is NamespaceNotFound (26)', async () => {
    const [doc] = await db.collection('stocksymbols').aggregate([{ $collStats: { storageStats: {}, count: {} } }]).toArray();
    assert.equal(doc.ns, `${DB}.stocksymbols`);
    assert.equal(typeof doc.host, 'string');
    assert.ok(doc.localTime instanceof Date);
    assert.equal(doc.shard, undefined);
    assert.equal(doc.count, 50);
    assert.equal(doc.storageStats.count, 50);
    assert.equal(doc.storageStats.nindexes, 1);
    const projected = await db.collection('stocksymbols').aggregate([{ $collStats: { count: {} } }, { $project: { _id: 0, count: 1 } }]).toArray();
    assert.deepEqual(projected, [{ count: 50 }]);
    const missing = await serverError(db.collection('noSuchCollection').aggregate([{ $collStats: { storageStats: {} } }]).toArray());
    assert.equal(missing.code, 26);
    assert.equal(missing.codeName, 'NamespaceNotFound');
    assert.match(missing.message, /Unable to retrieve storageStats in \$collStats stage/);
  });

  it('$collStats and $changeStream anywhere but first are Location40602', async () => {
    for (const stage of [{ $collStats: {} }, { $changeStream: {} }]) {
      const err = await serverError(db.collection('stocksymbols').aggregate([{ $match: {} }, stage]).toArray());
      assert.equal(err.code, 40602);
      assert.equal(err.codeName, 'Location40602');
      assert.match(err.message, /is only valid as the first stage in a pipeline/);
    }
  });

  it('replSetGetConfig (rs.conf()): the one-member config; only on admin', async () => {
    const { config } = await client.db('admin').command({ replSetGetConfig: 1 });
    const hello = await client.db('admin').command({ hello: 1 });
    assert.equal(config._id, hello.setName);
    assert.equal(config.version, hello.setVersion);
    assert.equal(typeof config.term, 'number');
    assert.equal(config.members.length, 1);
    assert.equal(config.members[0].host, hello.me);
    assert.equal(config.members[0].votes, 1);
    assert.equal(config.members[0].priority, 1);
    assert.equal(config.protocolVersion, 1);
    assert.ok(config.settings.replicaSetId instanceof ObjectId);
    assert.equal(config.settings.electionTimeoutMillis, 10000);
    const again = await client.db('admin').command({ replSetGetConfig: 1 });
    assert.ok(again.config.settings.replicaSetId.equals(config.settings.replicaSetId));
    const notAdmin = await serverError(db.command({ replSetGetConfig: 1 }));
    assert.equal(notAdmin.code, 13);
  });

  it('listIndexes lists every index as { v, key, name, ...options } whatever order createIndexes used', async () => {
    const c = db.collection('idxorder');
    await db.command({ createIndexes: 'idxorder', indexes: [{ name: 'price_1', unique: true, key: { price: 1 } }] });
    await c.createIndex({ symbol: 1 });
    const indexes = await c.listIndexes().toArray();
    assert.deepEqual(indexes.map((i) => Object.keys(i)), [['v', 'key', 'name'], ['v', 'key', 'name', 'unique'], ['v', 'key', 'name']]);
    assert.equal(indexes[1].v, 2);
  });

  it('buildInfo has every field a 7.0 mongod sends (openssl, buildEnvironment, storageEngines)', async () => {
    const info = await client.db('admin').command({ buildInfo: 1 });
    for (const field of ['version', 'gitVersion', 'modules', 'allocator', 'javascriptEngine', 'sysInfo', 'versionArray', 'openssl', 'buildEnvironment', 'bits', 'debug', 'maxBsonObjectSize', 'storageEngines']) {
      assert.ok(field in info, `buildInfo.${field}`);
    }
    assert.equal(typeof info.openssl.running, 'string');
    assert.equal(typeof info.buildEnvironment.target_arch, 'string');
    assert.equal(info.debug, false);
    assert.ok(Array.isArray(info.storageEngines));
  });
});

describe('embedded mongos: listDatabases, dbStats, collStats, $collStats, buildInfo, replication commands', { skip: EMULATOR_ONLY }, () => {
  let cluster: ShardedCluster;
  let client: MongoClient;
  let db: Db;

  before(async () => {
    cluster = await startShardedCluster({ port: 0, shards: 2, noopIntervalMs: 0 });
    client = new MongoClient(cluster.uri, { serverSelectionTimeoutMS: 5000 });
    await client.connect();
    const admin = client.db('admin');
    await admin.command({ enableSharding: 'market' });
    await admin.command({ shardCollection: 'market.stocksymbols', key: { _id: 1 } });
    await admin.command({ split: 'market.stocksymbols', middle: { _id: 'M' } });
    await admin.command({ moveChunk: 'market.stocksymbols', find: { _id: 'Z' }, to: 'shard1' });
    db = client.db('market');
    await db.collection('stocksymbols').insertMany(['AAPL', 'MDB', 'ORCL', 'MSFT', 'ZM'].map((s) => ({ _id: s as never, price: 12 })));
  });

  after(async () => {
    await client.close();
    await cluster.stop();
  });

  it('listDatabases: no local, admin from the config server only, per-shard sizes under `shards`', async () => {
    const reply = await client.db('admin').command({ listDatabases: 1 });
    const names = reply.databases.map((d: { name: string }) => d.name);
    assert.deepEqual(names, ['admin', 'config', 'market']);
    const byName = Object.fromEntries(reply.databases.map((d: { name: string }) => [d.name, d]));
    assert.deepEqual(Object.keys(byName.admin.shards), ['config']);
    assert.deepEqual(Object.keys(byName.market.shards).sort(), ['shard0', 'shard1']);
    assert.equal(byName.market.sizeOnDisk, byName.market.shards.shard0 + byName.market.shards.shard1);
    assert.equal(byName.market.empty, false);
    const total = reply.databases.reduce((sum: number, d: { sizeOnDisk: number }) => sum + d.sizeOnDisk, 0);
    assert.equal(reply.totalSize, total);
    assert.equal(reply.totalSizeMb, Math.floor(total / 1048576));
    const names2 = await client.db('admin').command({ listDatabases: 1, nameOnly: true });
    assert.deepEqual(names2.databases, [{ name: 'admin' }, { name: 'config' }, { name: 'market' }]);
    const notAdmin = await serverError(db.command({ listDatabases: 1 }));
    assert.equal(notAdmin.code, 13);
  });

  it('dbStats: each shard under `raw`, then the sums', async () => {
    const stats = await db.command({ dbStats: 1 });
    assert.equal(Object.keys(stats.raw).length, 2);
    assert.equal(stats.db, 'market');
    assert.equal(stats.objects, 5);
    const rawObjects = Object.values(stats.raw as Record<string, { objects: number }>).reduce((sum, s) => sum + s.objects, 0);
    assert.equal(rawObjects, 5);
    assert.equal(typeof stats.dataSize, 'number');
  });

  it('collStats: merged over the shards, with `sharded`, `nchunks` and each shard\'s reply', async () => {
    const stats = await db.command({ collStats: 'stocksymbols' });
    assert.equal(stats.sharded, true);
    assert.equal(stats.ns, 'market.stocksymbols');
    assert.equal(stats.count, 5);
    assert.equal(stats.nchunks, 2);
    assert.deepEqual(Object.keys(stats.shards).sort(), ['shard0', 'shard1']);
    assert.equal(stats.shards.shard0.count + stats.shards.shard1.count, 5);
  });

  it('$collStats: one document per shard, each naming its shard', async () => {
    const docs = await db.collection('stocksymbols').aggregate([{ $collStats: { count: {} } }]).toArray();
    assert.deepEqual(docs.map((d) => d.shard).sort(), ['shard0', 'shard1']);
    assert.equal(docs.reduce((sum, d) => sum + d.count, 0), 5);
  });

  it('buildInfo answers as a mongos: every build field but storageEngines', async () => {
    const info = await client.db('admin').command({ buildInfo: 1 });
    for (const field of ['allocator', 'javascriptEngine', 'sysInfo', 'openssl', 'buildEnvironment', 'debug']) assert.ok(field in info, `buildInfo.${field}`);
    assert.equal(info.storageEngines, undefined);
  });

  it('replSetGetStatus and replSetGetConfig do not exist on a mongos: CommandNotFound (59)', async () => {
    for (const name of ['replSetGetStatus', 'replSetGetConfig']) {
      const err = await serverError(client.db('admin').command({ [name]: 1 }));
      assert.equal(err.code, 59);
      assert.equal(err.codeName, 'CommandNotFound');
      assert.equal(err.message, `no such command: '${name}'`);
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MongoClient, MongoServerError, type Db, type Document } from 'mongodb';
import { EMBEDDED_ONLY, type TestTarget, openTestDb, closeTestDb } from '../helpers/target.js';
import type { ShardedCluster } from '../../src/embedded/sharded/index.js';

// Issue 9: explain through the driver, in mongod 7.0's shape (queryPlanner, executionStats, serverInfo,
// command), for find, aggregate, count, distinct, update, delete and findAndModify; and through the mongos.

let target: TestTarget;
let client: MongoClient;
let db: Db;

before(async () => {
  ({ target, client, db } = await openTestDb('ticker_explain'));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  await db.collection<any>('c').insertMany(Array.from({ length: 20 }, (_, i) => ({ _id: i, a: i % 5, b: i })));
  await db.collection('c').createIndex({ a: 1 }, { name: 'a_1' });
});

after(() => closeTestDb({ target, client, db }));

/** The stages of a plan tree from the top down (following inputStage). */
function stagesOf(plan: Document): string[] {
  const out: string[] = [];
  for (let at: Document | undefined = plan; at; at = at.inputStage) out.push(at.stage);
  return out;
}

describe('explain on a replica set member', () => {
  it('find: queryPlanner with namespace, parsedQuery and an index plan for a filter on an indexed field', async () => {
    const plan = await db.collection('c').find({ a: 3, b: { $gt: 4 } }).explain('queryPlanner');
    assert.equal(plan.explainVersion, '1');
    assert.equal(plan.queryPlanner.namespace, `${db.databaseName}.c`);
    assert.deepEqual(plan.queryPlanner.parsedQuery, { $and: [{ a: { $eq: 3 } }, { b: { $gt: 4 } }] });
    assert.deepEqual(stagesOf(plan.queryPlanner.winningPlan), ['FETCH', 'IXSCAN']);
    assert.equal(plan.queryPlanner.winningPlan.inputStage.indexName, 'a_1');
    assert.deepEqual(plan.queryPlanner.winningPlan.inputStage.indexBounds, { a: ['[3, 3]'] });
    assert.deepEqual(plan.queryPlanner.rejectedPlans, []);
    assert.equal(plan.executionStats, undefined, 'queryPlanner verbosity runs nothing');
    assert.equal(plan.serverInfo.version.split('.')[0], '7');
    assert.equal(plan.command.find, 'c');
    assert.equal(plan.ok, 1);
  });

  it('find: executionStats counts what was returned and examined', async () => {
    const c = db.collection('c');
    const scan = await c.find({ b: { $gte: 10 } }).sort({ b: -1 }).limit(3).explain('executionStats');
    assert.deepEqual(stagesOf(scan.queryPlanner.winningPlan), ['SORT', 'COLLSCAN']);
    assert.equal(scan.executionStats.nReturned, 3);
    assert.equal(scan.executionStats.totalDocsExamined, 20);
    assert.equal(scan.executionStats.totalKeysExamined, 0);
    assert.equal(typeof scan.executionStats.executionTimeMillis, 'number');
    assert.equal(scan.executionStats.executionStages.stage, 'SORT');
    assert.equal(scan.executionStats.executionStages.nReturned, 3);
    const indexed = await c.find({ a: 1 }).explain('executionStats');
    assert.equal(indexed.executionStats.nReturned, 4);
    assert.equal(indexed.executionStats.totalKeysExamined, 4);
    assert.equal(indexed.executionStats.totalDocsExamined, 4);
    const all = await c.find({ a: 1 }).explain('allPlansExecution');
    assert.deepEqual(all.executionStats.allPlansExecution, []);
  });

  it('find: IDHACK for an _id lookup, EOF on a missing collection, a hinted index, $natural', async () => {
    assert.equal((await db.collection<any>('c').find({ _id: 3 }) // eslint-disable-line @typescript-eslint/no-explicit-any
      .explain('queryPlanner')).queryPlanner.winningPlan.stage, 'IDHACK');
    assert.equal((await db.collection('missing').find({ a: 1 }).explain('queryPlanner')).queryPlanner.winningPlan.stage, 'EOF');
    const hinted = await db.collection('c').find({ b: 2 }).hint('a_1').explain('queryPlanner');
    assert.deepEqual(stagesOf(hinted.queryPlanner.winningPlan), ['FETCH', 'IXSCAN']);
    assert.equal(hinted.queryPlanner.winningPlan.inputStage.indexBounds.a[0], '[MinKey, MaxKey]');
    const natural = await db.collection('c').find({ a: 1 }).hint({ $natural: -1 }).explain('queryPlanner');
    assert.equal(natural.queryPlanner.winningPlan.direction, 'backward');
    const err = await db.collection('c').find({}).hint('nope').explain().catch((e: unknown) => e);
    assert.ok(err instanceof MongoServerError && err.code === 2);
  });

  it('aggregate: a pushed-down pipeline explains as a find; more stages as a $cursor and the rest', async () => {
    const c = db.collection('c');
    const pushed = await c.aggregate([{ $match: { a: 2 } }, { $sort: { b: 1 } }]).explain('queryPlanner');
    assert.deepEqual(stagesOf(pushed.queryPlanner.winningPlan), ['SORT', 'FETCH', 'IXSCAN']);
    const staged = await c.aggregate([{ $match: { a: 2 } }, { $group: { _id: '$a', n: { $sum: 1 } } }]).explain('executionStats');
    assert.equal(staged.stages.length, 2);
    assert.equal(staged.stages[0].$cursor.queryPlanner.winningPlan.stage, 'FETCH');
    assert.equal(staged.stages[0].nReturned, 4);
    assert.deepEqual(Object.keys(staged.stages[1]).slice(0, 1), ['$group']);
    assert.equal(staged.stages[1].nReturned, 1);
    const option = await db.command({ aggregate: 'c', pipeline: [{ $match: { b: 1 } }], explain: true });
    assert.equal(option.queryPlanner.winningPlan.stage, 'COLLSCAN');
  });

  it('count and distinct', async () => {
    const count = await db.command({ explain: { count: 'c', query: { a: 4 } }, verbosity: 'executionStats' });
    assert.deepEqual(stagesOf(count.queryPlanner.winningPlan), ['COUNT', 'FETCH', 'IXSCAN']);
    assert.equal(count.executionStats.executionStages.nCounted, 4);
    const fast = await db.command({ explain: { count: 'c' }, verbosity: 'queryPlanner' });
    assert.equal(fast.queryPlanner.winningPlan.stage, 'RECORD_STORE_FAST_COUNT');
    const distinct = await db.command({ explain: { distinct: 'c', key: 'a' }, verbosity: 'queryPlanner' });
    assert.deepEqual(stagesOf(distinct.queryPlanner.winningPlan), ['PROJECTION_COVERED', 'DISTINCT_SCAN']);
  });

  it('update, delete and findAndModify explain what they would do and write nothing', async () => {
    const update = await db.command({ explain: { update: 'c', updates: [{ q: { a: 0 }, u: { $set: { z: 1 } }, multi: true }] }, verbosity: 'executionStats' });
    assert.deepEqual(stagesOf(update.queryPlanner.winningPlan), ['UPDATE', 'FETCH', 'IXSCAN']);
    assert.equal(update.executionStats.executionStages.nMatched, 4);
    assert.equal(update.executionStats.executionStages.nWouldModify, 4);
    const del = await db.command({ explain: { delete: 'c', deletes: [{ q: { b: { $lt: 3 } }, limit: 0 }] }, verbosity: 'executionStats' });
    assert.equal(del.queryPlanner.winningPlan.stage, 'DELETE');
    assert.equal(del.executionStats.executionStages.nWouldDelete, 3);
    const fam = await db.command({ explain: { findAndModify: 'c', query: { _id: 1 }, remove: true }, verbosity: 'executionStats' });
    assert.deepEqual(stagesOf(fam.queryPlanner.winningPlan), ['DELETE', 'IDHACK']);
    assert.equal(await db.collection('c').countDocuments({ z: 1 }), 0);
    assert.equal(await db.collection('c').countDocuments(), 20);
  });

  it('refuses an unknown verbosity and a command explain does not know', async () => {
    let err = await db.command({ explain: { find: 'c' }, verbosity: 'everything' }).catch((e: unknown) => e);
    assert.ok(err instanceof MongoServerError && err.code === 2, String(err));
    err = await db.command({ explain: { insert: 'c', documents: [{}] } }).catch((e: unknown) => e);
    assert.ok(err instanceof MongoServerError && err.code === 59, String(err));
  });
});

describe('explain through the embedded mongos', { skip: EMBEDDED_ONLY }, () => {
  let cluster: ShardedCluster;
  let mongos: MongoClient;
  before(async () => {
    const { startShardedCluster } = await import('../../src/embedded/sharded/index.js');
    cluster = await startShardedCluster({ port: 0, shards: 2 });
    mongos = new MongoClient(cluster.uri, { serverSelectionTimeoutMS: 5000 });
    await mongos.connect();
    const sdb = mongos.db('explained');
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    await sdb.collection<any>('plain').insertMany([{ _id: 1, a: 1 }, { _id: 2, a: 2 }]);
    await mongos.db('admin').command({ enableSharding: 'explained' });
    await mongos.db('admin').command({ shardCollection: 'explained.spread', key: { _id: 'hashed' } });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    await sdb.collection<any>('spread').insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: i, a: i })));
  });
  after(async () => {
    await mongos?.close();
    await cluster?.stop();
  });

  it('an unsharded collection is SINGLE_SHARD, a sharded one SHARD_MERGE over the shards holding it', async () => {
    const single = await mongos.db('explained').collection('plain').find({ a: 1 }).explain('executionStats');
    assert.equal(single.queryPlanner.winningPlan.stage, 'SINGLE_SHARD');
    assert.equal(single.queryPlanner.winningPlan.shards.length, 1);
    assert.equal(single.queryPlanner.winningPlan.shards[0].winningPlan.stage, 'COLLSCAN');
    assert.equal(single.executionStats.nReturned, 1);
    const merged = await mongos.db('explained').collection('spread').find({}).explain('executionStats');
    assert.equal(merged.queryPlanner.winningPlan.stage, 'SHARD_MERGE');
    assert.equal(merged.queryPlanner.winningPlan.shards.length, 2);
    assert.equal(merged.executionStats.nReturned, 50);
    assert.equal(merged.executionStats.executionStages.shards.reduce((n: number, s: Document) => n + s.nReturned, 0), 50);
  });
});

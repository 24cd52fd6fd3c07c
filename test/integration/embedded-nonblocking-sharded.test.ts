import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MongoClient, MongoServerError, type Collection, type Document } from 'mongodb';
import { startShardedCluster, type ShardedCluster } from '../../src/embedded/sharded/index.js';
import { serverError } from '../helpers/server-error.js';
import { pingDuring } from '../helpers/ping-during.js';

// Issue 9, through the embedded mongos: the router's own scatter/gather (a sharded collection's find, count,
// aggregate, findAndModify and multi-writes) must not hold the server either, and maxTimeMS ends it with 50.
// It checks the embedded router itself, so it always runs on the embedded sharded cluster.

const DOCS = 100_000;
let cluster: ShardedCluster;
let worker: MongoClient;
let bystander: MongoClient;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let big: Collection<any>;

before(async () => {
  cluster = await startShardedCluster({ port: 0, shards: 2, noopIntervalMs: 0 });
  worker = new MongoClient(cluster.uri, { serverSelectionTimeoutMS: 5000 });
  bystander = new MongoClient(cluster.uri, { serverSelectionTimeoutMS: 5000 });
  await Promise.all([worker.connect(), bystander.connect()]);
  await bystander.db('admin').command({ ping: 1 });
  await worker.db('admin').command({ shardCollection: 'nonblocking.big', key: { _id: 'hashed' } });
  big = worker.db('nonblocking').collection('big');
  // Strings a backtracking engine needs ~2^28 steps each to reject for ^(a+)+$.
  const evil = 'a'.repeat(28);
  const docs: Document[] = Array.from({ length: DOCS }, (_, i) => ({ _id: i, k: i % 2500, s: `${evil}b${i}`, x: i % 97 }));
  for (let at = 0; at < DOCS; at += 50_000) await big.insertMany(docs.slice(at, at + 50_000), { ordered: false });
});

after(async () => {
  await Promise.all([worker?.close(), bystander?.close()]);
  await cluster?.stop();
});



describe('the embedded mongos shares the server during long scatter/gather', () => {
  it('a $group and $sort over a sharded collection: another connection is answered first, with the right result', async () => {
    const pipeline = [{ $group: { _id: '$k', n: { $sum: 1 }, xs: { $push: '$x' } } }, { $sort: { _id: -1 } }, { $limit: 2 }];
    const { pingFirst, longRanPastPingSend } = await pingDuring(bystander, async () => {
      const groups = await big.aggregate(pipeline).toArray();
      assert.deepEqual(groups.map((g) => [g._id, g.n, g.xs.length]), [[2499, DOCS / 2500, DOCS / 2500], [2498, DOCS / 2500, DOCS / 2500]]);
    });
    assert.ok(longRanPastPingSend, 'the $group ended before the ping was sent');
    assert.ok(pingFirst, 'the ping waited for the $group');
  });

  it('a catastrophic regex counted over every shard: another connection is answered first', async () => {
    const { pingFirst, longRanPastPingSend } = await pingDuring(bystander, async () => {
      assert.equal(await big.countDocuments({ s: { $regex: '^(a+)+$' } }), 0);
    });
    assert.ok(longRanPastPingSend, 'the regex scan ended before the ping was sent');
    assert.ok(pingFirst, 'the ping waited for the regex scan');
  });

  it('a merged sort gives mongod\'s order', async () => {
    const docs = await big.find({ x: { $gte: 95 } }, { sort: { x: -1, _id: 1 }, skip: 1, limit: 3, projection: { _id: 1, x: 1 } }).toArray();
    assert.deepEqual(docs, [{ _id: 193, x: 96 }, { _id: 290, x: 96 }, { _id: 387, x: 96 }]);
  });

  it('maxTimeMS ends the router\'s aggregate, find, count, findAndModify and multi-writes with MaxTimeMSExpired (50)', async () => {
    const regex = { s: { $regex: '^(a+)+$' } };
    for (const run of [
      () => big.aggregate([{ $group: { _id: '$_id', xs: { $push: '$s' } } }], { maxTimeMS: 1 }).toArray(),
      () => big.find({}, { sort: { s: 1, x: -1 }, maxTimeMS: 1 }).toArray(),
      () => big.countDocuments(regex, { maxTimeMS: 1 }),
      () => worker.db('nonblocking').command({ count: 'big', query: regex, maxTimeMS: 1 }),
      () => big.findOneAndUpdate(regex, { $set: { never: true } }, { maxTimeMS: 1 }),
    ]) {
      const err = await serverError(run());
      assert.equal(err.code, 50, err.message);
      assert.equal(err.codeName, 'MaxTimeMSExpired');
    }
    for (const run of [
      () => big.updateMany(regex, { $set: { never: true } }, { maxTimeMS: 1 }),
      () => big.deleteMany(regex, { maxTimeMS: 1 }),
    ]) {
      const err = await serverError(run());
      const code = (err as MongoServerError & { writeErrors?: { code: number }[] }).writeErrors?.[0]?.code ?? err.code;
      assert.equal(code, 50, err.message);
    }
    assert.equal(await big.countDocuments({ never: true }), 0);
    assert.equal(await big.estimatedDocumentCount(), DOCS);
  });
});

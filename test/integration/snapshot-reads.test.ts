import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MongoClient, Timestamp, type Collection } from 'mongodb';
import { getTarget, type TestTarget } from '../helpers/target.js';
import { serverError } from '../helpers/server-error.js';

// Read concern "snapshot" outside transactions: the reply says the cluster time it read at (atClusterTime),
// a read at that time later sees the same data, and commands that cannot read at a snapshot refuse it.

let target: TestTarget;
let client: MongoClient;
const DB = `ticker_snap_${process.pid}`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDoc = any;
let coll: Collection<AnyDoc>;

before(async () => {
  target = await getTarget();
  client = new MongoClient(target.uri, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  coll = client.db(DB).collection<AnyDoc>('prices');
  await coll.insertMany([{ _id: 'A', p: 1 }, { _id: 'B', p: 2 }]);
});

after(async () => {
  await client.db(DB).dropDatabase().catch(() => {});
  await client.close();
  await target.stop();
});


describe('snapshot reads', () => {
  it('find, aggregate and distinct say atClusterTime, and a read at it ignores later writes', async () => {
    const db = client.db(DB);
    const first = await db.command({ find: 'prices', filter: {}, readConcern: { level: 'snapshot' } });
    const at = first.cursor.atClusterTime;
    assert.ok(at instanceof Timestamp);
    assert.deepEqual(first.cursor.firstBatch, [{ _id: 'A', p: 1 }, { _id: 'B', p: 2 }]);
    await coll.updateOne({ _id: 'A' }, { $set: { p: 10 } });
    await coll.deleteOne({ _id: 'B' });
    await coll.insertOne({ _id: 'C', p: 3 });
    const again = await db.command({ find: 'prices', filter: {}, readConcern: { level: 'snapshot', atClusterTime: at } });
    assert.deepEqual(again.cursor.firstBatch, [{ _id: 'A', p: 1 }, { _id: 'B', p: 2 }]);
    assert.ok(again.cursor.atClusterTime.equals(at));
    const agg = await db.command({ aggregate: 'prices', pipeline: [{ $group: { _id: null, total: { $sum: '$p' } } }], cursor: {}, readConcern: { level: 'snapshot', atClusterTime: at } });
    assert.equal(agg.cursor.firstBatch[0].total, 3);
    const distinct = await db.command({ distinct: 'prices', key: 'p', readConcern: { level: 'snapshot', atClusterTime: at } });
    assert.deepEqual([...distinct.values].sort(), [1, 2]);
    assert.ok(distinct.atClusterTime.equals(at));
    assert.deepEqual(await coll.find().sort({ _id: 1 }).toArray(), [{ _id: 'A', p: 10 }, { _id: 'C', p: 3 }]);
  });

  it('a snapshot session reads every time at the time of its first read', async () => {
    const session = client.startSession({ snapshot: true });
    try {
      const before = await coll.find({}, { session }).sort({ _id: 1 }).toArray();
      await coll.updateOne({ _id: 'A' }, { $inc: { p: 1 } });
      assert.deepEqual(await coll.find({}, { session }).sort({ _id: 1 }).toArray(), before);
    } finally {
      await session.endSession();
    }
  });

  it('commands that cannot read at a snapshot refuse it with InvalidOptions (72)', async () => {
    const db = client.db(DB);
    for (const cmd of [
      { insert: 'prices', documents: [{ _id: 'Z' }] },
      { count: 'prices' },
      { listCollections: 1 },
    ]) {
      const err = await serverError(db.command({ ...cmd, readConcern: { level: 'snapshot' } }));
      assert.equal(err.code, 72, JSON.stringify(cmd));
    }
    assert.equal(await coll.countDocuments({ _id: 'Z' }), 0);
  });

  it('atClusterTime in the future, or without level snapshot, is InvalidOptions (72)', async () => {
    const db = client.db(DB);
    const future = new Timestamp({ t: Math.floor(Date.now() / 1000) + 3600, i: 1 });
    const ahead = await serverError(db.command({ find: 'prices', readConcern: { level: 'snapshot', atClusterTime: future } }));
    assert.equal(ahead.code, 72);
    const local = await serverError(db.command({ find: 'prices', readConcern: { level: 'local', atClusterTime: future } }));
    assert.equal(local.code, 72);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MongoClient, type ChangeStreamDocument, type Collection, type Document } from 'mongodb';
import { AGAINST_REAL_DEPLOYMENT, getTarget, type TestTarget } from '../helpers/target.js';
import { serverError } from '../helpers/server-error.js';

// Multi-document transactions through the driver: atomic commit, invisible abort, snapshot isolation,
// write conflicts, and the change events of a commit (together, with lsid and txnNumber).

let target: TestTarget;
let client: MongoClient;
const DB = `ticker_txn_${process.pid}`;
let n = 0;

before(async () => {
  target = await getTarget();
  client = new MongoClient(target.uri, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
});

after(async () => {
  await client.db(DB).dropDatabase().catch(() => {});
  await client.close();
  await target.stop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDoc = any;

/** A fresh collection with the given documents (created outside any transaction). */
async function fresh(docs: Document[] = []): Promise<Collection<AnyDoc>> {
  const coll = client.db(DB).collection<AnyDoc>(`c${++n}`);
  await client.db(DB).createCollection(coll.collectionName);
  if (docs.length > 0) await coll.insertMany(docs);
  return coll;
}


describe('transactions', () => {
  it('a commit makes every write visible at once; before it, nothing is', async () => {
    const coll = await fresh([{ _id: 1, qty: 5 }]);
    const session = client.startSession();
    try {
      session.startTransaction();
      await coll.insertOne({ _id: 2, qty: 1 }, { session });
      await coll.updateOne({ _id: 1 }, { $inc: { qty: -1 } }, { session });
      assert.deepEqual(await coll.find({}, { session }).sort({ _id: 1 }).toArray(), [{ _id: 1, qty: 4 }, { _id: 2, qty: 1 }]);
      assert.deepEqual(await coll.find().toArray(), [{ _id: 1, qty: 5 }], 'outside sees nothing before commit');
      await session.commitTransaction();
      assert.deepEqual(await coll.find().sort({ _id: 1 }).toArray(), [{ _id: 1, qty: 4 }, { _id: 2, qty: 1 }]);
    } finally {
      await session.endSession();
    }
  });

  it('an abort leaves nothing behind', async () => {
    const coll = await fresh([{ _id: 1 }]);
    const session = client.startSession();
    try {
      session.startTransaction();
      await coll.insertOne({ _id: 2 }, { session });
      await coll.deleteOne({ _id: 1 }, { session });
      await session.abortTransaction();
      assert.deepEqual(await coll.find().toArray(), [{ _id: 1 }]);
    } finally {
      await session.endSession();
    }
  });

  it('reads inside a transaction see its snapshot, not later commits by others', async () => {
    const coll = await fresh([{ _id: 1, v: 'old' }]);
    const session = client.startSession();
    try {
      session.startTransaction();
      assert.deepEqual(await coll.findOne({ _id: 1 }, { session }), { _id: 1, v: 'old' });
      await coll.updateOne({ _id: 1 }, { $set: { v: 'new' } });
      await coll.insertOne({ _id: 2 });
      assert.deepEqual(await coll.find({}, { session }).toArray(), [{ _id: 1, v: 'old' }]);
      assert.equal(await coll.countDocuments({}, { session }), 1);
      await session.commitTransaction();
    } finally {
      await session.endSession();
    }
  });

  it('two transactions writing one document: the second gets WriteConflict (112) labelled TransientTransactionError, then NoSuchTransaction', async () => {
    const coll = await fresh([{ _id: 1, n: 0 }]);
    const a = client.startSession();
    const b = client.startSession();
    try {
      a.startTransaction();
      b.startTransaction();
      await coll.updateOne({ _id: 1 }, { $inc: { n: 1 } }, { session: a });
      const conflict = await serverError(coll.updateOne({ _id: 1 }, { $inc: { n: 10 } }, { session: b }));
      assert.equal(conflict.code, 112);
      assert.equal(conflict.codeName, 'WriteConflict');
      assert.ok(conflict.hasErrorLabel('TransientTransactionError'));
      await a.commitTransaction();
      const gone = await serverError(b.commitTransaction());
      assert.equal(gone.code, 251);
      assert.ok(gone.hasErrorLabel('TransientTransactionError'));
      assert.deepEqual(await coll.findOne({ _id: 1 }), { _id: 1, n: 1 });
    } finally {
      await a.endSession();
      await b.endSession();
    }
  });

  it('a document committed by another writer after the snapshot is a WriteConflict too', async () => {
    const coll = await fresh([{ _id: 1, n: 0 }]);
    const session = client.startSession();
    try {
      session.startTransaction();
      await coll.findOne({ _id: 1 }, { session }); // the snapshot is taken
      await coll.updateOne({ _id: 1 }, { $set: { n: 5 } });
      const conflict = await serverError(coll.updateOne({ _id: 1 }, { $inc: { n: 1 } }, { session }));
      assert.equal(conflict.code, 112);
      await session.abortTransaction();
      assert.deepEqual(await coll.findOne({ _id: 1 }), { _id: 1, n: 5 });
    } finally {
      await session.endSession();
    }
  });

  it("a commit's change events arrive together, at one cluster time, each with the session's lsid and txnNumber", async () => {
    const coll = await fresh([{ _id: 1, v: 0 }]);
    const stream = coll.watch();
    const session = client.startSession();
    try {
      await stream.tryNext(); // the stream is open before the writes
      await coll.insertOne({ _id: 'before' });
      session.startTransaction();
      await coll.insertOne({ _id: 2 }, { session });
      await coll.updateOne({ _id: 1 }, { $set: { v: 1 } }, { session });
      await coll.deleteOne({ _id: 2 }, { session });
      await session.commitTransaction();
      await coll.insertOne({ _id: 'after' });
      const events: ChangeStreamDocument<Document>[] = [];
      while (events.length < 5) events.push(await stream.next());
      const ids = events.map((e) => ('documentKey' in e ? e.documentKey._id : undefined));
      assert.deepEqual(ids, ['before', 2, 1, 2, 'after']);
      const inTxn = events.slice(1, 4) as Document[];
      assert.deepEqual(inTxn.map((e) => e.operationType), ['insert', 'update', 'delete']);
      for (const e of inTxn) {
        assert.ok(e.clusterTime.equals(inTxn[0]!.clusterTime), 'one cluster time for the whole transaction');
        assert.equal(Number(e.txnNumber), Number(session.serverSession!.txnNumber));
        assert.ok(Buffer.from(e.lsid.id.buffer).equals(Buffer.from(session.id!.id.buffer)));
      }
      assert.equal((events[0] as Document).lsid, undefined, 'writes outside a transaction carry no lsid');
      assert.ok((events[4] as Document).clusterTime.greaterThan(inTxn[0]!.clusterTime));
      // The events of one transaction have distinct resume tokens, in order.
      assert.equal(new Set(inTxn.map((e) => e._id._data)).size, 3);
    } finally {
      await stream.close();
      await session.endSession();
    }
  });

  it('withTransaction commits a callback once and returns its writes atomically', async () => {
    const coll = await fresh();
    const session = client.startSession();
    try {
      await session.withTransaction(async () => {
        await coll.insertOne({ _id: 'a' }, { session });
        await coll.insertOne({ _id: 'b' }, { session });
      });
      assert.equal(await coll.countDocuments(), 2);
    } finally {
      await session.endSession();
    }
  });

  it("count is refused inside a transaction (OperationNotSupportedInTransaction) and a statement's error aborts it", async () => {
    const coll = await fresh([{ _id: 1 }]);
    const session = client.startSession();
    try {
      session.startTransaction();
      await coll.insertOne({ _id: 2 }, { session });
      const refused = await serverError(client.db(DB).command({ count: coll.collectionName }, { session }));
      assert.equal(refused.codeName, 'OperationNotSupportedInTransaction');
      const dup = await serverError(coll.insertOne({ _id: 1 }, { session }));
      assert.equal(dup.code, 11000);
      const aborted = await serverError(coll.insertOne({ _id: 3 }, { session }));
      assert.equal(aborted.codeName, 'NoSuchTransaction');
      await session.abortTransaction();
      assert.equal(await coll.countDocuments(), 1);
    } finally {
      await session.endSession();
    }
  });
});

describe('transactions through the embedded mongos', { skip: AGAINST_REAL_DEPLOYMENT ? 'starts its own embedded sharded cluster' : false }, () => {
  it('a transaction over two shards commits all of its writes at once', async () => {
    const { startShardedCluster } = await import('../../src/embedded/sharded/index.js');
    const cluster = await startShardedCluster({ port: 0, shards: 2, noopIntervalMs: 0 });
    const mongos = new MongoClient(cluster.uri, { serverSelectionTimeoutMS: 5000 });
    try {
      const admin = mongos.db('admin');
      await admin.command({ enableSharding: DB });
      await admin.command({ shardCollection: `${DB}.spread`, key: { _id: 1 } });
      await admin.command({ split: `${DB}.spread`, middle: { _id: 'M' } });
      const owners = (await mongos.db('config').collection('chunks').find().toArray()).map((c) => String(c.shard));
      const other = owners.find((s) => s !== owners[0]) ?? 'shard1';
      await admin.command({ moveChunk: `${DB}.spread`, find: { _id: 'Z' }, to: other });
      const coll = mongos.db(DB).collection<AnyDoc>('spread');
      const session = mongos.startSession();
      try {
        session.startTransaction();
        await coll.insertOne({ _id: 'A' }, { session });
        await coll.insertOne({ _id: 'Z' }, { session });
        assert.equal(await coll.countDocuments(), 0, 'nothing visible before commit');
        await session.commitTransaction();
        assert.deepEqual(await coll.find().sort({ _id: 1 }).toArray(), [{ _id: 'A' }, { _id: 'Z' }]);
      } finally {
        await session.endSession();
      }
    } finally {
      await mongos.close();
      await cluster.stop();
    }
  });
});

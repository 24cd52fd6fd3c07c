import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Int32, Long, MongoClient, type Db, type Document } from 'mongodb';
import { getTarget, uniqueDbName, type TestTarget } from '../helpers/target.js';

// Issue 9: int64 values that stay int64 — a Long written comes back as a Long (promoteLongs: false) from
// finds, updates, aggregations and change events, and an int32 stays an int32.

let target: TestTarget;
let client: MongoClient;
let db: Db;

before(async () => {
  target = await getTarget();
  client = new MongoClient(target.uri, { serverSelectionTimeoutMS: 5000, promoteLongs: false });
  await client.connect();
  db = client.db(uniqueDbName('ticker_int64'));
});

after(async () => {
  await db?.dropDatabase().catch(() => {});
  await client?.close();
  await target?.stop();
});

const isLong = (v: unknown, n: number) => v instanceof Long && v.toNumber() === n;

describe('int64 round trips', () => {
  it('a Long inserted comes back a Long, an int32 an int32, and a Long beyond 2^53 exactly', async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const c = db.collection<any>('values');
    const huge = Long.fromString('9007199254740993');
    await c.insertOne({ _id: 1, long: Long.fromNumber(5), int: 5, nested: { arr: [Long.fromNumber(7), 8] }, huge });
    const doc = await c.findOne({ _id: 1 });
    assert.ok(isLong(doc?.long, 5), `long: ${String(doc?.long)}`);
    assert.equal(doc?.int, 5);
    assert.ok(!(doc?.int instanceof Long));
    assert.ok(isLong(doc?.nested.arr[0], 7));
    assert.equal(doc?.nested.arr[1], 8);
    assert.ok(doc?.huge instanceof Long && doc.huge.equals(huge));
    // Queries compare int64 and int32 by value, as mongod does.
    assert.equal(await c.countDocuments({ long: 5 }), 1);
    assert.equal(await c.countDocuments({ int: Long.fromNumber(5) }), 1);
    assert.equal(await c.countDocuments({ long: { $gt: new Int32(4) } }), 1);
  });

  it('$inc, $set and $mul keep int64 (int64 + int32 is int64); an int32 $inc stays int32', async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const c = db.collection<any>('counters');
    await c.insertOne({ _id: 1, n: Long.fromNumber(10), i: 1 });
    await c.updateOne({ _id: 1 }, { $inc: { n: 1, i: 1 }, $set: { s: Long.fromNumber(3) } });
    let doc = await c.findOne({ _id: 1 });
    assert.ok(isLong(doc?.n, 11), `n: ${String(doc?.n)}`);
    assert.equal(doc?.i, 2);
    assert.ok(isLong(doc?.s, 3));
    await c.updateOne({ _id: 1 }, { $inc: { i: Long.fromNumber(1) }, $mul: { n: 2 } });
    doc = await c.findOne({ _id: 1 });
    assert.ok(isLong(doc?.i, 3), 'int32 + int64 is int64');
    assert.ok(isLong(doc?.n, 22));
    const found = await c.findOneAndUpdate({ _id: 1 }, { $inc: { n: 1 } }, { returnDocument: 'after' });
    assert.ok(isLong(found?.n, 23));
  });

  it('aggregation passes int64 through $match and $sort; change events carry it', async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const c = db.collection<any>('events');
    const stream = c.watch([], { fullDocument: 'updateLookup' });
    await stream.tryNext();
    await c.insertOne({ _id: 1, v: Long.fromNumber(100) });
    await c.updateOne({ _id: 1 }, { $inc: { v: 1 } });
    const agg = await c.aggregate([{ $match: { v: { $gte: 100 } } }, { $sort: { v: 1 } }]).toArray();
    assert.ok(isLong(agg[0].v, 101));
    const inserted = (await stream.next()) as Document;
    assert.ok(isLong(inserted.fullDocument.v, 100), `fullDocument.v: ${String(inserted.fullDocument.v)}`);
    const updated = (await stream.next()) as Document;
    assert.ok(isLong(updated.updateDescription.updatedFields.v, 101), `updatedFields.v: ${String(updated.updateDescription.updatedFields.v)}`);
    assert.ok(isLong(updated.fullDocument.v, 101));
    await stream.close();
  });
});

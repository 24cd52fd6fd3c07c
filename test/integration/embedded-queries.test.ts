import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Long, type MongoClient, type Db, type Document } from 'mongodb';
import { serverError } from '../helpers/server-error.js';
import { type TestTarget, openTestDb, closeTestDb } from '../helpers/target.js';

// Issue 9: hint, min/max, returnKey/showRecordId, views, and updates that would grow a document past 16 MiB,
// each answered as mongod 7.0 answers them (through the official driver).

let target: TestTarget;
let client: MongoClient;
let db: Db;

before(async () => {
  ({ target, client, db } = await openTestDb('ticker_queries'));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  await db.collection<any>('c').insertMany([
    { _id: 1, a: 30, b: 'x' },
    { _id: 2, a: 10, b: 'y' },
    { _id: 3, a: 20, b: 'x' },
    { _id: 4, b: 'z' },
    { _id: 5, a: 40, b: 'y' },
  ]);
  await db.collection('c').createIndex({ a: 1 }, { name: 'a_1' });
});

after(() => closeTestDb({ target, client, db }));

const ids = (docs: Document[]) => docs.map((d) => d._id);

describe('hint', () => {
  it('a hinted index returns documents in its order, by name or key pattern; $natural in natural order', async () => {
    const c = db.collection<any>('c'); // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(ids(await c.find({}).hint('a_1').toArray()), [4, 2, 3, 1, 5]);
    assert.deepEqual(ids(await c.find({ b: { $ne: 'z' } }).hint({ a: 1 }).toArray()), [2, 3, 1, 5]);
    assert.deepEqual(ids(await c.find({}).hint({ $natural: -1 }).toArray()), [5, 4, 3, 2, 1]);
    assert.deepEqual(ids(await c.find({}).hint({ $natural: 1 }).toArray()), [1, 2, 3, 4, 5]);
  });

  it('an unknown index is BadValue (2) on find, count, distinct, aggregate, update, delete and findAndModify', async () => {
    const c = db.collection<any>('c'); // eslint-disable-line @typescript-eslint/no-explicit-any
    const attempts: Array<[string, () => Promise<unknown>]> = [
      ['find', () => c.find({}).hint('nope').toArray()],
      ['find by key', () => c.find({}).hint({ nope: 1 }).toArray()],
      ['count', () => c.countDocuments({}, { hint: 'nope' })],
      ['count command', () => db.command({ count: 'c', hint: { b: 1 } })],
      ['distinct', () => db.command({ distinct: 'c', key: 'b', hint: 'nope' })],
      ['aggregate', () => c.aggregate([{ $match: {} }], { hint: 'nope' }).toArray()],
      ['update', () => c.updateOne({ _id: 1 }, { $set: { z: 1 } }, { hint: 'nope' })],
      ['delete', () => c.deleteOne({ _id: 1 }, { hint: 'nope' })],
      ['findAndModify', () => c.findOneAndUpdate({ _id: 1 }, { $set: { z: 1 } }, { hint: { nope: 1 } })],
    ];
    for (const [what, attempt] of attempts) {
      const err = await serverError(attempt());
      assert.equal(err.code, 2, what);
      // Write statements fail as write errors, which carry no code name.
      if (err.codeName !== undefined) assert.equal(err.codeName, 'BadValue', what);
      assert.match(err.message, /hint provided does not correspond to an existing index/, what);
    }
    assert.equal((await c.findOne({ _id: 1 }))?.z, undefined, 'nothing was written');
    // A valid hint on a write is accepted.
    assert.equal((await c.updateOne({ _id: 1 }, { $set: { z: 1 } }, { hint: { a: 1 } })).modifiedCount, 1);
    await c.updateOne({ _id: 1 }, { $unset: { z: '' } });
  });

  it('a hint on a collection that does not exist finds nothing, without an error', async () => {
    assert.deepEqual(await db.collection('missing').find({}).hint('nope').toArray(), []);
  });
});

describe('min and max', () => {
  it('bound a hinted index scan: min inclusive, max exclusive', async () => {
    const c = db.collection<any>('c'); // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(ids(await c.find({}).hint({ a: 1 }).min({ a: 20 }).max({ a: 40 }).toArray()), [3, 1]);
    assert.deepEqual(ids(await c.find({}).hint('a_1').min({ a: 25 }).toArray()), [1, 5]);
    assert.deepEqual(ids(await c.find({ b: 'y' }).hint('a_1').max({ a: 40 }).toArray()), [2]);
  });

  it('are refused as mongod refuses them (51173, 51174, 51175)', async () => {
    const c = db.collection<any>('c'); // eslint-disable-line @typescript-eslint/no-explicit-any
    let err = await serverError(c.find({}).min({ a: 1 }).toArray());
    assert.equal(err.code, 51173);
    assert.match(err.message, /When using min\(\)\/max\(\) a hint of which index to use must be provided/);
    err = await serverError(c.find({}).hint('a_1').min({ b: 1 }).toArray());
    assert.equal(err.code, 51174);
    err = await serverError(c.find({}).hint('a_1').min({ a: 30 }).max({ a: 20 }).toArray());
    assert.equal(err.code, 51175);
  });
});

describe('returnKey and showRecordId', () => {
  it('returnKey returns the index key of the index used, {} on a collection scan', async () => {
    const c = db.collection<any>('c'); // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(await c.find({ a: { $gte: 30 } }, { returnKey: true, sort: { a: 1 } }).toArray(), [{ a: 30 }, { a: 40 }]);
    assert.deepEqual(await c.find({}, { returnKey: true, sort: { _id: 1 }, limit: 2 }).toArray(), [{ _id: 1 }, { _id: 2 }]);
    assert.deepEqual(await c.find({ b: 'z' }, { returnKey: true }).toArray(), [{}]);
  });

  it('showRecordId adds a stable int64 $recordId', async () => {
    const c = db.collection<any>('c'); // eslint-disable-line @typescript-eslint/no-explicit-any
    const first = await c.find({}, { showRecordId: true, sort: { _id: 1 } }).toArray();
    assert.equal(first.length, 5);
    for (const doc of first) assert.ok(typeof doc.$recordId === 'number' || doc.$recordId instanceof Long, 'a $recordId on each');
    const again = await db.collection('c').find({}, { showRecordId: true, sort: { _id: 1 }, promoteLongs: false }).toArray();
    assert.ok(again[0].$recordId instanceof Long, 'an int64');
    await c.updateOne({ _id: 3 }, { $set: { touched: true } });
    const after = await c.find({ _id: 3 }, { showRecordId: true }).toArray();
    assert.equal(Number(after[0].$recordId), Number(first[2].$recordId), 'an update keeps the record id');
    assert.equal(new Set(first.map((d) => Number(d.$recordId))).size, 5, 'distinct ids');
    await c.updateOne({ _id: 3 }, { $unset: { touched: '' } });
  });
});

describe('views', () => {
  before(async () => {
    await db.createCollection('big_a', { viewOn: 'c', pipeline: [{ $match: { a: { $gte: 20 } } }] });
    await db.createCollection('big_a_y', { viewOn: 'big_a', pipeline: [{ $match: { b: 'y' } }, { $project: { b: 0 } }] });
  });

  it('find, aggregate, count, countDocuments, estimatedDocumentCount and distinct read through the pipeline', async () => {
    const v = db.collection('big_a');
    assert.deepEqual(ids(await v.find({ b: 'x' }).sort({ a: -1 }).toArray()), [1, 3]);
    assert.deepEqual(await v.aggregate([{ $group: { _id: null, sum: { $sum: '$a' } } }]).toArray(), [{ _id: null, sum: 90 }]);
    assert.equal(await v.countDocuments(), 3);
    assert.equal(await v.estimatedDocumentCount(), 3);
    assert.equal((await db.command({ count: 'big_a', query: { b: 'y' } })).n, 1);
    assert.deepEqual((await v.distinct('b')).sort(), ['x', 'y']);
    // A view on a view: both pipelines, in order.
    assert.deepEqual(await db.collection('big_a_y').find().toArray(), [{ _id: 5, a: 40 }]);
  });

  it('listCollections shows them as views with their options', async () => {
    const infos = await db.listCollections({ name: 'big_a' }).toArray();
    assert.equal(infos.length, 1);
    assert.equal(infos[0].type, 'view');
    assert.deepEqual((infos[0] as Document).options, { viewOn: 'c', pipeline: [{ $match: { a: { $gte: 20 } } }] });
    assert.equal((infos[0] as Document).info.readOnly, true);
  });

  it('writes, indexes and change streams on a view are CommandNotSupportedOnView (166)', async () => {
    const v = db.collection('big_a');
    const attempts: Array<[string, () => Promise<unknown>]> = [
      ['insert', () => v.insertOne({ a: 99 })],
      ['update', () => v.updateOne({}, { $set: { x: 1 } })],
      ['delete', () => v.deleteMany({})],
      ['findAndModify', () => v.findOneAndDelete({})],
      ['createIndex', () => v.createIndex({ b: 1 })],
      ['$out', () => db.collection('c').aggregate([{ $match: { _id: 1 } }, { $out: 'big_a' }]).toArray()],
    ];
    for (const [what, attempt] of attempts) {
      const err = await serverError(attempt());
      assert.equal(err.code, 166, what);
      assert.equal(err.codeName, 'CommandNotSupportedOnView', what);
    }
    const stream = v.watch();
    const err = await serverError(stream.tryNext());
    await stream.close();
    assert.equal(err.code, 166);
    assert.equal(await db.collection('c').countDocuments(), 5, 'nothing was written to the source');
  });

  it('a name taken by a view or collection is NamespaceExists (48); drop removes a view', async () => {
    assert.equal((await serverError(db.createCollection('big_a'))).code, 48);
    assert.equal((await serverError(db.createCollection('c', { viewOn: 'other' }))).code, 48);
    await db.createCollection('tmp_view', { viewOn: 'c' });
    assert.equal(await db.collection('tmp_view').countDocuments(), 5);
    assert.equal(await db.collection('tmp_view').drop(), true);
    assert.deepEqual(await db.listCollections({ name: 'tmp_view' }).toArray(), []);
  });
});

describe('documents over 16 MiB after an update', () => {
  it('an update, replacement, findAndModify or upsert that grows a document past 16 MiB is refused (17419 / 17420)', async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const c = db.collection<any>('growing');
    const half = 'x'.repeat(9 * 1024 * 1024);
    await c.insertOne({ _id: 1, a: half });
    let err = await serverError(c.updateOne({ _id: 1 }, { $set: { b: half } }));
    assert.equal(err.code, 17419);
    assert.match(err.message, /Resulting document after update is larger than 16777216/);
    err = await serverError(c.findOneAndUpdate({ _id: 1 }, { $set: { b: half } }));
    assert.equal(err.code, 17419);
    err = await serverError(c.updateOne({ _id: 2 }, [{ $set: { a: { $concat: ['$$half', '$$half'] } } }], { upsert: true, let: { half } }));
    assert.equal(err.code, 17420);
    const stored = await c.findOne({ _id: 1 });
    assert.equal(stored?.b, undefined, 'the stored document is unchanged');
    assert.equal(await c.countDocuments({ _id: 2 }), 0, 'nothing was upserted');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type MongoClient, MongoServerError, type Db, type Document } from 'mongodb';
import { type TestTarget, openTestDb, closeTestDb } from '../helpers/target.js';

// Issue 9: collation, `let` variables, $out and $merge through the driver, as applications use them.

let target: TestTarget;
let client: MongoClient;
let db: Db;

before(async () => {
  ({ target, client, db } = await openTestDb('ticker_options'));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  await db.collection<any>('words').insertMany([
    { _id: 1, w: 'apple', n: 3 },
    { _id: 2, w: 'Apple', n: 1 },
    { _id: 3, w: 'banana', n: 2 },
    { _id: 4, w: 'Äpfel', n: 5 },
    { _id: 5, w: 'cherry', n: 4 },
  ]);
});

after(() => closeTestDb({ target, client, db }));

const ids = (docs: Document[]) => docs.map((d) => d._id);

describe('collation', () => {
  const caseInsensitive = { locale: 'en', strength: 2 };
  const baseLetters = { locale: 'en', strength: 1 };

  it('strength 2 matches case-insensitively in find, count and distinct', async () => {
    const c = db.collection('words');
    assert.deepEqual(ids(await c.find({ w: 'APPLE' }, { collation: caseInsensitive, sort: { _id: 1 } }).toArray()), [1, 2]);
    assert.equal(await c.countDocuments({ w: 'apple' }, { collation: caseInsensitive }), 2);
    assert.equal(await c.countDocuments({ w: 'apple' }), 1, 'without a collation, binary comparison');
    assert.deepEqual((await c.distinct('w', { w: { $in: ['apple', 'APPLE'] } }, { collation: caseInsensitive })).length, 1);
  });

  it('strength 1 ignores accents too; sorts follow the locale, not code points', async () => {
    const c = db.collection('words');
    assert.deepEqual(ids(await c.find({ w: 'apfel' }, { collation: baseLetters }).toArray()), [4]);
    const sorted = await c.find({}, { collation: { locale: 'en' }, sort: { w: 1, _id: 1 } }).toArray();
    assert.deepEqual(sorted.map((d) => d.w), ['Äpfel', 'apple', 'Apple', 'banana', 'cherry']);
    const binary = await c.find({}, { sort: { w: 1 } }).toArray();
    assert.equal(binary[0].w, 'Apple', 'binary order puts capitals first');
  });

  it('applies to updates, deletes and aggregations', async () => {
    const c = db.collection('words');
    assert.equal((await c.updateMany({ w: 'APPLE' }, { $set: { fruit: true } }, { collation: caseInsensitive })).modifiedCount, 2);
    const grouped = await c.aggregate([{ $match: { fruit: true } }, { $group: { _id: null, n: { $sum: 1 } } }], { collation: caseInsensitive }).toArray();
    assert.equal(grouped[0].n, 2);
    assert.equal((await c.deleteMany({ w: 'nothing' }, { collation: caseInsensitive })).deletedCount, 0);
    await c.updateMany({}, { $unset: { fruit: '' } });
  });

  it('an invalid collation is refused', async () => {
    const err = await db.collection('words').find({}, { collation: { locale: 'xx-invalid-zz' } }).toArray().catch((e: unknown) => e);
    assert.ok(err instanceof MongoServerError, String(err));
    assert.equal(err.code, 2);
  });
});

describe('let variables', () => {
  it('are usable in find ($expr), aggregate, update and delete', async () => {
    const c = db.collection('words');
    assert.deepEqual(ids(await c.find({ $expr: { $gte: ['$n', '$$least'] } }, { let: { least: 4 }, sort: { _id: 1 } }).toArray()), [4, 5]);
    const agg = await c.aggregate([{ $match: { $expr: { $eq: ['$w', '$$word'] } } }, { $project: { _id: 1, twice: { $multiply: ['$n', '$$factor'] } } }], { let: { word: 'banana', factor: 2 } }).toArray();
    assert.deepEqual(agg, [{ _id: 3, twice: 4 }]);
    await c.updateOne({ $expr: { $eq: ['$_id', '$$target'] } }, [{ $set: { tag: '$$label' } }], { let: { target: 5, label: 'late' } });
    assert.equal((await c.findOne({ _id: 5 as never }))?.tag, 'late');
    assert.equal((await c.deleteOne({ $expr: { $eq: ['$tag', '$$label'] } }, { let: { label: 'none' } })).deletedCount, 0);
    await c.updateOne({ _id: 5 as never }, { $unset: { tag: '' } });
  });

  it('a variable name mongod refuses is refused', async () => {
    const err = await db.collection('words').find({}, { let: { Bad: 1 } }).toArray().catch((e: unknown) => e);
    assert.ok(err instanceof MongoServerError, String(err));
  });
});

describe('$out and $merge', () => {
  it('$out replaces the target with the pipeline output', async () => {
    await db.collection('out_target').insertOne({ stale: true });
    await db.collection('words').aggregate([{ $match: { n: { $gte: 3 } } }, { $project: { w: 1 } }, { $out: 'out_target' }]).toArray();
    const written = await db.collection('out_target').find({}, { sort: { _id: 1 } }).toArray();
    assert.deepEqual(written, [{ _id: 1, w: 'apple' }, { _id: 4, w: 'Äpfel' }, { _id: 5, w: 'cherry' }]);
  });

  it('$merge inserts new documents, merges matched ones, and can fail on a match', async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const target = db.collection<any>('merge_target');
    await target.insertMany([{ _id: 1, kept: 'yes', n: 0 }]);
    await db.collection('words').aggregate([{ $match: { _id: { $in: [1, 3] } } }, { $project: { n: 1 } }, { $merge: { into: 'merge_target' } }]).toArray();
    assert.deepEqual(await target.find({}, { sort: { _id: 1 } }).toArray(), [{ _id: 1, kept: 'yes', n: 3 }, { _id: 3, n: 2 }]);
    await db.collection('words').aggregate([{ $match: { _id: 1 } }, { $project: { n: 1 } }, { $merge: { into: 'merge_target', whenMatched: 'keepExisting', whenNotMatched: 'discard' } }]).toArray();
    const err = await db.collection('words').aggregate([{ $match: { _id: 1 } }, { $merge: { into: 'merge_target', whenMatched: 'fail' } }]).toArray().catch((e: unknown) => e);
    assert.ok(err instanceof MongoServerError && err.code === 11000, String(err));
    const replaced = await db.collection('words').aggregate([{ $match: { _id: 3 } }, { $project: { w: 1 } }, { $merge: { into: 'merge_target', whenMatched: 'replace' } }]).toArray();
    assert.deepEqual(replaced, []);
    assert.deepEqual(await target.findOne({ _id: 3 }), { _id: 3, w: 'banana' });
  });

  it('$merge with a pipeline for matched documents', async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const totals = db.collection<any>('totals');
    await totals.insertOne({ _id: 'all', sum: 10 });
    await db.collection('words').aggregate([
      { $group: { _id: 'all', sum: { $sum: '$n' } } },
      { $merge: { into: 'totals', whenMatched: [{ $set: { sum: { $add: ['$sum', '$$new.sum'] } } }] } },
    ]).toArray();
    assert.equal((await totals.findOne({ _id: 'all' }))?.sum, 25);
  });
});

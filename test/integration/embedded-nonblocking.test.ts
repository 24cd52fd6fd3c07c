import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MongoClient, type Db, type Document } from 'mongodb';
import { getTarget, requireEmbedded, uniqueDbName, type TestTarget } from '../helpers/target.js';
import { serverError } from '../helpers/server-error.js';
import { pingDuring } from '../helpers/ping-during.js';

// Issue 9: one long operation must not stop the server for everyone else, and maxTimeMS ends it with 50.

const DOCS = 200_000;
let target: TestTarget;
let worker: MongoClient;
let bystander: MongoClient;
let db: Db;

before(async () => {
  target = await getTarget();
  worker = new MongoClient(target.uri, { serverSelectionTimeoutMS: 5000 });
  bystander = new MongoClient(target.uri, { serverSelectionTimeoutMS: 5000 });
  await Promise.all([worker.connect(), bystander.connect()]);
  await bystander.db('admin').command({ ping: 1 });
  db = worker.db(uniqueDbName('ticker_nonblocking'));
  // Strings a backtracking engine needs ~2^28 steps each to reject for ^(a+)+$.
  const evil = 'a'.repeat(28);
  const docs: Document[] = Array.from({ length: DOCS }, (_, i) => ({ _id: i, k: i % 5000, s: `${evil}b${i}`, x: i % 97 }));
  for (let at = 0; at < DOCS; at += 50_000) await big().insertMany(docs.slice(at, at + 50_000), { ordered: false });
});

after(async () => {
  await db?.dropDatabase().catch(() => {});
  await Promise.all([worker?.close(), bystander?.close()]);
  await target?.stop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const big = () => db.collection<any>('big');



describe('long operations share the server', () => {
  it('a catastrophic regex over 200k documents: another connection is answered first', async () => {
    const filter = { s: { $regex: '^(a+)+$' } };
    const { pingFirst, longRanPastPingSend } = await pingDuring(bystander, async () => {
      assert.equal(await big().countDocuments(filter), 0);
    });
    assert.ok(longRanPastPingSend, 'the regex scan ended before the ping was sent');
    assert.ok(pingFirst, 'the ping waited for the regex scan');
  });

  it('a $group over 200k documents: another connection is answered first', async () => {
    // One reply (no getMore round trips the ping could slip between).
    const pipeline = [{ $group: { _id: '$k', n: { $sum: 1 }, xs: { $push: '$x' } } }, { $sort: { _id: 1 } }, { $limit: 2 }];
    const { pingFirst, longRanPastPingSend } = await pingDuring(bystander, async () => {
      const groups = await big().aggregate(pipeline).toArray();
      assert.equal(groups.length, 2);
      assert.deepEqual(groups[1], { _id: 1, n: DOCS / 5000, xs: groups[1].xs });
      assert.equal(groups[1].xs.length, DOCS / 5000);
      assert.equal(groups[1].xs[1], 5001 % 97);
    });
    assert.ok(longRanPastPingSend, 'the $group ended before the ping was sent');
    assert.ok(pingFirst, 'the ping waited for the $group');
  });

  it('one $group bucket (_id: null) with a costly accumulator: another connection is answered first', async () => {
    // 2,000 documents of 16 KiB: the grouping key costs nothing, the accumulator scans every string (RE2,
    // linear), so nearly all the work is accumulating the one bucket.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const wide = db.collection<any>('wide');
    const long = 'a'.repeat(16 * 1024);
    await wide.insertMany(Array.from({ length: 2000 }, (_, i) => ({ _id: i, s: i % 10 === 0 ? long : `${long}b`, x: i % 7 })));
    const hits = { $sum: { $cond: [{ $regexMatch: { input: '$s', regex: '^(a+)+$' } }, 1, 0] } };
    const pipeline = [{ $group: { _id: null, hits, n: { $count: {} }, top: { $max: '$x' }, avg: { $avg: '$x' } } }];
    const { pingFirst, longRanPastPingSend } = await pingDuring(bystander, async () => {
      const [all] = await wide.aggregate(pipeline).toArray();
      assert.deepEqual(all, { _id: null, hits: 200, n: 2000, top: 6, avg: Array.from({ length: 2000 }, (_, i) => i % 7).reduce((a, b) => a + b) / 2000 });
    });
    assert.ok(longRanPastPingSend, 'the $group ended before the ping was sent');
    assert.ok(pingFirst, 'the ping waited for the $group');
  });

  it('a sort of 200k documents gives mongod\'s order', async () => {
    const docs = await big().find({}, { sort: { x: -1, _id: 1 }, limit: 3, projection: { _id: 1, x: 1 } }).toArray();
    assert.deepEqual(docs, [{ _id: 96, x: 96 }, { _id: 193, x: 96 }, { _id: 290, x: 96 }]);
  });
});

describe('maxTimeMS', () => {
  it('ends a long $group with MaxTimeMSExpired (50)', async () => {
    const err = await serverError(big().aggregate([{ $group: { _id: '$_id', xs: { $push: '$s' } } }], { maxTimeMS: 1 }).toArray());
    assert.equal(err.code, 50);
    assert.equal(err.codeName, 'MaxTimeMSExpired');
  });

  it('ends a regex scan, a sort, a count and a distinct with 50', async () => {
    const regex = { s: { $regex: '^(a+)+$' } };
    for (const run of [
      () => big().find(regex, { maxTimeMS: 1 }).toArray(),
      () => big().find({}, { sort: { s: 1, x: -1 }, maxTimeMS: 1 }).toArray(),
      () => big().countDocuments(regex, { maxTimeMS: 1 }),
      () => big().distinct('x', regex, { maxTimeMS: 1 }),
    ]) {
      const err = await serverError(run());
      assert.equal(err.code, 50, err.message);
    }
  });

  it('ends a big updateMany and deleteMany with 50, as a write error or the command\'s error', async () => {
    for (const run of [
      () => big().updateMany({ s: { $regex: '^(a+)+$' } }, { $set: { never: true } }, { maxTimeMS: 1 }),
      () => big().deleteMany({ s: { $regex: '^(a+)+$' } }, { maxTimeMS: 1 }),
    ]) {
      const err = await serverError(run());
      assert.equal(err.code, 50, err.message);
    }
    assert.equal(await big().countDocuments({ never: true }), 0);
    assert.equal(await big().estimatedDocumentCount(), DOCS);
  });

  it('lets a command that finishes in time succeed', async () => {
    assert.equal((await big().find({ _id: 7 }, { maxTimeMS: 60_000 }).toArray()).length, 1);
  });

  it('is parsed as mongod parses it', async () => {
    const run = (maxTimeMS: unknown) => serverError(db.command({ aggregate: 'big', pipeline: [], cursor: {}, maxTimeMS }));
    let err = await run(-1);
    assert.equal(err.code, 51024);
    assert.equal(err.message, "BSON field 'maxTimeMS' value must be >= 0, actual value '-1'");
    err = await run('10');
    assert.equal(err.code, 14);
    assert.equal(err.codeName, 'TypeMismatch');
    // find parses it with the generic parser: BadValue for every fault.
    for (const bad of [-1, '10', null]) assert.equal((await serverError(db.command({ find: 'big', filter: { _id: 1 }, maxTimeMS: bad }))).code, 2);
    err = await run(1.5);
    assert.equal(err.code, 2);
    assert.equal(err.message, 'maxTimeMS has non-integral value');
    err = await run(2 ** 31);
    assert.equal(err.code, 2);
  });

  it('the maxTimeAlwaysTimeOut fail point fails every command that sets maxTimeMS', async (t) => {
    if (!requireEmbedded(t)) return;
    const admin = worker.db('admin');
    await admin.command({ configureFailPoint: 'maxTimeAlwaysTimeOut', mode: 'alwaysOn' });
    try {
      const err = await serverError(big().findOne({ _id: 1 }, { maxTimeMS: 10_000 }));
      assert.equal(err.code, 50);
      assert.ok(await big().findOne({ _id: 1 }), 'a command without maxTimeMS is not affected');
    } finally {
      await admin.command({ configureFailPoint: 'maxTimeAlwaysTimeOut', mode: 'off' });
    }
    assert.ok(await big().findOne({ _id: 1 }, { maxTimeMS: 10_000 }));
  });
});

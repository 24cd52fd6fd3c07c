import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Binary, BSONRegExp, Code, Decimal128, Int32, Long, MaxKey, MinKey, MongoClient, ObjectId, Timestamp, UUID,
  type Collection, type Document,
} from 'mongodb';
import { getTarget, uniqueDbName, type TestTarget } from '../helpers/target.js';
import { serverError } from '../helpers/server-error.js';

// `$type` by BSON type, as mongod matches it: in filters (aliases, type codes, lists, "number", array
// elements, dotted paths) and as an expression; bad arguments refused with mongod's codes.

let target: TestTarget;
let client: MongoClient;
let c: Collection<Document>;

const VALUES: Record<string, unknown> = {
  double: 1.5, int: new Int32(3), long: Long.fromNumber(4), hugeLong: Long.fromString('9007199254740993'),
  objectId: new ObjectId(), decimal: Decimal128.fromString('1.1'), binData: new Binary(Buffer.from('ab')), uuid: new UUID(),
  timestamp: new Timestamp({ t: 1, i: 1 }), minKey: new MinKey(), maxKey: new MaxKey(), regex: new BSONRegExp('a', 'i'),
  javascript: new Code('x'), string: 's', bool: true, date: new Date(0), null: null, array: [new Int32(1), 'x'], object: { a: 1 },
};

before(async () => {
  target = await getTarget();
  client = new MongoClient(target.uri, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  c = client.db(uniqueDbName('ticker_type')).collection('values');
  await c.insertMany(Object.entries(VALUES).map(([_id, v]) => ({ _id: _id as never, v, nested: [{ x: v }] })));
});

after(async () => {
  await c?.db.dropDatabase().catch(() => {});
  await client?.close();
  await target?.stop();
});

const ids = async (filter: Document) => (await c.find(filter).toArray()).map((d) => String(d._id)).sort();

describe('$type matches BSON types', () => {
  it('each alias matches the values of that type (an array field also by its elements)', async () => {
    const expected: Record<string, string[]> = {
      double: ['double'], int: ['array', 'int'], long: ['hugeLong', 'long'], decimal: ['decimal'], objectId: ['objectId'],
      binData: ['binData', 'uuid'], timestamp: ['timestamp'], minKey: ['minKey'], maxKey: ['maxKey'], regex: ['regex'],
      javascript: ['javascript'], string: ['array', 'string'], bool: ['bool'], date: ['date'], null: ['null'],
      array: ['array'], object: ['object'],
    };
    for (const [alias, want] of Object.entries(expected)) assert.deepEqual(await ids({ v: { $type: alias } }), want, alias);
  });

  it('type codes, lists, "number", dotted paths through arrays, and the negation', async () => {
    assert.deepEqual(await ids({ v: { $type: 7 } }), ['objectId']);
    assert.deepEqual(await ids({ v: { $type: -1 } }), ['minKey']);
    assert.deepEqual(await ids({ v: { $type: ['objectId', 17] } }), ['objectId', 'timestamp']);
    const numbers = ['array', 'decimal', 'double', 'hugeLong', 'int', 'long'];
    assert.deepEqual(await ids({ v: { $type: 'number' } }), numbers);
    assert.deepEqual(await ids({ 'nested.x': { $type: 'objectId' } }), ['objectId']);
    assert.equal((await ids({ v: { $not: { $type: 'number' } } })).length, Object.keys(VALUES).length - numbers.length);
  });

  it('the $type expression names the type', async () => {
    const docs = await c.aggregate([{ $match: { _id: { $in: ['objectId', 'long', 'int', 'double', 'binData'] as never[] } } }, { $project: { t: { $type: '$v' }, m: { $type: '$absent' } } }]).toArray();
    const byId = Object.fromEntries(docs.map((d) => [String(d._id), d]));
    assert.deepEqual(Object.fromEntries(Object.entries(byId).map(([k, d]) => [k, d.t])), { binData: 'binData', double: 'double', int: 'int', long: 'long', objectId: 'objectId' });
    assert.equal(byId.int!.m, 'missing');
  });

  it('a bad $type is refused as mongod refuses it', async () => {
    assert.equal((await serverError(c.find({ v: { $type: 'nope' } }).toArray())).code, 2);
    assert.equal((await serverError(c.find({ v: { $type: 99 } }).toArray())).code, 2);
    const empty = await serverError(c.find({ v: { $type: [] } }).toArray());
    assert.equal(empty.code, 9);
    assert.match(empty.message, /v must match at least one type/);
    assert.equal((await serverError(c.find({ v: { $type: { a: 1 } } }).toArray())).code, 2);
    assert.match((await serverError(c.find({ v: { $type: 'nope' } }).toArray())).message, /Unknown type name alias: nope/);
  });
});

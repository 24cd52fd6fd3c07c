import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Long, MongoClient, Timestamp, type Db, type Document } from 'mongodb';
import { EMULATOR_ONLY, embeddedTestTarget, type EmbeddedTestTarget } from './embedded-target.js';
import { serverError } from '../helpers/server-error.js';

// Every command issue #2 lists, through the official driver, with MongoDB 7.0's reply shapes and codes.

let target: EmbeddedTestTarget;
let client: MongoClient;
let db: Db;
const DB = `ticker_cmds_${process.pid}`;

before(async () => {
  target = await embeddedTestTarget();
  client = new MongoClient(target.uri, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  db = client.db(DB);
  await db.dropDatabase();
});

after(async () => {
  await db.dropDatabase().catch(() => {});
  await client.close();
  await target.stop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDoc = any;
const coll = (name: string) => db.collection<AnyDoc>(name);


describe('handshake and server information', () => {
  it('hello: a replica-set primary of wire version 21', async () => {
    const hello = await db.admin().command({ hello: 1 });
    assert.equal(hello.isWritablePrimary, true);
    assert.equal(hello.secondary, false);
    assert.equal(typeof hello.setName, 'string');
    assert.ok(Array.isArray(hello.hosts) && hello.hosts.includes(hello.me));
    assert.equal(hello.primary, hello.me);
    assert.equal(hello.maxWireVersion, 21);
    assert.equal(hello.logicalSessionTimeoutMinutes, 30);
    assert.equal(hello.maxBsonObjectSize, 16 * 1024 * 1024);
    assert.equal(hello.maxMessageSizeBytes, 48_000_000);
    assert.equal(hello.maxWriteBatchSize, 100_000);
    assert.ok(hello.topologyVersion?.processId);
    assert.ok(hello.electionId);
    assert.equal(typeof hello.setVersion, 'number');
    assert.ok(hello.localTime instanceof Date);
    assert.equal(hello.ismaster, undefined);
  });

  it('isMaster and ismaster answer with the legacy field', async () => {
    for (const name of ['isMaster', 'ismaster']) {
      const reply = await db.admin().command({ [name]: 1 });
      assert.equal(reply.ismaster, true);
      assert.equal(reply.isWritablePrimary, undefined);
    }
  });

  it('ping', async () => {
    assert.equal((await db.command({ ping: 1 })).ok, 1);
  });

  it('buildInfo reports 7.0', async () => {
    const info = await db.admin().command({ buildInfo: 1 });
    assert.match(info.version, /^7\.0\./);
    assert.deepEqual(info.versionArray.slice(0, 2), [7, 0]);
    assert.equal(info.maxBsonObjectSize, 16 * 1024 * 1024);
    assert.equal(typeof info.gitVersion, 'string');
  });

  it('serverStatus says mongod', async () => {
    const status = await db.admin().command({ serverStatus: 1 });
    assert.equal(status.process, 'mongod');
    assert.match(status.version, /^7\.0\./);
    assert.equal(typeof status.host, 'string');
    assert.equal(typeof status.uptime, 'number');
    assert.ok(status.connections.current >= 1);
    assert.equal(typeof status.repl?.setName, 'string');
  });

  it('getParameter: named, "*" and unknown', async () => {
    const fcv = await db.admin().command({ getParameter: 1, featureCompatibilityVersion: 1 });
    assert.equal(fcv.featureCompatibilityVersion.version, '7.0');
    const all = await db.admin().command({ getParameter: '*' });
    assert.ok('featureCompatibilityVersion' in all);
    const unknown = await serverError(db.admin().command({ getParameter: 1, noSuchParameterAnywhere: 1 }));
    assert.equal(unknown.code, 72);
    assert.equal(unknown.codeName, 'InvalidOptions');
    const wrongDb = await serverError(db.command({ getParameter: 1, featureCompatibilityVersion: 1 }));
    assert.equal(wrongDb.code, 13);
  });

  it('replSetGetStatus: one primary member', async () => {
    const status = await db.admin().command({ replSetGetStatus: 1 });
    assert.equal(status.myState, 1);
    assert.equal(status.members.length, 1);
    assert.equal(status.members[0].stateStr, 'PRIMARY');
    assert.equal(status.members[0].self, true);
    assert.ok(status.members[0].optime.ts instanceof Timestamp);
    assert.ok(status.members[0].optimeDate instanceof Date);
  });

  it('endSessions', async () => {
    const session = client.startSession();
    await coll('s').findOne({}, { session });
    await session.endSession();
    assert.equal((await db.admin().command({ endSessions: [session.id] })).ok, 1);
  });

  it('an unknown command is CommandNotFound (59)', async () => {
    const err = await serverError(db.command({ noSuchCommandHere: 1 }));
    assert.equal(err.code, 59);
    assert.equal(err.codeName, 'CommandNotFound');
    assert.match(err.message, /no such command: 'noSuchCommandHere'/);
  });
});

describe('databases and collections', () => {
  it('create, listCollections (filter, nameOnly), create twice is NamespaceExists (48)', async () => {
    await db.createCollection('made');
    const infos: Document[] = await db.listCollections({ name: "made" }).toArray();
    assert.equal(infos.length, 1);
    assert.equal(infos[0].type, 'collection');
    assert.deepEqual(infos[0].idIndex?.key, { _id: 1 });
    assert.equal(infos[0].info?.readOnly, false);
    const names: Document[] = await db.listCollections({}, { nameOnly: true }).toArray();
    assert.ok(names.some((c) => c.name === 'made'));
    assert.equal((names[0] as Document).options, undefined);
    const err = await serverError(db.createCollection('made'));
    assert.equal(err.code, 48);
    assert.equal(err.codeName, 'NamespaceExists');
  });

  it('listDatabases: names, sizes, nameOnly, filter, authorizedDatabases', async () => {
    await coll('ld').insertOne({ _id: 1 });
    const full = await db.admin().command({ listDatabases: 1 });
    const mine = full.databases.find((d: Document) => d.name === DB);
    assert.ok(mine);
    assert.equal(typeof mine.sizeOnDisk, 'number');
    assert.equal(mine.empty, false);
    assert.equal(typeof full.totalSize, 'number');
    assert.equal(typeof full.totalSizeMb, 'number');
    assert.ok(full.databases.some((d: Document) => d.name === 'admin'));
    assert.ok(full.databases.some((d: Document) => d.name === 'local'));
    const names = await db.admin().command({ listDatabases: 1, nameOnly: true, authorizedDatabases: true });
    assert.deepEqual(Object.keys(names.databases[0]), ['name']);
    assert.equal(names.totalSize, undefined);
    const filtered = await db.admin().command({ listDatabases: 1, filter: { name: DB } });
    assert.deepEqual(filtered.databases.map((d: Document) => d.name), [DB]);
    const viaDriver = await db.admin().listDatabases();
    assert.ok(viaDriver.databases.some((d) => d.name === DB));
    const onOther = await serverError(db.command({ listDatabases: 1 }));
    assert.equal(onOther.code, 13);
  });

  it('drop: existing collection, and a missing one succeeds', async () => {
    await coll('todrop').insertOne({ _id: 1 });
    assert.equal(await coll('todrop').drop(), true);
    assert.equal(await coll('todrop').drop(), true);
    const reply = await db.command({ drop: 'neverExisted' });
    assert.equal(reply.ok, 1);
    assert.equal((await db.listCollections({ name: 'todrop' }).toArray()).length, 0);
  });

  it('renameCollection: moves documents; target exists → NamespaceExists unless dropTarget', async () => {
    await coll('ren_a').insertMany([{ _id: 1 }, { _id: 2 }]);
    await coll('ren_b').insertOne({ _id: 9 });
    const err = await serverError(db.renameCollection('ren_a', 'ren_b'));
    assert.equal(err.code, 48);
    await db.renameCollection('ren_a', 'ren_b', { dropTarget: true });
    assert.deepEqual(await coll('ren_b').find().sort({ _id: 1 }).toArray(), [{ _id: 1 }, { _id: 2 }]);
    assert.equal((await db.listCollections({ name: 'ren_a' }).toArray()).length, 0);
    const missing = await serverError(db.renameCollection('ren_none', 'ren_c'));
    assert.equal(missing.code, 26);
    assert.equal(missing.codeName, 'NamespaceNotFound');
  });

  it('dropDatabase', async () => {
    const other = client.db(`${DB}_gone`);
    await other.collection<AnyDoc>('x').insertOne({ _id: 1 });
    assert.equal(await other.dropDatabase(), true);
    const { databases } = await db.admin().command({ listDatabases: 1, nameOnly: true });
    assert.ok(!databases.some((d: Document) => d.name === `${DB}_gone`));
    assert.equal(await other.dropDatabase(), true);
  });
});

describe('writes', () => {
  it('insert: n, a duplicate _id is a DuplicateKey (11000) write error with keyPattern/keyValue', async () => {
    const c = coll('ins');
    const res = await c.insertMany([{ _id: 'a', v: 1 }, { _id: 'b', v: 2 }]);
    assert.equal(res.insertedCount, 2);
    const err = await serverError(c.insertOne({ _id: 'a', v: 3 }));
    assert.equal(err.code, 11000);
    assert.deepEqual(err.keyPattern, { _id: 1 });
    assert.deepEqual(err.keyValue, { _id: 'a' });
    assert.match(err.message, /E11000 duplicate key error collection: .*ins index: _id_ dup key: \{ _id: "a" \}/);
    const raw = await db.command({ insert: 'ins', documents: [{ _id: 'c' }, { _id: 'a' }, { _id: 'd' }], ordered: false });
    assert.equal(raw.n, 2);
    assert.equal(raw.writeErrors.length, 1);
    assert.equal(raw.writeErrors[0].index, 1);
    assert.equal(raw.writeErrors[0].code, 11000);
    assert.deepEqual(Object.keys(raw.writeErrors[0]), ['index', 'code', 'keyPattern', 'keyValue', 'errmsg']);
    const ordered = await db.command({ insert: 'ins', documents: [{ _id: 'e' }, { _id: 'a' }, { _id: 'f' }] });
    assert.equal(ordered.n, 1);
    assert.equal(await c.countDocuments({ _id: 'f' }), 0);
  });

  it('insert without _id gets an ObjectId first', async () => {
    await db.command({ insert: 'noid', documents: [{ v: 1 }] });
    const [doc] = await coll('noid').find().toArray();
    assert.equal(Object.keys(doc)[0], '_id');
    assert.equal(doc._id?.constructor?.name, 'ObjectId');
  });

  it('update with operators, replacement, multi, upsert', async () => {
    const c = coll('upd');
    await c.insertMany([{ _id: 1, n: 1, tags: ['a'] }, { _id: 2, n: 2 }, { _id: 3, n: 3 }]);
    const one = await c.updateOne({ _id: 1 }, { $inc: { n: 10 }, $push: { tags: 'b' } as any, $set: { 'sub.x': 1 } });
    assert.equal(one.matchedCount, 1);
    assert.equal(one.modifiedCount, 1);
    assert.deepEqual(await c.findOne({ _id: 1 }), { _id: 1, n: 11, tags: ['a', 'b'], sub: { x: 1 } });
    const unchanged = await c.updateOne({ _id: 1 }, { $set: { n: 11 } });
    assert.equal(unchanged.matchedCount, 1);
    assert.equal(unchanged.modifiedCount, 0);
    const many = await c.updateMany({ n: { $lt: 5 } }, { $unset: { n: '' } });
    assert.equal(many.matchedCount, 2);
    assert.deepEqual(await c.findOne({ _id: 2 }), { _id: 2 });
    const replaced = await c.replaceOne({ _id: 3 }, { fresh: true });
    assert.equal(replaced.modifiedCount, 1);
    assert.deepEqual(await c.findOne({ _id: 3 }), { _id: 3, fresh: true });
    const upserted = await c.updateOne({ _id: 4, k: 'x' }, { $set: { v: 1 }, $setOnInsert: { born: 1 } }, { upsert: true });
    assert.equal(upserted.upsertedCount, 1);
    assert.equal(upserted.upsertedId, 4);
    assert.deepEqual(await c.findOne({ _id: 4 }), { _id: 4, k: 'x', v: 1, born: 1 });
    const replUpsert = await c.replaceOne({ _id: 5 }, { r: 1 }, { upsert: true });
    assert.equal(replUpsert.upsertedId, 5);
    const raw = await db.command({ update: 'upd', updates: [{ q: { _id: 6 }, u: { $set: { a: 1 } }, upsert: true }, { q: { _id: 99 }, u: { $set: { a: 1 } } }] });
    assert.equal(raw.n, 1);
    assert.equal(raw.nModified, 0);
    assert.deepEqual(raw.upserted, [{ index: 0, _id: 6 }]);
  });

  it('update errors: changing _id (66), bad modifier, multi replacement', async () => {
    const c = coll('upderr');
    await c.insertOne({ _id: 1 });
    const immutable = await serverError(c.updateOne({ _id: 1 }, { $set: { _id: 2 } }));
    assert.equal(immutable.code, 66);
    const raw = await db.command({ update: 'upderr', updates: [{ q: {}, u: { $bogus: { a: 1 } } }] });
    assert.equal(raw.writeErrors.length, 1);
    assert.equal(typeof raw.writeErrors[0].code, 'number');
    const multi = await db.command({ update: 'upderr', updates: [{ q: {}, u: { a: 1 }, multi: true }] });
    assert.equal(multi.writeErrors[0].code, 9);
  });

  it('delete: one, many, none', async () => {
    const c = coll('del');
    await c.insertMany([{ _id: 1, g: 1 }, { _id: 2, g: 1 }, { _id: 3, g: 2 }]);
    assert.equal((await c.deleteOne({ g: 1 })).deletedCount, 1);
    assert.equal((await c.deleteMany({ g: { $gte: 1 } })).deletedCount, 2);
    assert.equal((await c.deleteMany({ g: 7 })).deletedCount, 0);
    assert.equal(await c.countDocuments(), 0);
  });

  it('findAndModify (findOneAndUpdate/Delete)', async () => {
    const c = coll('fam');
    await c.insertOne({ _id: 1, n: 1 });
    const before = await c.findOneAndUpdate({ _id: 1 }, { $inc: { n: 1 } }, { returnDocument: 'before', includeResultMetadata: true });
    assert.deepEqual(before.value, { _id: 1, n: 1 });
    const afterDoc = await c.findOneAndUpdate({ _id: 1 }, { $inc: { n: 1 } }, { returnDocument: 'after' });
    assert.deepEqual(afterDoc, { _id: 1, n: 3 });
    assert.deepEqual(await c.findOneAndDelete({ _id: 1 }), { _id: 1, n: 3 });
  });
});

describe('reads', () => {
  const N = 250;
  before(async () => {
    const docs = Array.from({ length: N }, (_, i) => ({ _id: i, price: i % 10, sym: `S${i}`, tags: i % 2 ? ['odd', 'x'] : ['even'] }));
    await coll('items').insertMany(docs);
  });

  it('find: filter, projection, sort, skip, limit', async () => {
    const c = coll('items');
    const docs = await c.find({ price: 3 }, { projection: { sym: 1, _id: 0 } }).sort({ _id: -1 }).skip(2).limit(3).toArray();
    assert.deepEqual(docs, [{ sym: 'S223' }, { sym: 'S213' }, { sym: 'S203' }]);
    const excluded = await c.findOne({ _id: 5 }, { projection: { tags: 0 } });
    assert.deepEqual(excluded, { _id: 5, price: 5, sym: 'S5' });
    assert.equal((await c.find({}).toArray()).length, N);
    assert.equal(await c.findOne({ _id: 'nope' }), null);
    assert.deepEqual(await coll('missing').find().toArray(), []);
  });

  it('find: default first batch of 101, getMore for the rest, killCursors', async () => {
    const first = await db.command({ find: 'items', filter: {} }, { promoteLongs: false });
    assert.equal(first.cursor.firstBatch.length, 101);
    assert.ok(first.cursor.id instanceof Long && !first.cursor.id.isZero());
    assert.equal(first.cursor.ns, `${DB}.items`);
    const more = await db.command({ getMore: first.cursor.id, collection: 'items', batchSize: 100 }, { promoteLongs: false });
    assert.equal(more.cursor.nextBatch.length, 100);
    assert.ok(!more.cursor.id.isZero());
    const rest = await db.command({ getMore: first.cursor.id, collection: 'items' }, { promoteLongs: false });
    assert.equal(rest.cursor.nextBatch.length, N - 201);
    assert.ok(rest.cursor.id.isZero());
    const gone = await serverError(db.command({ getMore: first.cursor.id, collection: 'items' }));
    assert.equal(gone.code, 43);
    assert.equal(gone.codeName, 'CursorNotFound');

    const open = await db.command({ find: 'items', batchSize: 5 }, { promoteLongs: false });
    assert.equal(open.cursor.firstBatch.length, 5);
    const killed = await db.command({ killCursors: 'items', cursors: [open.cursor.id, Long.fromNumber(12345)] }, { promoteLongs: false });
    assert.equal(killed.cursorsKilled.length, 1);
    assert.ok(killed.cursorsKilled[0].equals(open.cursor.id));
    assert.equal(killed.cursorsNotFound.length, 1);
    assert.deepEqual(killed.cursorsAlive, []);
    assert.deepEqual(killed.cursorsUnknown, []);
  });

  it('find: batchSize through the driver, singleBatch, negative limit refused, limit + batchSize', async () => {
    const c = coll('items');
    const cursor = c.find({}, { batchSize: 7 });
    let count = 0;
    for await (const _ of cursor) count++;
    assert.equal(count, N);
    const single = await db.command({ find: 'items', batchSize: 10, singleBatch: true });
    assert.equal(single.cursor.firstBatch.length, 10);
    assert.equal(Number(single.cursor.id), 0);
    // The driver turns a negative limit into limit + singleBatch; the server's find refuses one (7.0's IDL).
    const negative = await serverError(db.command({ find: 'items', limit: -4 }));
    assert.equal(negative.code, 51024);
    assert.equal((await c.find({}).limit(-4).toArray()).length, 4);
    const limited = await db.command({ find: 'items', limit: 5, batchSize: 2 });
    assert.equal(limited.cursor.firstBatch.length, 2);
    const next = await db.command({ getMore: limited.cursor.id, collection: 'items', batchSize: 10 });
    assert.equal(next.cursor.nextBatch.length, 3);
    assert.equal(Number(next.cursor.id), 0);
    assert.equal((await c.find({}).limit(130).toArray()).length, 130);
  });

  it('getMore on the wrong namespace is refused', async () => {
    const open = await db.command({ find: 'items', batchSize: 1 });
    const err = await serverError(db.command({ getMore: open.cursor.id, collection: 'other' }));
    assert.equal(err.code, 13);
    await db.command({ killCursors: 'items', cursors: [open.cursor.id] });
  });

  it('count and distinct', async () => {
    const c = coll('items');
    assert.equal(await c.countDocuments(), N);
    assert.equal(await c.countDocuments({ price: 1 }), 25);
    assert.equal(await c.estimatedDocumentCount(), N);
    assert.equal((await db.command({ count: 'items', query: { price: 1 }, skip: 20, limit: 3 })).n, 3);
    assert.equal((await db.command({ count: 'nothing' })).n, 0);
    assert.deepEqual((await c.distinct('price')).sort(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual((await c.distinct('tags')).sort(), ['even', 'odd', 'x']);
    assert.deepEqual(await c.distinct('price', { _id: { $lt: 3 } }), [0, 1, 2]);
  });

  it('aggregate: $match $group $sort $project $limit $skip $count $addFields $unwind $lookup', async () => {
    const c = coll('items');
    const grouped = await c.aggregate([
      { $match: { price: { $lt: 3 } } },
      { $group: { _id: '$price', n: { $sum: 1 }, total: { $sum: '$price' } } },
      { $sort: { _id: 1 } },
      { $project: { _id: 0, price: '$_id', n: 1, total: 1 } },
    ]).toArray();
    assert.deepEqual(grouped, [{ n: 25, total: 0, price: 0 }, { n: 25, total: 25, price: 1 }, { n: 25, total: 50, price: 2 }]);
    const counted = await c.aggregate([{ $match: { price: 9 } }, { $count: 'nines' }]).toArray();
    assert.deepEqual(counted, [{ nines: 25 }]);
    const paged = await c.aggregate([{ $sort: { _id: 1 } }, { $skip: 10 }, { $limit: 2 }, { $addFields: { twice: { $multiply: ['$price', 2] } } }, { $project: { twice: 1 } }]).toArray();
    assert.deepEqual(paged, [{ _id: 10, twice: 0 }, { _id: 11, twice: 2 }]);
    const unwound = await c.aggregate([{ $match: { _id: 1 } }, { $unwind: '$tags' }, { $project: { tags: 1 } }]).toArray();
    assert.deepEqual(unwound, [{ _id: 1, tags: 'odd' }, { _id: 1, tags: 'x' }]);
    await coll('prices').insertMany([{ _id: 'p1', price: 1, label: 'one' }, { _id: 'p2', price: 2, label: 'two' }]);
    const joined = await c.aggregate([
      { $match: { _id: { $in: [1, 2] } } },
      { $lookup: { from: 'prices', localField: 'price', foreignField: 'price', as: 'p' } },
      { $project: { label: { $first: '$p.label' } } },
      { $sort: { _id: 1 } },
    ]).toArray();
    assert.deepEqual(joined, [{ _id: 1, label: 'one' }, { _id: 2, label: 'two' }]);
    const big = await db.command({ aggregate: 'items', pipeline: [], cursor: {} });
    assert.equal(big.cursor.firstBatch.length, 101);
    await db.command({ killCursors: 'items', cursors: [big.cursor.id] });
    const small = await db.command({ aggregate: 'items', pipeline: [{ $limit: 3 }], cursor: { batchSize: 2 } });
    assert.equal(small.cursor.firstBatch.length, 2);
    await db.command({ killCursors: 'items', cursors: [small.cursor.id] });
    const noCursor = await serverError(db.command({ aggregate: 'items', pipeline: [] }));
    assert.equal(noCursor.code, 9);
  });
});

describe('indexes', () => {
  it('createIndexes, listIndexes, dropIndexes', async () => {
    const c = coll('idx');
    await c.insertOne({ _id: 1, a: 1, b: 1 });
    assert.equal(await c.createIndex({ a: 1 }), 'a_1');
    const raw = await db.command({ createIndexes: 'idx', indexes: [{ key: { b: -1 }, name: 'b_-1', unique: true }] });
    assert.equal(raw.numIndexesBefore, 2);
    assert.equal(raw.numIndexesAfter, 3);
    assert.equal(raw.createdCollectionAutomatically, false);
    const again = await db.command({ createIndexes: 'idx', indexes: [{ key: { b: -1 }, name: 'b_-1', unique: true }] });
    assert.equal(again.numIndexesBefore, 3);
    assert.equal(again.numIndexesAfter, 3);
    assert.equal(again.note, 'all indexes already exist');
    const list = await c.listIndexes().toArray();
    assert.deepEqual(list.map((i) => i.name), ['_id_', 'a_1', 'b_-1']);
    assert.equal(list[2].unique, true);
    assert.equal(list[0].v, 2);
    const dup = await serverError(c.insertOne({ _id: 2, b: 1 }));
    assert.equal(dup.code, 11000);
    assert.deepEqual(dup.keyPattern, { b: -1 });
    assert.deepEqual(dup.keyValue, { b: 1 });
    await c.dropIndex('a_1');
    assert.deepEqual((await c.listIndexes().toArray()).map((i) => i.name), ['_id_', 'b_-1']);
    const missing = await serverError(c.dropIndex('zzz_1'));
    assert.equal(missing.code, 27);
    assert.equal(missing.codeName, 'IndexNotFound');
    const idIndex = await serverError(c.dropIndex('_id_'));
    assert.equal(idIndex.code, 72);
    await c.dropIndexes();
    assert.deepEqual((await c.listIndexes().toArray()).map((i) => i.name), ['_id_']);
    const noColl = await serverError(coll('noSuchColl').listIndexes().toArray());
    assert.equal(noColl.code, 26);
    const created = await db.command({ createIndexes: 'autoColl', indexes: [{ key: { z: 1 }, name: 'z_1' }] });
    assert.equal(created.createdCollectionAutomatically, true);
  });
});

describe('cluster time', () => {
  it('every reply carries $clusterTime and operationTime, and writes advance them', async () => {
    const session = client.startSession({ causalConsistency: true });
    try {
      const c = coll('times');
      await c.insertOne({ _id: 1 }, { session });
      const t1 = session.operationTime!;
      const ct1 = session.clusterTime!.clusterTime;
      assert.ok(t1 instanceof Timestamp);
      await c.insertOne({ _id: 2 }, { session });
      const t2 = session.operationTime!;
      assert.ok(t2.greaterThan(t1), `${t2} > ${t1}`);
      assert.ok(session.clusterTime!.clusterTime.greaterThan(ct1));
      const reply = await db.command({ ping: 1 });
      assert.ok(reply.operationTime instanceof Timestamp);
      assert.ok(reply.$clusterTime?.clusterTime instanceof Timestamp);
      assert.ok(reply.$clusterTime.signature);
      const err = await serverError(db.command({ nope: 1 }));
      assert.ok(err.errorResponse.operationTime instanceof Timestamp);
    } finally {
      await session.endSession();
    }
  });
});

describe('retryable writes', () => {
  it('the same lsid + txnNumber applies once and returns the first result', async () => {
    // Its own client: the session ends up at a txnNumber the driver's counter never reaches, and a server
    // refuses older txnNumbers on it (TransactionTooOld), so it must not go back to a shared pool.
    const own = new MongoClient(target.uri, { serverSelectionTimeoutMS: 5000 });
    const db = own.db(DB);
    const session = own.startSession();
    try {
      const lsid = session.id!;
      const cmd = { insert: 'retry', documents: [{ _id: 'once', n: 1 }], lsid, txnNumber: Long.fromNumber(1_000_000 + Math.floor(Math.random() * 1e6)) };
      const first = await db.command(cmd, { session });
      const second = await db.command(cmd, { session });
      assert.equal(first.n, 1);
      assert.equal(second.n, 1);
      assert.equal(second.writeErrors, undefined);
      const upd = { update: 'retry', updates: [{ q: { _id: 'once' }, u: { $inc: { n: 1 } } }], lsid, txnNumber: cmd.txnNumber.add(1) };
      await db.command(upd, { session });
      await db.command(upd, { session });
      assert.deepEqual(await coll('retry').findOne({ _id: 'once' }), { _id: 'once', n: 2 });
    } finally {
      await session.endSession();
      await own.close();
    }
  });
});

describe('batch byte limits', () => {
  it('batches stop short of 16 MB; getMore returns the rest', async () => {
    const big = 'x'.repeat(1024 * 1024);
    const docs = Array.from({ length: 20 }, (_, i) => ({ _id: i, big }));
    for (const d of docs) await coll('large').insertOne(d);
    const first = await db.command({ find: 'large', batchSize: 1000 });
    assert.ok(first.cursor.firstBatch.length < 20 && first.cursor.firstBatch.length >= 14, String(first.cursor.firstBatch.length));
    const more = await db.command({ getMore: first.cursor.id, collection: 'large' });
    assert.equal(first.cursor.firstBatch.length + more.cursor.nextBatch.length, 20);
    assert.equal(Number(more.cursor.id), 0);
    assert.equal((await coll('large').find().toArray()).length, 20);
    await coll('large').drop();
  });
});

describe('advertised host', { skip: EMULATOR_ONLY }, () => {
  it('a wildcard bind advertises os.hostname() in hello.me/hosts/primary', async () => {
    const os = await import('node:os');
    const { startEmbeddedServer } = await import('../../src/embedded/index.js');
    const server = await startEmbeddedServer({ host: '0.0.0.0', port: 0, allowUnauthenticatedRemote: true });
    const direct = new MongoClient(`mongodb://127.0.0.1:${server.port}/?directConnection=true`, { serverSelectionTimeoutMS: 3000 });
    try {
      const hello = await direct.db('admin').command({ hello: 1 });
      const expected = `${os.hostname()}:${server.port}`;
      assert.equal(hello.me, expected);
      assert.deepEqual(hello.hosts, [expected]);
      assert.equal(hello.primary, expected);
      assert.equal(server.uri, `mongodb://${expected}/?replicaSet=rs0`);
    } finally {
      await direct.close();
      await server.stop();
    }
  });

  it('advertiseHost overrides the name', async () => {
    const { startEmbeddedServer } = await import('../../src/embedded/index.js');
    const server = await startEmbeddedServer({ port: 0, advertiseHost: 'localhost' });
    const viaName = new MongoClient(server.uri, { serverSelectionTimeoutMS: 3000 });
    try {
      const hello = await viaName.db('admin').command({ hello: 1 });
      assert.equal(hello.me, `localhost:${server.port}`);
      assert.equal((await viaName.db('x').command({ ping: 1 })).ok, 1);
    } finally {
      await viaName.close();
      await server.stop();
    }
  });
});

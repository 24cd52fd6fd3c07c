import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BSON, BSONRegExp, type MongoClient, MongoServerError, type Db, type Document } from 'mongodb';
import { EMBEDDED_ONLY, uniqueDbName, type TestTarget, openTestDb, closeTestDb } from '../helpers/target.js';
import { serverError } from '../helpers/server-error.js';

// Issue 9: mongod's limits and refusals, each with its code and code name, and regexes on a linear engine.

let target: TestTarget;
let client: MongoClient;
let db: Db;

before(async () => {
  ({ target, client, db } = await openTestDb('ticker_limits'));
  await db.collection<any>('c').insertMany([
    { _id: 1, s: 'Apple pie' },
    { _id: 2, s: 'apple\ncrumble' },
    { _id: 3, s: ['zebra', 'applet'] },
    { _id: 4, s: 'banana' },
  ]);
});

after(() => closeTestDb({ target, client, db }));


async function expectCode(p: Promise<unknown>, code: number, codeName?: string): Promise<MongoServerError> {
  const err = await serverError(p);
  assert.equal(err.code, code, err.message);
  if (codeName) assert.equal(err.codeName, codeName);
  return err;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ids = async (filter: Document) => (await db.collection<any>('c').find(filter, { sort: { _id: 1 } }).toArray()).map((d) => d._id);
/** Text that only a leaked JavaScript exception would put in a reply. */
const JS_TEXT = /TypeError|ReferenceError|RangeError|is not a function|is not iterable|Cannot read prop|undefined is not|of undefined|of null/;

describe('write limits', () => {
  it('more than 100,000 statements in one write is InvalidLength (16), and the connection stays up', async () => {
    const documents = Array.from({ length: 100_001 }, (_, i) => ({ _id: i }));
    const err = await expectCode(db.command({ insert: 'many', documents }), 16, 'InvalidLength');
    assert.match(err.message, /Write batch sizes must be between 1 and 100000\. Got 100001 operations\./);
    await expectCode(db.command({ insert: 'many', documents: [] }), 16);
    assert.equal(await db.collection('many').countDocuments(), 0);
    assert.equal((await db.command({ ping: 1 })).ok, 1);
  });

  it('a document over 16 MiB is BSONObjectTooLarge (10334), nothing written', async () => {
    const big: Document = { _id: 'big', s: 'x'.repeat(16 * 1024 * 1024) };
    await expectCode(db.collection<Document>('huge').insertOne(big), 10334);
    const raw = await db.command({ insert: 'huge', documents: [big] });
    assert.equal(raw.writeErrors?.[0]?.code, 10334);
    assert.equal(await db.collection('huge').countDocuments(), 0);
    assert.equal((await db.command({ ping: 1 })).ok, 1);
  });

  it('an update statement with sort (an 8.0 field) is refused by 7.0 with 40415', { skip: EMBEDDED_ONLY }, async () => {
    await expectCode(db.command({ update: 'c', updates: [{ q: {}, u: { $set: { x: 1 } }, sort: { _id: 1 } }] }), 40415);
  });

  it('w greater than the members is a writeConcernError (UnsatisfiableWriteConcern, 100) with the write applied', async () => {
    const err = await expectCode(db.command({ insert: 'wc', documents: [{ _id: 1 }], writeConcern: { w: 50 } }), 100);
    const reply = (err as MongoServerError & { result?: Document }).result;
    assert.equal(reply?.ok, 1);
    assert.equal(reply?.n, 1);
    assert.equal(reply?.writeConcernError?.codeName, 'UnsatisfiableWriteConcern');
    assert.equal(await db.collection<any>('wc').countDocuments({ _id: 1 }), 1);
    await expectCode(db.command({ insert: 'wc', documents: [{ _id: 2 }], writeConcern: { w: -1 } }), 9);
  });
});

describe('namespaces', () => {
  it('invalid database and collection names are InvalidNamespace (73)', async () => {
    await expectCode(client.db('bad db').command({ insert: 'x', documents: [{}] }), 73, 'InvalidNamespace');
    await expectCode(db.collection('a$b').insertOne({}), 73);
    await expectCode(db.command({ create: '' }), 73);
  });

  it('writes into system.* collections are InvalidNamespace (73)', async () => {
    await expectCode(db.collection('system.foo').insertOne({ x: 1 }), 73, 'InvalidNamespace');
    await expectCode(db.collection('system.views').updateOne({}, { $set: { x: 1 } }), 73);
    await expectCode(db.command({ findAndModify: 'system.views', query: {}, update: { x: 1 } }), 73);
  });

  it('admin and local cannot be dropped (IllegalOperation, 20)', async () => {
    // Through runCommand: the driver's dropDatabase() rewrites any code-20 reply as a retryable-writes hint.
    await expectCode(client.db('admin').command({ dropDatabase: 1 }), 20, 'IllegalOperation');
    await expectCode(client.db('local').command({ dropDatabase: 1 }), 20);
  });

  it('renaming into (or out of) a system collection is IllegalOperation (20)', async () => {
    await db.collection<any>('tomove').insertOne({ _id: 1 });
    const other = uniqueDbName('ticker_limits_other');
    await expectCode(client.db('admin').command({ renameCollection: `${db.databaseName}.tomove`, to: `${other}.system.views` }), 20);
    assert.equal(await db.collection('tomove').countDocuments(), 1);
  });
});

describe('index specifications', () => {
  it('bad keys are CannotCreateIndex (67), unknown options InvalidIndexSpecificationOption (197)', async () => {
    const create = (spec: Document) => db.command({ createIndexes: 'c', indexes: [spec] });
    await expectCode(create({ key: { a: 'nosuch' }, name: 'a_x' }), 67, 'CannotCreateIndex');
    await expectCode(create({ key: { a: 0 }, name: 'a_0' }), 67);
    await expectCode(create({ key: { a: true }, name: 'a_t' }), 67);
    await expectCode(create({ key: {}, name: 'empty' }), 67);
    await expectCode(create({ key: { a: 1 }, name: 'a_1', nosuchOption: 1 }), 197, 'InvalidIndexSpecificationOption');
    const listed = (await db.collection<any>('c').listIndexes().toArray()).map((i) => i.name);
    assert.deepEqual(listed, ['_id_']);
  });
});

describe('cursors', () => {
  it('getMore on a cursor from another session is refused', async () => {
    const a = client.startSession();
    const b = client.startSession();
    try {
      const opened = await db.command({ find: 'c', batchSize: 1 }, { session: a });
      const err = await serverError(db.command({ getMore: opened.cursor.id, collection: 'c' }, { session: b }));
      assert.ok([50737, 13].includes(err.code as number), err.message);
      const next = await db.command({ getMore: opened.cursor.id, collection: 'c' }, { session: a });
      assert.ok(next.cursor.nextBatch.length > 0);
    } finally {
      await a.endSession();
      await b.endSession();
    }
  });
});

/** One legacy OP_QUERY on a raw socket; the OP_REPLY's document. */
function opQuery(uri: string, ns: string, command: Document): Promise<Document> {
  const { hostname, port } = new URL(uri.replace(/^mongodb:\/\//, 'http://').split(',')[0]);
  const body = BSON.serialize(command);
  const nsBytes = Buffer.from(`${ns}\0`);
  const head = Buffer.alloc(20);
  const message = Buffer.concat([head, nsBytes, Buffer.alloc(8), body]);
  message.writeInt32LE(message.length, 0);
  message.writeInt32LE(7, 4);
  message.writeInt32LE(2004, 12);
  message.writeInt32LE(0, 16);
  message.writeInt32LE(-1, 20 + nsBytes.length + 4); // numberToReturn
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(message));
    let data = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= 4 && data.length >= data.readInt32LE(0)) {
        socket.destroy();
        resolve(BSON.deserialize(data.subarray(36)));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('closed before a reply')));
  });
}

describe('wire protocol', () => {
  it('OP_QUERY for anything but the handshake is UnsupportedOpQueryCommand (352)', async () => {
    const reply = await opQuery(target.uri, 'admin.$cmd', { find: 'c' });
    assert.equal(reply.ok, 0);
    assert.equal(reply.code, 352);
    assert.equal(reply.codeName, 'UnsupportedOpQueryCommand');
    const hello = await opQuery(target.uri, 'admin.$cmd', { isMaster: 1 });
    assert.equal(hello.ok, 1);
  });
});

describe('arguments of the wrong type', () => {
  it('are TypeMismatch (14), never InternalError or JavaScript text', async () => {
    await expectCode(db.command({ find: 'c', filter: 'x' }), 14, 'TypeMismatch');
    await expectCode(db.command({ find: 'c', sort: 3 }), 14);
    await expectCode(db.command({ insert: 'c', documents: 'x' }), 14);
    await expectCode(db.command({ insert: 'c', documents: [1] }), 14);
    await expectCode(db.command({ update: 'c', updates: [{ q: 'x', u: {} }] }), 14);
    await expectCode(db.command({ aggregate: 'c', pipeline: [1], cursor: {} }), 14);
    await expectCode(db.command({ aggregate: 'c', pipeline: 'x', cursor: {} }), 14);
    await expectCode(db.command({ count: 'c', query: 7 }), 14);
    await expectCode(db.command({ distinct: 'c', key: 5 }), 14);
  });

  it('hostile commands get mongod-coded errors and no JavaScript error text', async () => {
    const hostile: Document[] = [
      { find: 'c', filter: { $where: 'sleep(1000)' } },
      { find: 'c', filter: { s: { $in: 5 } } },
      { find: 'c', filter: { $and: 5 } },
      { find: 'c', filter: { s: { $elemMatch: 5 } } },
      { find: 'c', projection: { a: { $slice: 'x' } } },
      { aggregate: 'c', pipeline: [{ $project: { a: { $add: ['$s', { $foo: 1 }] } } }], cursor: {} },
      { aggregate: 'c', pipeline: [{ $group: { _id: '$s', n: { $sum: { $divide: ['$s', 0] } } } }], cursor: {} },
      { aggregate: 'c', pipeline: [{ $unwind: 5 }], cursor: {} },
      { aggregate: 'c', pipeline: [{ $sort: { s: 'up' } }], cursor: {} },
      { aggregate: 'c', pipeline: [{ $lookup: { from: 5 } }], cursor: {} },
      { update: 'c', updates: [{ q: {}, u: { $set: 5 } }] },
      { update: 'c', updates: [{ q: {}, u: { $inc: { s: 'x' } } }] },
      { findAndModify: 'c', query: {}, update: { $push: 5 } },
      { distinct: 'c', key: 's', query: { $expr: { $regexMatch: 5 } } },
      { createIndexes: 'c', indexes: [5] },
      { killCursors: 'c', cursors: ['x'] },
    ];
    for (const cmd of hostile) {
      try {
        await db.command(cmd);
      } catch (err) {
        if (!(err instanceof MongoServerError)) throw err;
        assert.notEqual(err.code, 1, `${JSON.stringify(cmd)}: InternalError ${err.message}`);
        assert.doesNotMatch(err.message, JS_TEXT, JSON.stringify(cmd));
      }
    }
    assert.equal((await db.command({ ping: 1 })).ok, 1);
  });

  it('negative limit, skip and batchSize are refused as by 7.0 (Location51024)', async () => {
    await expectCode(db.command({ find: 'c', limit: -1 }), 51024);
    await expectCode(db.command({ find: 'c', skip: -1 }), 51024);
    await expectCode(db.command({ aggregate: 'c', pipeline: [], cursor: { batchSize: -1 } }), 51024);
  });
});

describe('pipelines', () => {
  it('an unknown stage is 40324, an unknown expression 168 (InvalidPipelineOperator)', async () => {
    await expectCode(db.collection<any>('c').aggregate([{ $nosuchstage: {} }]).toArray(), 40324);
    await expectCode(db.collection<any>('c').aggregate([{ $project: { a: { $nosuchexpr: 1 } } }]).toArray(), 168, 'InvalidPipelineOperator');
  });
});

describe('regular expressions (RE2)', () => {
  it('match with the options i, m, s and x', async () => {
    assert.deepEqual(await ids({ s: /^apple/i }), [1, 2, 3]);
    assert.deepEqual(await ids({ s: { $regex: '^crumble', $options: 'm' } }), [2]);
    assert.deepEqual(await ids({ s: { $regex: 'apple.crumble' } }), []);
    assert.deepEqual(await ids({ s: { $regex: 'apple.crumble', $options: 's' } }), [2]);
    assert.deepEqual(await ids({ s: { $regex: '^ b a n  # a comment\n ana $', $options: 'x' } }), [4]);
    assert.deepEqual(await ids({ s: new BSONRegExp('^APPLE$', 'im') }), [2]);
  });

  it('work in $in, $nin, $not, $all and arrays', async () => {
    assert.deepEqual(await ids({ s: { $in: [/^ban/, 'zebra'] } }), [3, 4]);
    assert.deepEqual(await ids({ s: { $nin: [/apple/i] } }), [4]);
    assert.deepEqual(await ids({ s: { $not: /apple/i } }), [4]);
    assert.deepEqual(await ids({ s: { $all: [/^z/, /let$/] } }), [3]);
  });

  it('$regexMatch, $regexFind and $regexFindAll', async () => {
    const [doc] = await db.collection<any>('c').aggregate([
      { $match: { _id: 1 } },
      { $project: {
        m: { $regexMatch: { input: '$s', regex: 'PIE', options: 'i' } },
        f: { $regexFind: { input: '$s', regex: /(p)(i)e/ } },
        all: { $regexFindAll: { input: '$s', regex: 'p' } },
      } },
    ]).toArray();
    assert.equal(doc.m, true);
    assert.deepEqual(doc.f, { match: 'pie', idx: 6, captures: ['p', 'i'] });
    assert.deepEqual(doc.all.map((m: Document) => m.idx), [1, 2, 6]);
  });

  it('a pattern that does not compile is Location51091; an unknown option Location51108', async () => {
    await expectCode(db.collection<any>('c').find({ s: { $regex: '(unclosed' } }).toArray(), 51091);
    await expectCode(db.collection<any>('c').find({ s: { $regex: 'a', $options: 'q' } }).toArray(), 51108);
    await expectCode(db.collection<any>('c').find({ s: { $options: 'i' } }).toArray(), 2);
  });

  it('backreferences and lookaround are refused, never run on a backtracking engine', { skip: EMBEDDED_ONLY }, async () => {
    await expectCode(db.collection<any>('c').find({ s: { $regex: '(p)\\1' } }).toArray(), 51091);
    await expectCode(db.collection<any>('c').find({ s: { $regex: 'apple(?= pie)' } }).toArray(), 51091);
    await expectCode(db.collection<any>('c').aggregate([{ $project: { m: { $regexMatch: { input: '$s', regex: '(a)\\1' } } } }]).toArray(), 51111);
  });

  it('regex values are stored and read back as regexes with their options', async () => {
    await db.collection<any>('rx').insertOne({ _id: 1, r: new BSONRegExp('a.b', 'si') });
    const doc = await db.collection<any>('rx').findOne({ _id: 1 }, { bsonRegExp: true } as never);
    assert.equal(doc?.r.pattern, 'a.b');
    assert.equal([...String(doc?.r.options)].sort().join(''), 'is');
  });
});

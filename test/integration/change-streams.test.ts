import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { MongoClient, MongoServerError, type ChangeStream, type ChangeStreamDocument, type Collection, type Document } from 'mongodb';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/embedded/index.js';

/**
 * Change streams through the official driver: resume after faults without losing or repeating an event,
 * fullDocument modes, invalidation, history loss, prompt delivery, database/cluster streams and
 * startAtOperationTime. Runs against the embedded server, or MONGODB_URI when set (emulator-only cases skip).
 */
const REAL = process.env.MONGODB_URI || undefined;
const EMULATOR_ONLY = REAL ? 'needs the embedded server (MONGODB_URI is set)' : false;

let server: EmbeddedServer | undefined;
let uri: string;
let client: MongoClient;
let writer: MongoClient;
const commands: { name: string; db: string; command: Document }[] = [];
let dbName = '';
let seq = 0;

before(async () => {
  if (!REAL) server = await startEmbeddedServer({ port: 0 });
  uri = REAL ?? server!.uri;
  client = new MongoClient(uri, { monitorCommands: true, heartbeatFrequencyMS: 500, serverSelectionTimeoutMS: 5000 });
  client.on('commandStarted', (e) => commands.push({ name: e.commandName, db: e.databaseName, command: e.command }));
  writer = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  await Promise.all([client.connect(), writer.connect()]);
});

after(async () => {
  await client?.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' }).catch(() => {});
  await client?.close();
  await writer?.close();
  await server?.stop();
});

beforeEach(() => {
  commands.length = 0;
  dbName = `cs_test_${process.pid}_${++seq}`;
});

/** Opens the stream now (aggregate sent), as `watch()` alone is lazy in the Node driver. */
async function opened<T extends Document>(stream: ChangeStream<T>): Promise<ChangeStream<T>> {
  await (stream as unknown as { cursor: { cursorInit(): Promise<void> } }).cursor.cursorInit();
  return stream;
}

async function collect<T extends Document>(stream: ChangeStream<T>, n: number): Promise<ChangeStreamDocument<T>[]> {
  const out: ChangeStreamDocument<T>[] = [];
  while (out.length < n) out.push(await stream.next());
  return out;
}

function xs(events: ChangeStreamDocument[]): number[] {
  return events.map((e) => (e as { fullDocument?: { x: number } }).fullDocument!.x);
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

function target(name = 'c'): { watched: Collection; written: Collection } {
  return { watched: client.db(dbName).collection(name), written: writer.db(dbName).collection(name) };
}

describe('change streams: resume after a getMore fault loses and repeats nothing', () => {
  const faults: [string, Document][] = [
    ['CursorNotFound (43)', { errorCode: 43 }],
    ['an error labelled ResumableChangeStreamError', { errorCode: 280, errorLabels: ['ResumableChangeStreamError'] }],
    ['a closed connection', { closeConnection: true }],
  ];
  for (const [what, data] of faults) {
    it(`resumes after ${what}`, async () => {
      const { watched, written } = target();
      await written.insertOne({ x: -1 });
      const stream = await opened(watched.watch<{ x: number }>([{ $match: { operationType: 'insert' } }], { batchSize: 7, maxAwaitTimeMS: 200 }));
      try {
        await written.insertMany(range(0, 50).map((x) => ({ x })));
        const seen = await collect(stream, 25);
        await client.db('admin').command({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: ['getMore'], ...data } });
        await written.insertMany(range(50, 100).map((x) => ({ x })));
        seen.push(...(await collect(stream, 75)));
        assert.deepEqual(xs(seen), range(0, 100));
        assert.equal(await stream.tryNext(), null, 'nothing after the 100th event');
        const aggregates = commands.filter((c) => c.name === 'aggregate');
        assert.equal(aggregates.length, 2, 'one aggregate to open, one to resume');
        const resumeSpec = aggregates[1].command.pipeline[0].$changeStream;
        assert.ok(resumeSpec.resumeAfter, 'resumed with resumeAfter');
      } finally {
        await client.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
        await stream.close();
      }
    });
  }

  it('exposes a resume token (postBatchResumeToken) before any event arrives', async () => {
    const { watched } = target();
    await watched.insertOne({ x: 0 });
    const stream = await opened(watched.watch([], { maxAwaitTimeMS: 50 }));
    try {
      assert.ok(stream.resumeToken, 'token after the aggregate');
      assert.equal(await stream.tryNext(), null);
      assert.ok(stream.resumeToken, 'token after an empty getMore');
    } finally {
      await stream.close();
    }
  });
});

describe('change streams: fullDocument', () => {
  it("'updateLookup' returns the current document, null once it is gone", async () => {
    const { watched, written } = target();
    await written.insertOne({ _id: 1, price: 10 } as Document);
    const stream = await opened(watched.watch([], { fullDocument: 'updateLookup' }));
    try {
      await written.updateOne({ _id: 1 } as Document, { $set: { price: 11 } });
      const [update] = await collect(stream, 1);
      assert.equal(update.operationType, 'update');
      assert.deepEqual((update as Document).fullDocument, { _id: 1, price: 11 });
      assert.deepEqual((update as Document).updateDescription.updatedFields, { price: 11 });
      await written.updateOne({ _id: 1 } as Document, { $set: { price: 12 } });
      await written.deleteOne({ _id: 1 } as Document);
      const [late, deleted] = await collect(stream, 2);
      assert.equal(late.operationType, 'update');
      assert.equal((late as Document).fullDocument, null, 'looked up after the delete');
      assert.equal(deleted.operationType, 'delete');
    } finally {
      await stream.close();
    }
  });

  it('pre- and post-images with changeStreamPreAndPostImages', async () => {
    const db = writer.db(dbName);
    await db.createCollection('images', { changeStreamPreAndPostImages: { enabled: true } });
    await db.collection('images').insertOne({ _id: 1, n: 1 } as Document);
    const stream = await opened(client.db(dbName).collection('images').watch([], { fullDocument: 'required', fullDocumentBeforeChange: 'required' }));
    try {
      await db.collection('images').updateOne({ _id: 1 } as Document, { $inc: { n: 1 } });
      const [event] = await collect(stream, 1);
      assert.deepEqual((event as Document).fullDocumentBeforeChange, { _id: 1, n: 1 });
      assert.deepEqual((event as Document).fullDocument, { _id: 1, n: 2 });
    } finally {
      await stream.close();
    }
  });
});

describe('change streams: invalidate', () => {
  it('a drop produces drop then invalidate, and the stream closes', async () => {
    const { watched, written } = target();
    await written.insertOne({ x: 1 });
    const stream = await opened(watched.watch());
    await written.insertOne({ x: 2 });
    await written.drop();
    const events = await collect(stream, 3);
    assert.deepEqual(events.map((e) => e.operationType), ['insert', 'drop', 'invalidate']);
    await assert.rejects(stream.next(), /closed/i);
    assert.equal(stream.closed, true);
    // startAfter the invalidate: a new stream on the re-created collection.
    const after = await opened(watched.watch([], { startAfter: events[2]._id }));
    try {
      await written.insertOne({ x: 3 });
      const [next] = await collect(after, 1);
      assert.equal(next.operationType, 'insert');
      assert.equal((next as Document).fullDocument.x, 3);
      await assert.rejects(opened(watched.watch([], { resumeAfter: events[2]._id })), (err: MongoServerError) => err.code === 260);
    } finally {
      await after.close();
    }
  });

  it('a dropDatabase invalidates a database stream after the drop events', async () => {
    const db = writer.db(dbName);
    await db.collection('a').insertOne({ x: 1 });
    const stream = await opened(client.db(dbName).watch());
    await db.dropDatabase();
    const events = await collect(stream, 3);
    assert.deepEqual(events.map((e) => e.operationType), ['drop', 'dropDatabase', 'invalidate']);
    await stream.close();
  });
});

describe('change streams: history lost', { skip: EMULATOR_ONLY }, () => {
  let small: EmbeddedServer;
  let smallClient: MongoClient;
  const aggregates: Document[] = [];

  before(async () => {
    small = await startEmbeddedServer({ port: 0, oplogEntries: 100 });
    smallClient = new MongoClient(small.uri, { monitorCommands: true, serverSelectionTimeoutMS: 5000 });
    smallClient.on('commandStarted', (e) => {
      if (e.commandName === 'aggregate') aggregates.push(e.command);
    });
    await smallClient.connect();
  });

  after(async () => {
    await smallClient?.close();
    await small?.stop();
  });

  it('resuming from a token older than the oplog fails with ChangeStreamHistoryLost', async () => {
    const coll = smallClient.db('h').collection('c');
    await coll.insertOne({ x: -1 });
    const first = await opened(coll.watch([], { maxAwaitTimeMS: 50 }));
    const token = first.resumeToken;
    await first.close();
    await coll.insertMany(range(0, 200).map((x) => ({ x })));
    aggregates.length = 0;
    const stream = coll.watch([], { resumeAfter: token });
    await assert.rejects(stream.next(), (err: MongoServerError) => {
      assert.equal(err.code, 286);
      assert.equal(err.codeName, 'ChangeStreamHistoryLost');
      assert.ok(err.hasErrorLabel('NonResumableChangeStreamError'));
      return true;
    });
    assert.equal(aggregates.length, 1, 'the driver did not retry');
    await stream.close();
  });

  it('a stream that falls behind the oplog errors on getMore and is not resumed by the driver', async () => {
    const coll = smallClient.db('h').collection('d');
    await coll.insertOne({ x: -1 });
    aggregates.length = 0;
    const stream = await opened(coll.watch([], { maxAwaitTimeMS: 50 }));
    await coll.insertMany(range(0, 200).map((x) => ({ x })));
    await assert.rejects(stream.next(), (err: MongoServerError) => err.code === 286 && err.hasErrorLabel('NonResumableChangeStreamError'));
    assert.equal(aggregates.length, 1, 'no resume attempt');
    await stream.close();
  });
});

describe('change streams: delivery', () => {
  it('a waiting getMore returns as soon as an event is committed, not at maxAwaitTimeMS', async () => {
    const { watched, written } = target();
    await written.insertOne({ x: 0 });
    const stream = await opened(watched.watch([], { maxAwaitTimeMS: 10_000 }));
    try {
      const next = stream.next();
      await new Promise((resolve) => setTimeout(resolve, 100)); // the getMore is now waiting on an empty stream
      await written.insertOne({ x: 1 });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), 5000);
      });
      const winner = await Promise.race([next, timeout]);
      clearTimeout(timer);
      assert.notEqual(winner, 'timeout', 'the event arrived long before maxAwaitTimeMS');
      assert.equal((winner as Document).fullDocument.x, 1);
    } finally {
      await stream.close();
    }
  });
});

describe('change streams: reshaping stages', () => {
  it("$project keeps the event's field order with _id first, computed fields after; $set and $unset reshape in place", async () => {
    const { watched, written } = target();
    const projected = await opened(watched.watch([{
      $project: { documentKey: 1, wallTime: 1, operationType: 1, clusterTime: 1, tick: { $ifNull: ['$updateDescription.updatedFields.tick', '$fullDocument.tick'] } },
    }]));
    const reshaped = await opened(watched.watch([{ $set: { operationType: 'changed', kind: '$operationType' } }, { $unset: ['ns', 'fullDocument.big', 'missing'] }]));
    try {
      await written.insertOne({ _id: 1 as never, tick: 5, big: 'x'.repeat(100), keep: { a: 1 } });
      await written.updateOne({ _id: 1 as never }, { $set: { tick: 6 } });
      await written.deleteOne({ _id: 1 as never });
      const events = await collect(projected, 3);
      for (const event of events) {
        const e = event as Document;
        assert.deepStrictEqual(Object.keys(e), ['_id', 'operationType', 'clusterTime', 'wallTime', 'documentKey', ...(e.tick === undefined ? [] : ['tick'])]);
        assert.ok(e.wallTime instanceof Date);
        assert.deepStrictEqual(e.documentKey, { _id: 1 });
      }
      assert.deepStrictEqual(events.map((e) => [e.operationType, (e as Document).tick]), [['insert', 5], ['update', 6], ['delete', undefined]]);
      const [insert, update] = (await collect(reshaped, 3)) as Document[];
      assert.equal(Object.keys(insert)[0], '_id');
      assert.deepStrictEqual([insert.operationType, insert.kind, insert.ns], ['changed', 'insert', undefined]);
      assert.deepStrictEqual(insert.fullDocument, { _id: 1, tick: 5, keep: { a: 1 } });
      assert.deepStrictEqual(Object.keys(update).slice(-1), ['kind']);
      assert.deepStrictEqual(update.updateDescription.updatedFields, { tick: 6 });
    } finally {
      await Promise.all([projected.close(), reshaped.close()]);
    }
  });
});

describe('change streams: scopes and start points', () => {
  it('a database stream sees every collection of its database and nothing else', async () => {
    const stream = await opened(client.db(dbName).watch([], { maxAwaitTimeMS: 100 }));
    try {
      await writer.db(dbName).collection('a').insertOne({ x: 1 });
      await writer.db(`${dbName}_other`).collection('a').insertOne({ x: 2 });
      await writer.db(dbName).collection('b').insertOne({ x: 3 });
      const events = await collect(stream, 2);
      assert.deepEqual(events.map((e) => [(e as Document).ns.coll, (e as Document).fullDocument.x]), [['a', 1], ['b', 3]]);
      assert.equal(await stream.tryNext(), null);
    } finally {
      await stream.close();
      await writer.db(`${dbName}_other`).dropDatabase();
    }
  });

  it('creating a view is a create event of database streams with showExpandedEvents (its definition, no UUID), not of collection streams', async () => {
    await writer.db(dbName).createCollection('base');
    const dbStream = await opened(client.db(dbName).watch([], { showExpandedEvents: true, maxAwaitTimeMS: 100 }));
    const baseStream = await opened(client.db(dbName).collection('base').watch([], { showExpandedEvents: true, maxAwaitTimeMS: 100 }));
    try {
      const pipeline = [{ $match: { a: 2 } }, { $project: { a: 1 } }];
      await writer.db(dbName).createCollection('view', { viewOn: 'base', pipeline });
      await writer.db(dbName).collection('base').insertOne({ _id: 7 } as Document);
      const [created] = (await collect(dbStream, 1)) as Document[];
      assert.equal(created.operationType, 'create');
      assert.deepEqual(created.ns, { db: dbName, coll: 'view' });
      assert.deepEqual(created.operationDescription, { viewOn: 'base', pipeline });
      assert.equal(created.collectionUUID, undefined);
      const [first] = (await collect(baseStream, 1)) as Document[];
      assert.equal(first.operationType, 'insert', 'the base collection stream sees no view event');
    } finally {
      await Promise.all([dbStream.close(), baseStream.close()]);
      await writer.db(dbName).dropDatabase();
    }
  });

  it('a cluster stream sees every database', async () => {
    const stream = await opened(client.watch([{ $match: { 'ns.db': { $in: [dbName, `${dbName}_2`] } } }], { maxAwaitTimeMS: 100 }));
    try {
      await writer.db(dbName).collection('a').insertOne({ x: 1 });
      await writer.db(`${dbName}_2`).collection('z').insertOne({ x: 2 });
      const events = await collect(stream, 2);
      assert.deepEqual(events.map((e) => [(e as Document).ns.db, (e as Document).fullDocument.x]), [[dbName, 1], [`${dbName}_2`, 2]]);
      const aggregate = commands.find((c) => c.name === 'aggregate')!;
      assert.equal(aggregate.db, 'admin');
      assert.equal(aggregate.command.pipeline[0].$changeStream.allChangesForCluster, true);
    } finally {
      await stream.close();
      await writer.db(`${dbName}_2`).dropDatabase();
    }
  });

  it("startAtOperationTime from a write's operationTime starts at that write", async () => {
    const { watched, written } = target();
    await written.insertOne({ x: 0 });
    const session = writer.startSession();
    try {
      await written.insertOne({ x: 1 }, { session });
      const operationTime = session.operationTime;
      assert.ok(operationTime, 'the write reported an operationTime');
      await written.insertOne({ x: 2 });
      const stream = await opened(watched.watch([], { startAtOperationTime: operationTime, maxAwaitTimeMS: 100 }));
      try {
        assert.deepEqual(xs(await collect(stream, 2)), [1, 2]);
        assert.equal(await stream.tryNext(), null);
      } finally {
        await stream.close();
      }
    } finally {
      await session.endSession();
    }
  });

  it('resumeAfter an event token continues with the next event', async () => {
    const { watched, written } = target();
    await written.insertOne({ x: 0 });
    const first = await opened(watched.watch());
    await written.insertMany([{ x: 1 }, { x: 2 }, { x: 3 }]);
    const [one] = await collect(first, 1);
    await first.close();
    const resumed = await opened(watched.watch([], { resumeAfter: one._id }));
    try {
      assert.deepEqual(xs(await collect(resumed, 2)), [2, 3]);
    } finally {
      await resumed.close();
    }
  });
});

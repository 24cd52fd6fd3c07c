import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MongoClient, type ChangeStreamDocument, type Db, type Document } from 'mongodb';
import { serverError } from '../helpers/server-error.js';
import { getTarget, uniqueDbName, type TestTarget } from '../helpers/target.js';

// Issue 9: $changeStreamSplitLargeEvent (7.0): events over 16 MiB come as fragments, each resumable.

let target: TestTarget;
let client: MongoClient;
let db: Db;
const SIZE = Math.floor(8.1 * 1024 * 1024);

before(async () => {
  target = await getTarget();
  client = new MongoClient(target.uri, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  db = client.db(uniqueDbName('ticker_split'));
  await db.createCollection('big');
});

after(async () => {
  await db?.dropDatabase().catch(() => {});
  await client?.close();
  await target?.stop();
});

describe('$changeStreamSplitLargeEvent', () => {
  it('splits an event over 16 MiB into fragments with splitEvent {fragment, of} and resumable tokens', async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const c = db.collection<any>('big');
    const pipeline = [{ $changeStreamSplitLargeEvent: {} }];
    const stream = c.watch(pipeline, { fullDocument: 'updateLookup' });
    await stream.tryNext();
    await c.insertOne({ _id: 1, a: 'x'.repeat(SIZE) });
    await c.updateOne({ _id: 1 }, { $set: { a: 'y'.repeat(SIZE) } });
    const inserted = (await stream.next()) as Document;
    assert.equal(inserted.operationType, 'insert');
    assert.equal(inserted.splitEvent, undefined, 'an event under 16 MiB is whole');
    const first = (await stream.next()) as Document;
    const second = (await stream.next()) as Document;
    assert.deepEqual(first.splitEvent, { fragment: 1, of: 2 });
    assert.deepEqual(second.splitEvent, { fragment: 2, of: 2 });
    assert.equal(first.operationType, 'update');
    assert.equal(first.updateDescription.updatedFields.a.length, SIZE);
    assert.equal(second.fullDocument.a.length, SIZE);
    assert.equal(second.operationType, undefined, 'each field is in one fragment only');
    assert.notDeepEqual(first._id, second._id);
    await stream.close();
    // Resuming after the first fragment delivers the second, then what followed.
    await c.insertOne({ _id: 2 });
    const resumed = c.watch(pipeline, { fullDocument: 'updateLookup', resumeAfter: first._id });
    const next = (await resumed.next()) as Document;
    assert.deepEqual(next.splitEvent, { fragment: 2, of: 2 });
    assert.equal(((await resumed.next()) as ChangeStreamDocument & { documentKey: Document }).documentKey._id, 2);
    await resumed.close();
  });

  it('without the stage an event over 16 MiB fails the stream with BSONObjectTooLarge (10334)', async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const c = db.collection<any>('big');
    const stream = c.watch([], { fullDocument: 'updateLookup' });
    await stream.tryNext();
    await c.updateOne({ _id: 1 }, { $set: { a: 'z'.repeat(SIZE) } });
    const err = await serverError(stream.next());
    assert.equal(err.code, 10334);
    await stream.close();
  });

  it('is refused anywhere but last (7182802), with a spec (7182800), and outside a change stream (IllegalOperation)', async () => {
    const c = db.collection('big');
    let err = await serverError(c.watch([{ $changeStreamSplitLargeEvent: {} }, { $match: {} }]).tryNext());
    assert.equal(err.code, 7182802);
    err = await serverError(c.watch([{ $changeStreamSplitLargeEvent: { x: 1 } }]).tryNext());
    assert.equal(err.code, 7182800);
    err = await serverError(c.aggregate([{ $changeStreamSplitLargeEvent: {} }]).toArray());
    assert.equal(err.code, 20);
    assert.match(err.message, /can only be used in a \$changeStream pipeline/);
  });
});

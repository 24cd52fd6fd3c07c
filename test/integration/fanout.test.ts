import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MongoClient, type ChangeStream, type Document } from 'mongodb';
import { getTarget, uniqueDbName, type TestTarget } from '../helpers/target.js';

/**
 * Fan-out: many change streams on one collection, as applications open one per session. Streams with
 * the same pipeline share the server's work per event (embedded server); what each stream receives must
 * not depend on that: every event once, in order; a filtered stream only its own; closing some streams
 * mid-run costs the others nothing.
 */
const IDENTICAL = 500;
const GROUPS = 5;
const PER_GROUP = 100;
const WRITES = 40;

let target: TestTarget;
let client: MongoClient;
let writer: MongoClient;

before(async () => {
  target = await getTarget();
  // Each open stream's awaiting getMore holds a connection.
  client = new MongoClient(target.uri, { maxPoolSize: IDENTICAL + GROUPS * PER_GROUP + 10, serverSelectionTimeoutMS: 5_000 });
  writer = new MongoClient(target.uri, { serverSelectionTimeoutMS: 5_000 });
  await Promise.all([client.connect(), writer.connect()]);
});

after(async () => {
  await client?.close();
  await writer?.close();
  await target?.stop();
});

interface Listener {
  stream: ChangeStream;
  /** the `n` of each insert received, in arrival order */
  received: number[];
  /** resolves once `expected` events arrived, or the stream was closed */
  done: Promise<void>;
  closedEarly: boolean;
}

function listen(stream: ChangeStream, expected: number): { listener: Listener; opened: Promise<void> } {
  const received: number[] = [];
  const opened = new Promise<void>((resolve) => (stream as unknown as { cursor: NodeJS.EventEmitter }).cursor.once('init', () => resolve()));
  const listener: Listener = { stream, received, closedEarly: false, done: Promise.resolve() };
  listener.done = (async () => {
    while (received.length < expected) {
      const event = (await stream.next().catch((error: Error) => {
        if (listener.closedEarly) return null;
        throw error;
      })) as Document | null;
      if (event === null) return;
      received.push(event.fullDocument.n);
    }
  })();
  return { listener, opened };
}

describe('change-stream fan-out (1,000 streams on one collection)', () => {
  it('every stream gets each of its events exactly once, in order; closing half mid-run loses nothing for the rest', async () => {
    const dbName = uniqueDbName('fanout');
    const coll = client.db(dbName).collection<Document>('events');
    await writer.db(dbName).createCollection('events');
    const all = Array.from({ length: WRITES }, (_, n) => n);
    const ofGroup = (g: number) => all.filter((n) => n % GROUPS === g);

    const identical = Array.from({ length: IDENTICAL }, () => listen(coll.watch([]), WRITES));
    const grouped = Array.from({ length: GROUPS }, (_, g) =>
      Array.from({ length: PER_GROUP }, () => listen(coll.watch([{ $match: { 'fullDocument.g': g } }]), ofGroup(g).length)));
    await Promise.all([...identical, ...grouped.flat()].map((l) => l.opened));

    const wcoll = writer.db(dbName).collection<Document>('events');
    const half = WRITES / 2;
    for (let n = 0; n < half; n++) await wcoll.insertOne({ n, g: n % GROUPS });
    // Close every other stream of each kind while the writes go on.
    const closing = [identical, ...grouped].flatMap((list) => list.filter((_, k) => k % 2 === 1)).map(({ listener }) => {
      listener.closedEarly = true;
      return listener.stream.close();
    });
    for (let n = half; n < WRITES; n++) await wcoll.insertOne({ n, g: n % GROUPS });
    await Promise.all(closing);

    const deadline = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000).unref());
    const open = [identical, ...grouped].flatMap((list) => list.filter((_, k) => k % 2 === 0)).map(({ listener }) => listener);
    assert.notEqual(await Promise.race([Promise.all(open.map((l) => l.done)), deadline]), 'timeout', 'streams still waiting for events after 20 s');

    for (const { listener } of identical.filter((_, k) => k % 2 === 0)) assert.deepEqual(listener.received, all);
    grouped.forEach((list, g) => {
      for (const { listener } of list.filter((_, k) => k % 2 === 0)) assert.deepEqual(listener.received, ofGroup(g), `group ${g}`);
      // A closed stream got a prefix of its own events, never another group's.
      for (const { listener } of list.filter((_, k) => k % 2 === 1)) assert.deepEqual(listener.received, ofGroup(g).slice(0, listener.received.length));
    });
    for (const { listener } of identical.filter((_, k) => k % 2 === 1)) assert.deepEqual(listener.received, all.slice(0, listener.received.length));

    // Nothing more arrives after the last write: no event is delivered twice.
    await wcoll.insertOne({ n: WRITES, g: 0 });
    const extra = await Promise.all(identical.filter((_, k) => k % 2 === 0).map(({ listener }) => listener.stream.next()));
    for (const event of extra) assert.equal((event as Document).fullDocument.n, WRITES);
    await Promise.all(open.map((l) => l.stream.close()));
    await writer.db(dbName).dropDatabase();
  });
});

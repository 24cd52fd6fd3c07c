import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { startEmbeddedServer } from '../../src/embedded/index.js';
import { EMBEDDED_ONLY, getTarget, requireEmbedded, uniqueDbName, type TestTarget } from '../helpers/target.js';
import { FAMILIAR_SYMBOL_NAMES, familiarDocs, seededRandom } from '../../src/load/dataset.js';
import { createWatcher, type ChangeEvent, type WatchEvent } from '../../src/watch/index.js';

const DB = uniqueDbName('watch');
const COLL = 'stocksymbols';

describe('watcher against the embedded server', () => {
  let target: TestTarget;
  let client: MongoClient;

  before(async () => {
    target = await getTarget();
    client = await new MongoClient(target.uri).connect();
  });
  after(async () => {
    await client.db(DB).dropDatabase().catch(() => undefined);
    await client.close();
    await target.stop();
  });
  beforeEach(async () => {
    await client.db(DB).dropDatabase();
    await client.db(DB).collection<{ _id: string; price: number }>(COLL).insertMany([...familiarDocs(seededRandom(1)), { _id: 'A10000', price: 11 }]);
  });

  const coll = () => client.db(DB).collection<{ _id: string; price: number }>(COLL);
  const waitFor = async (cond: () => boolean, ms = 5000): Promise<void> => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error('timed out waiting');
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it('delivers a snapshot, then every familiar price change in order, none twice', async () => {
    const watcher = createWatcher({ client, db: DB, coll: COLL, maxAwaitTimeMS: 200 });
    const events: WatchEvent[] = [];
    watcher.subscribe((e) => events.push(e));
    const snapshot = await watcher.start();
    assert.deepEqual(Object.keys(snapshot.prices).sort(), [...FAMILIAR_SYMBOL_NAMES].sort());

    const expected: Array<[string, number]> = [];
    const random = seededRandom(7);
    for (let i = 0; i < 200; i++) {
      const symbol = FAMILIAR_SYMBOL_NAMES[Math.floor(random() * FAMILIAR_SYMBOL_NAMES.length)]!;
      const price = 20 + i;
      expected.push([symbol, price]);
      await coll().updateOne({ _id: symbol }, { $set: { price } });
      // Noise the default filter must drop.
      await coll().updateOne({ _id: 'A10000' }, { $set: { price: i } });
      if (i % 50 === 0) await coll().updateOne({ _id: symbol }, { $set: { other: i } });
    }
    await waitFor(() => events.filter((e) => e.kind === 'change').length >= expected.length);
    await new Promise((r) => setTimeout(r, 100));
    await watcher.stop();
    await watcher.done;

    const changes = events.filter((e): e is ChangeEvent => e.kind === 'change');
    assert.deepEqual(changes.map((c) => [c.symbol, c.price]), expected);
    // `previous` chains from the snapshot through each change.
    const last: Record<string, number> = { ...snapshot.prices };
    for (const c of changes) {
      assert.equal(c.previous, last[c.symbol]);
      last[c.symbol] = c.price!;
      assert.ok(c.clusterTime && c.wallTime && c.at > 0);
    }
    assert.equal(events[0]!.kind, 'snapshot');
  });

  it('misses nothing written during start-up (between the snapshot read and the stream), and repeats nothing', async () => {
    let round = 0;
    const watcher = createWatcher({
      client, db: DB, coll: COLL, maxAwaitTimeMS: 200,
      // Written between the snapshot read and the stream opening at its time: delivered once, by the stream.
      inStartUpGap: async () => {
        await coll().updateOne({ _id: 'MDB' }, { $set: { price: 500 } });
        await coll().updateOne({ _id: 'IBM' }, { $set: { price: 501 } });
      },
    });
    const events: WatchEvent[] = [];
    watcher.subscribe((e) => events.push(e));
    // A concurrent writer racing the whole start-up.
    let writing = true;
    const writer = (async () => {
      while (writing) {
        round++;
        await coll().updateOne({ _id: FAMILIAR_SYMBOL_NAMES[round % 13]! }, { $set: { price: 1000 + round } });
      }
    })();
    const snapshot = await watcher.start();
    await new Promise((r) => setTimeout(r, 200));
    writing = false;
    await writer;
    await coll().updateOne({ _id: 'MDB' }, { $set: { price: 999 } }); // a marker after everything
    await waitFor(() => events.some((e) => e.kind === 'change' && e.symbol === 'MDB' && e.price === 999));
    await watcher.stop();

    assert.equal(snapshot.prices.MDB !== undefined, true);
    // The subscriber's picture (snapshot + changes) equals the collection: nothing lost.
    const docs = await coll().find({ _id: { $in: [...FAMILIAR_SYMBOL_NAMES] } }).toArray();
    const truth = Object.fromEntries(docs.map((d) => [d._id, d.price]));
    const seen: Record<string, number> = {};
    for (const e of events) {
      if (e.kind === 'snapshot') Object.assign(seen, e.prices);
      if (e.kind === 'change') seen[e.symbol] = e.price!;
    }
    assert.deepEqual(seen, truth);
    // Nothing twice: every delivered writer price is unique and increasing.
    const writerPrices = events.filter((e): e is ChangeEvent => e.kind === 'change' && e.price! >= 1000 && e.price! < 999_000).map((e) => e.price!);
    assert.equal(new Set(writerPrices).size, writerPrices.length);
    assert.deepEqual([...writerPrices].sort((a, b) => a - b), writerPrices);
    // The gap's writes came after the snapshot: each delivered once, as a change.
    for (const price of [500, 501]) assert.equal(events.filter((e) => e.kind === 'change' && e.price === price).length, 1, `price ${price}`);
    // Every change after the snapshot's last writer price was delivered.
    const snapMax = Math.max(...Object.values(snapshot.prices).filter((p) => p >= 1000 && p < 999_000), 1000);
    const delivered = new Set(writerPrices);
    for (let p = snapMax + 1; p <= 1000 + round; p++) assert.ok(delivered.has(p), `price ${p} was not delivered`);
  });

  it('--all delivers inserts, deletes and updates of every symbol', async () => {
    const watcher = createWatcher({ client, db: DB, coll: COLL, all: true, maxAwaitTimeMS: 200 });
    const changes: ChangeEvent[] = [];
    watcher.subscribe((e) => e.kind === 'change' && changes.push(e));
    await watcher.start();
    await coll().deleteOne({ _id: 'A10000' });
    await coll().insertOne({ _id: 'A10000', price: 12 });
    await coll().updateOne({ _id: 'MDB' }, { $set: { price: 91 } });
    await waitFor(() => changes.length >= 3);
    await watcher.stop();
    assert.deepEqual(changes.map((c) => [c.op, c.symbol, c.price]), [['delete', 'A10000', null], ['insert', 'A10000', 12], ['update', 'MDB', 91]]);
  });

  it('resumes after a dropped getMore without repeating or losing an event', async (t) => {
    if (!requireEmbedded(t)) return;
    const watcher = createWatcher({ client, db: DB, coll: COLL, maxAwaitTimeMS: 100 });
    const changes: ChangeEvent[] = [];
    watcher.subscribe((e) => e.kind === 'change' && changes.push(e));
    await watcher.start();
    for (let i = 0; i < 10; i++) await coll().updateOne({ _id: 'MDB' }, { $set: { price: 100 + i } });
    await waitFor(() => changes.length >= 10);
    // Resumable network error on the next two getMores: the driver reconnects and resumes.
    await client.db('admin').command({ configureFailPoint: 'failCommand', mode: { times: 2 }, data: { failCommands: ['getMore'], closeConnection: true } });
    for (let i = 10; i < 20; i++) await coll().updateOne({ _id: 'MDB' }, { $set: { price: 100 + i } });
    await waitFor(() => changes.length >= 20, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    await watcher.stop();
    await client.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
    assert.deepEqual(changes.map((c) => c.price), Array.from({ length: 20 }, (_, i) => 100 + i));
  });

  it('a subscriber cannot break the stream, and stop() is clean', async () => {
    const watcher = createWatcher({ client, db: DB, coll: COLL, maxAwaitTimeMS: 100 });
    const got: number[] = [];
    watcher.subscribe(() => {
      throw new Error('bad subscriber');
    });
    const unsubscribe = watcher.subscribe((e) => e.kind === 'change' && got.push(e.price!));
    await watcher.start();
    await coll().updateOne({ _id: 'SAP' }, { $set: { price: 42 } });
    await waitFor(() => got.length === 1);
    unsubscribe();
    await coll().updateOne({ _id: 'SAP' }, { $set: { price: 43 } });
    await waitFor(() => watcher.prices().SAP === 43);
    assert.deepEqual(got, [42]);
    await watcher.stop();
    await watcher.stop();
    await watcher.done;
  });
});

describe('watcher when history is lost', () => {
  it('announces a resync and re-reads the prices', { skip: EMBEDDED_ONLY }, async () => {
    const server = await startEmbeddedServer({ port: 0, oplogEntries: 20 });
    const client = await new MongoClient(server.uri).connect();
    try {
      const coll = client.db(DB).collection<{ _id: string; price: number }>(COLL);
      await coll.insertMany(familiarDocs(seededRandom(2)));
      const watcher = createWatcher({ client, db: DB, coll: COLL, maxAwaitTimeMS: 100, retryDelayMs: 50, maxRestarts: 1000 });
      const events: WatchEvent[] = [];
      watcher.subscribe((e) => events.push(e));
      await watcher.start();
      // Cut the stream, then write far more than the oplog keeps, so resuming from our token fails.
      await client.db('admin').command({ configureFailPoint: 'failCommand', mode: 'alwaysOn', data: { failCommands: ['getMore', 'aggregate'], errorCode: 43 } });
      await new Promise((r) => setTimeout(r, 300));
      for (let i = 0; i < 50; i++) await coll.updateOne({ _id: 'ORCL' }, { $set: { price: 2000 + i } });
      await client.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
      const end = Date.now() + 8000;
      while (!events.some((e) => e.kind === 'resync') || watcher.prices().ORCL !== 2049) {
        if (Date.now() > end) throw new Error(`no resync: ${JSON.stringify(events.map((e) => e.kind))}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await coll.updateOne({ _id: 'ORCL' }, { $set: { price: 7 } });
      while (watcher.prices().ORCL !== 7) await new Promise((r) => setTimeout(r, 20));
      await watcher.stop();
      const kinds = events.map((e) => e.kind);
      assert.equal(kinds.filter((k) => k === 'resync').length, 1);
      assert.equal(kinds[kinds.indexOf('resync') + 1], 'snapshot');
    } finally {
      await client.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' }).catch(() => undefined);
      await client.close();
      await server.stop();
    }
  });
});

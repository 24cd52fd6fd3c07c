import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { FAMILIAR_SYMBOL_NAMES, PRICE_RULES } from '../../src/load/dataset.js';
import { runLoad, slices } from '../../src/load/loader.js';
import { UserError } from '../../src/util/errors.js';
import { getTarget, requireEmbedded, uniqueDbName, type TestTarget } from '../helpers/target.js';

type Doc = { _id: string; price: number };

describe('loader (piscina pool) against the target', () => {
  let target: TestTarget;
  let client: MongoClient;
  const dbs: string[] = [];
  const freshDb = (): string => {
    const name = uniqueDbName('load');
    dbs.push(name);
    return name;
  };

  before(async () => {
    target = await getTarget();
    client = await new MongoClient(target.uri).connect();
  });
  after(async () => {
    for (const db of dbs) await client.db(db).dropDatabase().catch(() => undefined);
    await client.close();
    await target.stop();
  });

  it('loads exactly the small data set: 20,000 bulk + 13 familiar, right symbols and prices', async () => {
    const db = freshDb();
    const progress: number[] = [];
    const summary = await runLoad({ uri: target.uri, client, db, coll: 'stocksymbols', workers: 2, onProgress: (done) => progress.push(done) });
    assert.equal(summary.documents, 20_013);
    assert.equal(summary.bulk, 20_000);
    assert.equal(summary.familiar, 13);
    assert.equal(summary.interrupted, false);
    assert.equal(progress.at(-1), 20_013);

    const coll = client.db(db).collection<Doc>('stocksymbols');
    assert.equal(await coll.countDocuments(), 20_013);
    for (const letter of ['A', 'K', 'S', 'Z']) {
      const ids = (await coll.find({ _id: { $gte: `${letter}0`, $lt: `${letter}:` } }, { projection: { _id: 1 } }).sort({ _id: 1 }).toArray()).map((d) => d._id);
      assert.equal(ids.length, 5000, letter);
      assert.equal(ids[0], `${letter}10000`);
      assert.equal(ids.at(-1), `${letter}14999`);
    }
    const bulkOutOfRange = await coll.countDocuments({
      _id: { $nin: [...FAMILIAR_SYMBOL_NAMES] },
      $or: [{ price: { $lt: PRICE_RULES.bulk.min } }, { price: { $gt: PRICE_RULES.bulk.max } }],
    });
    assert.equal(bulkOutOfRange, 0);
    const familiar = await coll.find({ _id: { $in: [...FAMILIAR_SYMBOL_NAMES] } }).toArray();
    assert.equal(familiar.length, 13);
    for (const { _id, price } of familiar) {
      const rule = _id === 'MDB' ? PRICE_RULES.mdb : PRICE_RULES.familiar;
      assert.ok(Number.isInteger(price) && price >= rule.min && price <= rule.max, `${_id} ${price}`);
    }
  });

  it('refuses to load into a collection that holds documents', async () => {
    const db = freshDb();
    await client.db(db).collection<Doc>('stocksymbols').insertOne({ _id: 'X1', price: 1 });
    await assert.rejects(
      runLoad({ uri: target.uri, client, db, coll: 'stocksymbols', count: 100, workers: 1 }),
      (error: unknown) => error instanceof UserError && error.message === `${db}.stocksymbols already holds 1 document: run \`ticker clean --db ${db}\` first`,
    );
  });

  it('--count, --batch-size and a seed give a reproducible exact load', async () => {
    const a = freshDb();
    const b = freshDb();
    for (const db of [a, b]) await runLoad({ uri: target.uri, client, db, coll: 'stocksymbols', count: 1003, batchSize: 100, workers: 2, seed: 42 });
    const read = async (db: string) => client.db(db).collection<Doc>('stocksymbols').find().sort({ _id: 1 }).toArray();
    const [docsA, docsB] = [await read(a), await read(b)];
    assert.equal(docsA.length, 1016);
    assert.deepEqual(docsA, docsB);
  });

  it('a small load without --workers is done by the calling thread alone, with the same documents', async () => {
    const pooled = freshDb();
    const alone = freshDb();
    await runLoad({ uri: target.uri, client, db: pooled, coll: 'stocksymbols', count: 1500, batchSize: 100, workers: 2, seed: 7 });
    const summary = await runLoad({ uri: target.uri, client, db: alone, coll: 'stocksymbols', count: 1500, batchSize: 100, seed: 7 });
    assert.equal(summary.workers, 0);
    assert.equal(summary.documents, 1513);
    const read = async (db: string) => client.db(db).collection<Doc>('stocksymbols').find().sort({ _id: 1 }).toArray();
    assert.deepEqual(await read(alone), await read(pooled));
  });

  it('a failed batch is retried without duplicates, and the count stays exact', async (t) => {
    if (!requireEmbedded(t)) return;
    const db = freshDb();
    // Every batch whose first index is a multiple of 500 writes half, then fails; the retry meets duplicates.
    const summary = await runLoad({ uri: target.uri, client, db, coll: 'stocksymbols', count: 3000, batchSize: 250, workers: 2, failFirstAttemptEvery: 500 });
    assert.equal(summary.retriedBatches, 6);
    assert.equal(summary.documents, 3013);
    assert.equal(await client.db(db).collection('stocksymbols').countDocuments(), 3013);
  });

  it('server-side batch failures are retried (failCommand on insert)', async (t) => {
    if (!requireEmbedded(t)) return;
    const db = freshDb();
    await client.db('admin').command({ configureFailPoint: 'failCommand', mode: { times: 3 }, data: { failCommands: ['insert'], errorCode: 11600, appName: 'ticker-load' } });
    try {
      const summary = await runLoad({ uri: target.uri, client, db, coll: 'stocksymbols', count: 2000, batchSize: 200, workers: 1 });
      assert.equal(summary.documents, 2013);
      assert.equal(await client.db(db).collection('stocksymbols').countDocuments(), 2013);
    } finally {
      await client.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
    }
  });

  it('stops on abort and reports what the collection holds', async () => {
    const db = freshDb();
    const abort = new AbortController();
    const summary = await runLoad({
      uri: target.uri, client, db, coll: 'stocksymbols', count: 200_000, batchSize: 500, workers: 1, signal: abort.signal,
      onProgress: (done) => done >= 2000 && abort.abort(),
    });
    assert.equal(summary.interrupted, true);
    assert.equal(summary.documents, await client.db(db).collection('stocksymbols').countDocuments());
    assert.ok(summary.documents >= 2000 && summary.documents < 200_000);
  });

  it('splits the key space into whole-batch tasks that cover it exactly', () => {
    for (const [count, batch, workers] of [[20_000, 1000, 2], [8_000_000, 1000, 4], [7, 3, 4], [1003, 100, 2]] as const) {
      const tasks = slices(count, batch, workers);
      assert.equal(tasks[0]![0], 0);
      assert.equal(tasks.at(-1)![1], count);
      for (let i = 1; i < tasks.length; i++) assert.equal(tasks[i]![0], tasks[i - 1]![1]);
      for (const [from, to] of tasks.slice(0, -1)) assert.equal((to - from) % batch, 0);
    }
  });
});

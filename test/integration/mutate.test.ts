import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MongoClient } from 'mongodb';
import { openClient } from '../../src/connect/client.js';
import { bulkDocs, bulkLayout, expectedDocumentCount, familiarDocs, seededRandom, type StockDoc } from '../../src/load/dataset.js';
import { runMutator, type MutatorProgress } from '../../src/mutate/mutator.js';
import type { Tick } from '../../src/mutate/mix.js';
import { UserError } from '../../src/util/errors.js';
import { getTarget, uniqueDbName, type TestTarget } from '../helpers/target.js';

describe('mutate (integration)', () => {
  let target: TestTarget;
  let client: MongoClient;
  const dbName = uniqueDbName('ticker_mutate');
  const layout = bulkLayout(400);

  before(async () => {
    target = await getTarget();
    client = await openClient(target.uri);
    const random = seededRandom(5);
    await client.db(dbName).collection<StockDoc>('stocksymbols').insertMany([...bulkDocs(layout, 0, layout.count, random), ...familiarDocs(random)]);
  });
  after(async () => {
    await client?.db(dbName).dropDatabase().catch(() => undefined);
    await client?.close();
    await target?.stop();
  });

  it('runs the original mix at 40 ops/s for 2 s: 20 of each kind, the data set intact', async () => {
    const progress: MutatorProgress[] = [];
    const summary = await runMutator({
      client, db: dbName, coll: 'stocksymbols', rate: 40, durationMs: 2_000, writerId: 7,
      onProgress: (p) => progress.push(p), progressIntervalMs: 500,
    });

    for (const kind of ['familiar', 'a-update', 'z-delete', 'z-insert'] as const) {
      assert.ok(Math.abs(summary.opsByKind[kind] - 20) <= 1, `${kind}: ${summary.opsByKind[kind]}`);
      assert.equal(summary.errorsByKind[kind], 0, `${kind}: ${summary.firstErrorByKind[kind]}`);
    }
    assert.equal(summary.requestedRate, 40);
    assert.ok(Math.abs(summary.achievedRate - 40) < 2, `achieved ${summary.achievedRate}`);
    assert.ok(summary.elapsedMs >= 2_000);
    assert.ok(summary.lag.max >= summary.lag.p99 && summary.lag.p99 >= summary.lag.p50);
    assert.ok(progress.length >= 2);

    const collection = client.db(dbName).collection<{ _id: string; price: number; tick?: Tick }>('stocksymbols');
    assert.equal(await collection.countDocuments(), expectedDocumentCount(layout), 'every deleted Z symbol is back');
    const ticked = await collection.find({ 'tick.w': 7 }).toArray();
    assert.ok(ticked.length > 0);
    for (const doc of ticked) {
      assert.ok(Number.isInteger(doc.tick!.seq));
      assert.ok(Math.abs(doc.tick!.at - Date.now()) < 60_000, 'tick.at is an epoch time in ms');
    }
  });

  it('puts a Z symbol back when the run ends between its delete and its insert', async () => {
    // 40 ops/s for 1.575 s plans 63 operations: the last one is a z-delete.
    const summary = await runMutator({ client, db: dbName, coll: 'stocksymbols', rate: 40, durationMs: 1_575 });
    // On a loaded machine the run ends on time with some of the plan unsent; every Z deleted is still put back.
    assert.equal(summary.opsByKind['z-insert'], summary.opsByKind['z-delete']);
    if (summary.unsent === 0) assert.equal(summary.opsByKind['z-delete'], 16);
    else assert.ok(summary.opsByKind['z-delete'] > 0 && summary.opsByKind['z-delete'] <= 16, `z-delete ${summary.opsByKind['z-delete']}`);
    assert.equal(await client.db(dbName).collection('stocksymbols').countDocuments(), expectedDocumentCount(layout));
  });

  it('refuses an empty collection', async () => {
    await assert.rejects(
      runMutator({ client, db: dbName, coll: 'nothing_here', rate: 10, durationMs: 100 }),
      (error: Error) => error instanceof UserError && /run `ticker load` first/.test(error.message),
    );
  });
});

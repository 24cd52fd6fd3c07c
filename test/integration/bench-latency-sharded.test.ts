import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MongoClient } from 'mongodb';
import { openClient } from '../../src/connect/client.js';
import { describeTarget } from '../../src/connect/topology.js';
import { bulkDocs, bulkLayout, familiarDocs, seededRandom, type StockDoc } from '../../src/load/dataset.js';
import { prepareShardedCollection } from '../../src/load/sharding.js';
import type { ShardedCluster } from '../../src/embedded/sharded/index.js';
import { runLatency } from '../../src/measure/latency-run.js';
import { AGAINST_REAL_DEPLOYMENT, uniqueDbName } from '../helpers/target.js';

describe('bench latency on the embedded sharded cluster', { skip: AGAINST_REAL_DEPLOYMENT ? 'needs the embedded sharded cluster' : false }, () => {
  let cluster: ShardedCluster;
  let client: MongoClient;
  const db = uniqueDbName('ticker_latency_sh');

  before(async () => {
    const { startShardedCluster } = await import('../../src/embedded/sharded/index.js');
    cluster = await startShardedCluster({ port: 0, shards: 2, noopIntervalMs: 1_000 });
    client = await openClient(cluster.uri);
    const layout = bulkLayout(2_000);
    await prepareShardedCollection(client, db, 'stocksymbols', { target: await describeTarget(client), layout });
    const random = seededRandom(9);
    await client.db(db).collection<StockDoc>('stocksymbols').insertMany([...bulkDocs(layout, 0, layout.count, random), ...familiarDocs(random)]);
  });
  after(async () => {
    await client?.close();
    await cluster?.stop();
  });

  it('with writes kept off one shard, staggers appear and name that shard; nothing is lost', async () => {
    const { report, errors } = await runLatency({
      uri: cluster.uri, db, coll: 'stocksymbols', rate: 50, durationMs: 4_000, warmupMs: 500,
      listeners: 1, writers: 1, fullDocument: false, coldShard: 'shard1', mix: 'familiar,a-update', // every Z symbol is on shard1
    });
    assert.deepEqual(errors, []);
    assert.equal(report.target.topology, 'sharded');
    assert.equal(report.audit.lost, 0);
    assert.equal(report.audit.duplicated, 0);
    assert.ok(report.staggers.count >= 1, `staggers: ${report.staggers.count}`);
    // Held back until the cold shard's next no-op: about the 1 s interval, never much more. A gap cut by
    // the window's start is shorter, so only the longest is held to the interval from below.
    for (const stagger of report.staggers.worst) {
      assert.equal(stagger.shard, 'shard1');
      assert.ok(stagger.gapMs < 1_600, `a stagger of ${stagger.gapMs} ms`);
    }
    const longest = Math.max(...report.staggers.worst.map((s) => s.gapMs));
    assert.ok(longest > 600, `the longest stagger: ${longest} ms`);
  });

  it('refuses, before any write, a mix the cold shard makes impossible (every Z symbol is on it)', async () => {
    await assert.rejects(
      runLatency({ uri: cluster.uri, db, coll: 'stocksymbols', rate: 50, durationMs: 1_000, warmupMs: 0, listeners: 1, writers: 1, fullDocument: false, coldShard: 'shard1' }),
      { name: 'UserError', message: /every Z symbol is on the cold shard: leave z-delete and z-insert out of the mix/ },
    );
  });

  it('with every shard written to (the default mix, familiar symbols included), there are no staggers', async () => {
    const { report, errors } = await runLatency({
      uri: cluster.uri, db, coll: 'stocksymbols', rate: 200, durationMs: 3_000, warmupMs: 500,
      listeners: 1, writers: 1, fullDocument: false,
    });
    assert.deepEqual(errors, []);
    assert.equal(report.audit.lost, 0);
    assert.equal(report.audit.duplicated, 0);
    // No shard is left idle, so nothing is held until a no-op (1 s): on a loaded machine a scheduling
    // hiccup may still hold a burst just past the 250 ms threshold, which is a true (short) stagger.
    const heldForANoop = report.staggers.worst.filter((s) => s.gapMs > 600);
    assert.deepEqual(heldForANoop, [], JSON.stringify(report.staggers.worst));
  });
});

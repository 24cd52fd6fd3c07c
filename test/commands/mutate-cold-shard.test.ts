import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MongoClient } from 'mongodb';
import { coldShardRanges, inRanges } from '../../src/connect/chunk-map.js';
import { openClient } from '../../src/connect/client.js';
import { describeTarget } from '../../src/connect/topology.js';
import { bulkDocs, bulkLayout, familiarDocs, seededRandom, type StockDoc } from '../../src/load/dataset.js';
import { prepareShardedCollection } from '../../src/load/sharding.js';
import type { ShardedCluster } from '../../src/embedded/sharded/index.js';
import { assertRefused, runTicker } from '../helpers/cli.js';
import { AGAINST_REAL_DEPLOYMENT, uniqueDbName } from '../helpers/target.js';

// A cold shard is how a sharded cluster's staggers are reproduced on purpose: every write of the run,
// familiar symbols included, must land outside the chunks that shard owns.
describe('ticker mutate --cold-shard', { skip: AGAINST_REAL_DEPLOYMENT ? 'needs the embedded sharded cluster' : false }, () => {
  let cluster: ShardedCluster;
  let client: MongoClient;
  const db = uniqueDbName('ticker_cold');

  before(async () => {
    const { startShardedCluster } = await import('../../src/embedded/sharded/index.js');
    cluster = await startShardedCluster({ port: 0, shards: 2, noopIntervalMs: 0 });
    client = await openClient(cluster.uri);
    const layout = bulkLayout(2_000);
    await prepareShardedCollection(client, db, 'stocksymbols', { target: await describeTarget(client), layout });
    const random = seededRandom(3);
    await client.db(db).collection<StockDoc>('stocksymbols').insertMany([...bulkDocs(layout, 0, layout.count, random), ...familiarDocs(random)]);
  });
  after(async () => {
    await client?.close();
    await cluster?.stop();
  });

  it('writes nothing to the cold shard, familiar symbols included', async () => {
    const run = await runTicker(['mutate', '--uri', cluster.uri, '--db', db, '--rate', '200', '--duration', '1s', '--cold-shard', 'shard1', '--mix', 'familiar,a-update', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    // the mix takes turns, and every operation due was made or counted unsent (a loaded machine ends on
    // time behind its plan): none silently skipped for want of a symbol
    assert.ok(summary.opsByKind.familiar > 0 && Math.abs(summary.opsByKind.familiar - summary.opsByKind['a-update']) <= 1, run.stdout);
    assert.ok(Math.abs(summary.opsByKind.familiar + summary.opsByKind['a-update'] + summary.unsent - 200) <= 2, run.stdout);
    const cold = await coldShardRanges(client, db, 'stocksymbols', 'shard1');
    const written = await client.db(db).collection<StockDoc & { tick?: unknown }>('stocksymbols').find({ tick: { $exists: true } }).toArray();
    assert.ok(written.length > 0);
    assert.deepEqual(written.filter((d) => inRanges(cold, d._id)).map((d) => d._id), []);
  });

  it('refuses a mix it cannot make: every Z symbol is on the cold shard', async () => {
    assertRefused(
      await runTicker(['mutate', '--uri', cluster.uri, '--db', db, '--duration', '1s', '--cold-shard', 'shard1']),
      /every Z symbol is on the cold shard: leave z-delete and z-insert out of the mix \(e\.g\. --mix familiar,a-update\)/,
    );
  });

  it('refuses a shard that does not exist, in one line', async () => {
    assertRefused(await runTicker(['mutate', '--uri', cluster.uri, '--db', db, '--duration', '1s', '--cold-shard', 'nope']), /no shard named nope \(shards: shard0, shard1\)/);
  });
});

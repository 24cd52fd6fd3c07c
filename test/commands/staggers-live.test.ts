import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MongoClient } from 'mongodb';
import { openClient } from '../../src/connect/client.js';
import { describeTarget } from '../../src/connect/topology.js';
import { bulkDocs, bulkLayout, familiarDocs, seededRandom, type StockDoc } from '../../src/load/dataset.js';
import { prepareShardedCollection } from '../../src/load/sharding.js';
import type { ShardedCluster } from '../../src/embedded/sharded/index.js';
import { reportSchema } from '../../src/report/schema.js';
import { runTicker, startTicker } from '../helpers/cli.js';
import { undescribedFields } from '../helpers/schema-fields.js';
import { AGAINST_REAL_DEPLOYMENT, uniqueDbName } from '../helpers/target.js';

interface Live { startAt: number; gapMs: number; burst: number }

// One stagger definition: what `bench latency` counts, `trace` and `display` flag from the stream alone
// (cluster time moving on while the post-batch resume token stays behind), with the same threshold.
describe('staggers: the live views flag what the bench counts', { skip: AGAINST_REAL_DEPLOYMENT ? 'needs the embedded sharded cluster' : false }, () => {
  let cluster: ShardedCluster;
  let client: MongoClient;
  let dir: string;
  const db = uniqueDbName('ticker_live_stagger');

  before(async () => {
    const { startShardedCluster } = await import('../../src/embedded/sharded/index.js');
    cluster = await startShardedCluster({ port: 0, shards: 2, noopIntervalMs: 2_000 });
    client = await openClient(cluster.uri);
    const layout = bulkLayout(2_000);
    await prepareShardedCollection(client, db, 'stocksymbols', { target: await describeTarget(client), layout });
    const random = seededRandom(5);
    await client.db(db).collection<StockDoc>('stocksymbols').insertMany([...bulkDocs(layout, 0, layout.count, random), ...familiarDocs(random)]);
    dir = await mkdtemp(join(tmpdir(), 'ticker-staggers-'));
  });
  after(async () => {
    await client?.close();
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('with a 2 s no-op interval and writes kept off one shard, trace and display flag each stagger the bench reports', async () => {
    const target = ['--uri', cluster.uri, '--db', db, '--stagger-threshold', '250ms'];
    const trace = startTicker(['trace', '--all', '--json', ...target]);
    const display = startTicker(['display', '--all', ...target]);
    await trace.waitFor(/"kind":"snapshot"/);
    await display.waitFor(/following \d+ symbols/);
    const bench = await runTicker([
      'bench', 'latency', ...target, '--rate', '50', '--duration', '5s', '--warmup', '500ms', '--listeners', '1', '--writers', '1',
      '--cold-shard', 'shard1', '--mix', 'familiar,a-update', '--report-dir', dir,
    ]);
    assert.equal(bench.code, 0, bench.stderr);
    trace.child.kill('SIGINT');
    display.child.kill('SIGINT');
    assert.equal(await trace.exited, 130, trace.stderr());
    assert.equal(await display.exited, 130, display.stderr());

    const report = JSON.parse(await readFile(join(dir, (await readdir(dir)).find((f) => f.endsWith('.json'))!), 'utf8'));
    // a sharded run's report (shard names on its staggers) is one the schema checks field by field
    assert.ok(reportSchema.safeParse(report).success);
    assert.deepEqual(undescribedFields(reportSchema, report), []);
    const windowStart = Date.parse(report.startedAt);
    const windowEnd = Date.parse(report.endedAt);
    const benchEnds = report.staggers.worst.map((s: { startMs: number; gapMs: number }) => windowStart + s.startMs + s.gapMs);
    assert.ok(report.staggers.count >= 2, `the bench saw ${report.staggers.count} staggers`);
    assert.equal(report.staggers.worst.length, report.staggers.count);

    const traced: Live[] = trace.stdout().trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.kind === 'stagger');
    const shown: Live[] = [...display.stderr().matchAll(/stagger: events held back ([\d.]+)s from (\d\d):(\d\d):(\d\d)\.(\d{4}), then (\d+) released/g)]
      .map((m) => ({ gapMs: Number(m[1]) * 1000, startAt: NaN, burst: Number(m[6]) }));
    // Both streams are released by the same no-op of the cold shard: the gaps end together.
    for (const end of benchEnds) {
      assert.ok(traced.some((s) => Math.abs(s.startAt + s.gapMs - end) < 300), `trace flagged no stagger ending near ${end}: ${JSON.stringify(traced)}`);
    }
    // and the live view flags nothing the bench did not count (in the bench's window)
    const inWindow = traced.filter((s) => s.startAt >= windowStart && s.startAt + s.gapMs <= windowEnd);
    for (const s of inWindow) assert.ok(benchEnds.some((end: number) => Math.abs(s.startAt + s.gapMs - end) < 300), `the bench did not count ${JSON.stringify(s)}`);
    for (const s of inWindow) assert.ok(s.gapMs > 250 && s.gapMs < 2_400 && s.burst > 0, JSON.stringify(s));
    // display says the same on its fallback lines, and counts them in its summary
    assert.ok(shown.length >= benchEnds.length, display.stderr());
    assert.match(display.stderr(), new RegExp(`display: \\d+ price changes shown, ${shown.length} staggers? over 250 ms`));
  });
});

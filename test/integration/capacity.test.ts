import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MongoClient } from 'mongodb';
import { openClient } from '../../src/connect/client.js';
import { bulkDocs, bulkLayout, familiarDocs, seededRandom, type StockDoc } from '../../src/load/dataset.js';
import { capacityPlan, findKnee, type CapacitySearch } from '../../src/measure/capacity.js';
import { runSteps } from '../../src/measure/steps.js';
import { parseThreshold } from '../../src/measure/thresholds.js';
import { HISTOGRAM_NAMES } from '../../src/report/model.js';
import { getTarget, requireEmbedded, uniqueDbName, type TestTarget } from '../helpers/target.js';

describe('bench capacity (integration)', () => {
  let target: TestTarget;
  let client: MongoClient;
  const db = uniqueDbName('ticker_capacity');

  before(async () => {
    target = await getTarget();
    client = await openClient(target.uri);
    const layout = bulkLayout(2_000);
    const random = seededRandom(7);
    await client.db(db).collection<StockDoc>('stocksymbols').insertMany([...bulkDocs(layout, 0, layout.count, random), ...familiarDocs(random)]);
  });
  after(async () => {
    await client?.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' }).catch(() => undefined);
    await client?.db(db).dropDatabase().catch(() => undefined);
    await client?.close();
    await target?.stop();
  });

  it('with every listener getMore held 500 ms (failCommand blockConnection) and 5 events per batch, finds the knee at that 10 events/s limit, not above it', async (t) => {
    if (!requireEmbedded(t)) return; // fail points are a test-only server feature
    // One getMore per 500 ms carrying at most 5 events: the stream cannot deliver more than 10 events/s.
    await client.db('admin').command({
      configureFailPoint: 'failCommand', mode: 'alwaysOn',
      data: { failCommands: ['getMore'], blockConnection: true, blockTimeMS: 500, appName: 'ticker-listener' },
    });
    const search: CapacitySearch = { start: 4, max: 64, factor: 2, precision: 0.25, maxSteps: 5, integer: true };
    const { steps } = await runSteps({
      base: {
        uri: target.uri, db, coll: 'stocksymbols', rate: 4, listeners: 1, writers: 1, durationMs: 1_500, warmupMs: 200,
        fullDocument: false, batchSize: 5, drainMs: 6_000,
      },
      variable: 'rate',
      plan: capacityPlan(search),
      thresholds: [parseThreshold('endToEnd.p99<800ms', HISTOGRAM_NAMES)],
    });
    const knee = findKnee(steps, search);
    const trace = steps.map((s) => `${s.value}/s ${s.pass ? 'pass' : 'FAIL'} p99 ${s.report.histograms.endToEnd?.summary.p99}us lost ${s.report.audit.lost}`).join('; ');
    assert.ok(knee.value !== null, `no step met the SLO: ${trace}`);
    // Above 10/s a backlog grows by (rate − 10) events a second: over a 1.7 s step that stays within the
    // 800 ms SLO (on top of the 500 ms hold) only up to about 13/s. The knee cannot be above that.
    assert.ok(knee.value <= 13, `knee ${knee.value} is above what the fail point allows: ${trace}`);
    assert.ok(knee.firstFailing !== null && knee.firstFailing <= 16, trace);
  });
});

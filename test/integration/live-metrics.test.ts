import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MongoClient } from 'mongodb';
import { openClient } from '../../src/connect/client.js';
import { bulkDocs, bulkLayout, familiarDocs, seededRandom, type StockDoc } from '../../src/load/dataset.js';
import { runLatency } from '../../src/measure/latency-run.js';
import { LiveMetrics } from '../../src/metrics/live-metrics.js';
import { earliestOplogSeconds, resumeTokenSeconds } from '../../src/metrics/oplog-window.js';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/server.js';
import { getTarget, uniqueDbName, type TestTarget } from '../helpers/target.js';

/** The samples of a Prometheus text page, by name (labels kept in the key). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('live metrics (/metrics during bench latency)', () => {
  let target: TestTarget;
  let client: MongoClient;
  let server: MetricsServer;
  const metrics = new LiveMetrics();
  const db = uniqueDbName('ticker_metrics');

  before(async () => {
    target = await getTarget();
    client = await openClient(target.uri);
    const layout = bulkLayout(2_000);
    const random = seededRandom(5);
    await client.db(db).collection<StockDoc>('stocksymbols').insertMany([...bulkDocs(layout, 0, layout.count, random), ...familiarDocs(random)]);
    server = await startMetricsServer(metrics, 0);
  });
  after(async () => {
    await server?.close();
    await client?.db(db).dropDatabase().catch(() => undefined);
    await client?.close();
    await target?.stop();
  });

  it('shows counts that grow during the run and match the report at its end', async () => {
    const scrape = async () => samples(await (await fetch(server.url)).text());
    const seen: Map<string, number>[] = [];
    let scraping: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      scraping = scraping.then(async () => void seen.push(await scrape()));
    }, 400);
    const { report } = await runLatency({
      uri: target.uri, db, coll: 'stocksymbols', rate: 200, durationMs: 2_500, warmupMs: 300,
      listeners: 1, writers: 1, fullDocument: false, drainMs: 5_000, metrics,
    });
    clearInterval(timer);
    await scraping;
    const events = seen.map((s) => s.get('ticker_change_events_received_total') ?? 0);
    assert.ok(events.length >= 4, `scrapes ${events.length}`);
    assert.ok(events.some((e, i) => i > 0 && e > events[i - 1]! && events[i - 1]! > 0), `events never grew: ${events}`);
    for (let i = 1; i < events.length; i++) assert.ok(events[i]! >= events[i - 1]!, 'a counter went down');

    const last = await scrape();
    assert.equal(last.get('ticker_change_events_received_total'), report.histograms.endToEnd!.summary.count);
    assert.equal(last.get('ticker_end_to_end_latency_seconds_count'), report.histograms.endToEnd!.summary.count);
    assert.equal(last.get('ticker_writes_sent_total'), report.rate.writes);
    assert.equal(last.get('ticker_writes_failed_total'), report.rate.writeErrors);
    assert.equal(last.get('ticker_end_to_end_latency_seconds{quantile="0.99"}'), report.histograms.endToEnd!.summary.p99 / 1e6);
    assert.ok(last.has('ticker_send_lag_seconds') && last.has('ticker_stagger_seconds'));
    // the oplog window: a replica set member says when its oldest entry is
    if (target.embedded || !(await isMongos(client))) assert.ok((last.get('ticker_oplog_window_seconds') ?? -1) >= 0, 'no oplog window');

    const open = await fetch(server.url, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    assert.match(open.headers.get('content-type') ?? '', /application\/openmetrics-text/);
    assert.match(await open.text(), /\n# EOF\n$/);
  });

  it('the oplog window reads from what mongod has: serverStatus { oplog: 1 } earliestOptime, and the token\'s cluster time', async (t) => {
    if (await isMongos(client)) return t.skip('a mongos has no oplog of its own');
    const plain = await client.db('admin').command({ serverStatus: 1 });
    assert.equal(plain.oplog, undefined, 'the oplog section is opt-in, as on mongod');
    const earliest = await earliestOplogSeconds(client);
    assert.ok(earliest !== undefined && earliest <= Date.now() / 1000 + 1);
    const stream = client.db(db).collection('stocksymbols').watch();
    try {
      await stream.tryNext();
      const seconds = resumeTokenSeconds(stream.resumeToken);
      assert.ok(seconds !== undefined && seconds >= earliest!, `token ${seconds} vs earliest ${earliest}`);
    } finally {
      await stream.close();
    }
  });
});

async function isMongos(client: MongoClient): Promise<boolean> {
  return (await client.db('admin').command({ hello: 1 })).msg === 'isdbgrid';
}

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { MongoClient } from 'mongodb';
import { openClient } from '../../src/connect/client.js';
import { bulkDocs, bulkLayout, familiarDocs, seededRandom, type StockDoc } from '../../src/load/dataset.js';
import { runLatency, type LatencyRunOptions } from '../../src/measure/latency-run.js';
import type { LatencyReport } from '../../src/report/model.js';
import { writeReport } from '../../src/report/write.js';
import { getTarget, requireEmbedded, uniqueDbName, type TestTarget } from '../helpers/target.js';

describe('bench latency (integration)', () => {
  let target: TestTarget;
  let client: MongoClient;
  let dir: string;
  const db = uniqueDbName('ticker_latency');
  const reports: { report: LatencyReport; json: string }[] = [];
  const base = (): LatencyRunOptions => ({
    uri: target.uri, db, coll: 'stocksymbols', rate: 100, durationMs: 3_000, warmupMs: 500,
    listeners: 2, writers: 1, fullDocument: false, drainMs: 5_000,
  });

  before(async () => {
    target = await getTarget();
    client = await openClient(target.uri);
    dir = await mkdtemp(join(tmpdir(), 'ticker-latency-'));
    // A small data set keeps the test quick; the harness loads the full one only when the collection is empty.
    const layout = bulkLayout(2_000);
    const random = seededRandom(3);
    await client.db(db).collection<StockDoc>('stocksymbols').insertMany([...bulkDocs(layout, 0, layout.count, random), ...familiarDocs(random)]);
  });
  after(async () => {
    await client?.db(db).dropDatabase().catch(() => undefined);
    await client?.close();
    await target?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a short run writes every report file, with counts that match the writes made', async () => {
    const { report, errors } = await runLatency(base());
    assert.deepEqual(errors, []);
    const files = await writeReport(report, dir, 'short');
    for (const file of Object.values(files)) assert.ok(existsSync(file), file);
    const saved = JSON.parse(await readFile(files.json, 'utf8')) as LatencyReport;
    reports.push({ report: saved, json: files.json });

    const acknowledged = report.rate.writes - report.rate.writeErrors;
    // 100/s for 3 s; a writer that fell behind on a loaded machine ends on time with fewer, never more.
    if (report.rate.maxBehindMs < 100) assert.ok(Math.abs(report.rate.writes - 300) <= 5, `writes ${report.rate.writes}`);
    else assert.ok(report.rate.writes > 0 && report.rate.writes <= 305, `writes ${report.rate.writes}, ${report.rate.maxBehindMs} ms behind`);
    assert.equal(report.audit.expected, 2 * acknowledged);
    assert.equal(report.audit.received, report.audit.expected);
    assert.equal(report.audit.lost, 0);
    assert.equal(report.audit.duplicated, 0);
    assert.equal(report.ok, true);
    assert.deepEqual(report.audit.perListener?.map((l) => l.expected), [acknowledged, acknowledged]);

    // deletes carry no tick: every other event has a latency, for both listeners
    const e2e = report.histograms.endToEnd!.summary;
    const deletes = report.rate.writes / 4;
    assert.ok(Math.abs(e2e.count - 2 * (acknowledged - deletes)) <= 4, `endToEnd count ${e2e.count}`);
    assert.equal(report.histograms.uncorrected!.summary.count, e2e.count);
    assert.equal(report.histograms.commitToReceipt!.summary.count, e2e.count);
    assert.ok(report.histograms.writeAck!.summary.count >= acknowledged - 1);
    assert.equal(report.timeline.reduce((a, b) => a + b.events, 0), e2e.count);
    assert.equal(report.perListener?.length, 2);
    assert.ok(!report.target.uri.includes('@') || report.target.uri.includes('****'));
    assert.ok(report.rate.achieved > 90 && report.rate.achieved < 110, `achieved ${report.rate.achieved}`);
  });

  it('whether the writer shares the listeners\' thread or has its own, every write is received once', async () => {
    for (const shareThread of [true, false]) {
      const { report, errors } = await runLatency({ ...base(), listeners: 1, durationMs: 1_500, shareThread });
      assert.deepEqual(errors, [], `shareThread ${shareThread}`);
      const acknowledged = report.rate.writes - report.rate.writeErrors;
      assert.ok(acknowledged > 100, `shareThread ${shareThread}: ${acknowledged} writes`);
      assert.equal(report.audit.expected, acknowledged, `shareThread ${shareThread}`);
      assert.equal(report.audit.received, acknowledged, `shareThread ${shareThread}`);
      assert.equal(report.audit.lost + report.audit.duplicated, 0, `shareThread ${shareThread}`);
      assert.equal((report.target.notes ?? []).some((n) => n.includes('share one thread')), shareThread);
    }
  });

  it('many listeners, watching only the fields they measure, time and audit every event as whole events do', async () => {
    // 12 listeners over two writers: from 10 on the streams carry the projected event (tick lifted out)
    const { report, errors } = await runLatency({ ...base(), listeners: 12, writers: 2, durationMs: 1_500 });
    assert.deepEqual(errors, []);
    const acknowledged = report.rate.writes - report.rate.writeErrors;
    assert.ok(acknowledged > 100, `${acknowledged} writes`);
    assert.equal(report.audit.expected, 12 * acknowledged);
    assert.equal(report.audit.received, report.audit.expected);
    assert.equal(report.audit.lost + report.audit.duplicated, 0);
    const e2e = report.histograms.endToEnd!.summary;
    assert.ok(Math.abs(e2e.count - 12 * (acknowledged - report.rate.writes / 4)) <= 12 * 4, `endToEnd count ${e2e.count}`);
    for (const name of ['uncorrected', 'commitToReceipt', 'serverSide'] as const) assert.equal(report.histograms[name]!.summary.count, e2e.count, name);
  });

  it('a blocked getMore shows in the latency maximum and as a stagger; nothing is lost', async (t) => {
    if (!requireEmbedded(t)) return;
    let armed: Promise<unknown> | undefined;
    const { report } = await runLatency({
      ...base(),
      listeners: 1,
      durationMs: 4_000,
      onMeasuring: () => {
        armed = new Promise((resolve) => setTimeout(resolve, 1_000)).then(() =>
          client.db('admin').command({
            configureFailPoint: 'failCommand',
            mode: { times: 1 },
            data: { failCommands: ['getMore'], blockConnection: true, blockTimeMS: 1_500 },
          }),
        );
      },
    });
    await armed;
    const files = await writeReport(report, dir, 'blocked');
    reports.push({ report, json: files.json });
    assert.ok(report.histograms.endToEnd!.summary.max >= 1_300_000, `max ${report.histograms.endToEnd!.summary.max} µs`);
    assert.ok(report.staggers.count >= 1, 'a stagger');
    const worst = report.staggers.worst[0]!;
    assert.ok(worst.gapMs >= 1_200 && worst.gapMs < 3_000, `gap ${worst.gapMs} ms`);
    assert.ok(worst.burst >= 50, `burst ${worst.burst}`);
    assert.ok(worst.startMs >= 500 && worst.startMs < 2_500, `at ${worst.startMs} ms`);
    assert.equal(report.audit.lost, 0);
    assert.equal(report.audit.duplicated, 0);
    assert.equal(report.ok, true);
  });

  it('an abort ends the measurement early and still makes a complete report', async () => {
    const abort = new AbortController();
    const { report, interrupted } = await runLatency({
      ...base(), listeners: 1, durationMs: 20_000, signal: abort.signal,
      onMeasuring: () => setTimeout(() => abort.abort(), 1_000),
    });
    assert.equal(interrupted, true);
    assert.ok(report.durationMs < 5_000, `${report.durationMs} ms`);
    assert.ok(report.rate.writes > 50);
    assert.equal(report.audit.lost, 0);
    assert.equal(report.audit.expected, report.rate.writes - report.rate.writeErrors);
  });

  it('ticker report merge adds the two reports’ counts', async () => {
    assert.equal(reports.length, 2);
    const outDir = join(dir, 'merged');
    // The real CLI, in a process of its own (the embedded server of this test shares this process).
    // The two runs differ in configuration (one has a blocked listener), which merge refuses without --force.
    const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'run.js');
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'report', 'merge', reports[0]!.json, reports[1]!.json, '--out-dir', outDir, '--json', '--force']);
    const merged = (JSON.parse(stdout) as { report: LatencyReport }).report;
    const [a, b] = reports.map((r) => r.report);
    assert.equal(merged.audit.expected, a!.audit.expected + b!.audit.expected);
    assert.equal(merged.rate.writes, a!.rate.writes + b!.rate.writes);
    assert.equal(merged.histograms.endToEnd!.summary.count, a!.histograms.endToEnd!.summary.count + b!.histograms.endToEnd!.summary.count);
    assert.equal(merged.histograms.endToEnd!.summary.max, Math.max(a!.histograms.endToEnd!.summary.max, b!.histograms.endToEnd!.summary.max));
  });
});

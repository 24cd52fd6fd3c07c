import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { addEncoded, summarizeEncoded } from '../../src/measure/histograms.js';
import { parseHlog } from '../../src/report/hlog.js';
import { assertRefused, runTicker } from '../helpers/cli.js';
import { getTarget, uniqueDbName, type TestTarget } from '../helpers/target.js';

describe('ticker bench latency --threshold, and its interval log', () => {
  let target: TestTarget;
  let scratch: string;
  const db = uniqueDbName('thresholds');
  const run = (dir: string, ...thresholds: string[]) =>
    runTicker([
      'bench', 'latency', '--uri', target.uri, '--db', db, '--rate', '50', '--duration', '1s', '--warmup', '200ms',
      '--report-dir', dir, ...thresholds.flatMap((t) => ['--threshold', t]),
    ]);

  before(async () => {
    target = await getTarget();
    scratch = await mkdtemp(join(tmpdir(), 'ticker-thresholds-'));
  });
  after(async () => {
    const client = await new MongoClient(target.uri).connect();
    await client.db(db).dropDatabase();
    await client.close();
    await target.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  it('a threshold that must fail exits 99 after the report is written, naming the breach in one line', async () => {
    const dir = join(scratch, 'fail');
    const result = await run(dir, 'endToEnd.p50<1us', 'lost==0');
    assert.equal(result.code, 99, result.stderr);
    assert.deepEqual(
      result.stderr.trim().split('\n').filter((l) => l.startsWith('threshold')),
      [result.stderr.trim().split('\n').find((l) => l.startsWith('threshold breached: endToEnd.p50<1us (measured '))],
    );
    assert.match(result.stdout, /endToEnd\.p50<1us .* FAIL/);
    const json = (await readdir(dir)).find((f) => f.endsWith('.json'))!;
    const report = JSON.parse(await readFile(join(dir, json), 'utf8'));
    assert.deepEqual(report.thresholds.map((t: { expression: string; pass: boolean }) => [t.expression, t.pass]), [['endToEnd.p50<1us', false], ['lost==0', true]]);
    assert.equal(report.thresholds[0].measured, report.histograms.endToEnd.summary.p50);
    const html = await readFile(join(dir, json.replace(/\.json$/, '.html')), 'utf8');
    assert.match(html, /class="verdict failed">FAILED: 1 threshold breached/);
  });

  it('thresholds that hold exit 0', async () => {
    const result = await run(join(scratch, 'pass'), 'endToEnd.p99<1h', 'lost==0', 'duplicated==0');
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /breached/);
  });

  it('the run wrote an .hlog whose intervals add up to the report\'s counts, and report slice cuts it', async () => {
    const dir = join(scratch, 'pass');
    const stem = join(dir, (await readdir(dir)).find((f) => f.endsWith('.json'))!.replace(/\.json$/, ''));
    const report = JSON.parse(await readFile(`${stem}.json`, 'utf8'));
    const log = parseHlog(await readFile(`${stem}.hlog`, 'utf8'));
    for (const [name, h] of Object.entries(report.histograms) as [string, { summary: { count: number; p99: number } }][]) {
      const sum = summarizeEncoded(addEncoded(log.intervals.filter((i) => i.tag === name).map((i) => i.encoded)));
      assert.equal(sum.count, h.summary.count, name);
      assert.equal(sum.p99, h.summary.p99, name);
    }
    assert.ok(report.histograms.endToEnd.summary.count > 0);
    assert.equal(log.startTime, Date.parse(report.startedAt));

    const sliced = await runTicker(['report', 'slice', `${stem}.hlog`, '--from', '0s', '--to', '1s', '--json']);
    assert.equal(sliced.code, 0, sliced.stderr);
    const slice = JSON.parse(sliced.stdout).report;
    const firstSecond = log.intervals.filter((i) => i.tag === 'endToEnd' && i.second === 0);
    assert.equal(slice.histograms.endToEnd.summary.count, summarizeEncoded(firstSecond[0]!.encoded).count);
    assert.equal(slice.durationMs, 1000);
    assert.match(slice.target.notes.at(-1), /a slice of .*: seconds 0ms–1s/);
  });

  it('a threshold that names nothing is refused before the run, in one line', async () => {
    const started = Date.now();
    const result = await runTicker(['bench', 'latency', '--uri', target.uri, '--db', db, '--duration', '2m', '--threshold', 'endToEnd.p99<50']);
    assertRefused(result, /^Error: --threshold: "endToEnd\.p99<50": "50" needs a unit/);
    assert.ok(Date.now() - started < 30_000);
  });
});

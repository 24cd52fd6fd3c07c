import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { addEncoded, summarizeEncoded } from '../../src/measure/histograms.js';
import { parseHlog } from '../../src/report/hlog.js';
import { parseReport } from '../../src/report/model.js';
import { assertRefused, runTicker } from '../helpers/cli.js';
import { getTarget, uniqueDbName, type TestTarget } from '../helpers/target.js';

interface Row { value: number; requestedRate: number; listeners: number; events: number; lost: number; pass: boolean; offsetMs: number; durationMs: number; histograms: Record<string, { encoded: string; summary: { count: number } }>; thresholds: { expression: string; pass: boolean }[] }

describe('ticker bench latency --rates / --listeners a,b,c (steps)', () => {
  let target: TestTarget;
  let scratch: string;
  const db = uniqueDbName('steps');
  const run = (dir: string, ...args: string[]) =>
    runTicker(['bench', 'latency', '--uri', target.uri, '--db', db, '--step', '1s', '--warmup', '200ms', '--report-dir', dir, ...args]);
  const files = async (dir: string) => {
    const stem = join(dir, (await readdir(dir)).find((f) => f.endsWith('.json'))!.replace(/\.json$/, ''));
    return { stem, report: JSON.parse(await readFile(`${stem}.json`, 'utf8')) };
  };

  before(async () => {
    target = await getTarget();
    scratch = await mkdtemp(join(tmpdir(), 'ticker-steps-'));
  });
  after(async () => {
    const client = await new MongoClient(target.uri).connect();
    await client.db(db).dropDatabase();
    await client.close();
    await target.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  it('--rates runs a measured step per rate into one report, judges thresholds per step and exits 99 on the step that breaches', async () => {
    const dir = join(scratch, 'rates');
    // ~10 writes in the first 1 s step, ~60 in the second: only the second breaches
    const result = await run(dir, '--rates', '10,60', '--threshold', 'rate.writes<35', '--threshold', 'lost==0');
    assert.equal(result.code, 99, result.stderr);
    const breached = result.stderr.split('\n').filter((l) => l.startsWith('threshold breached'));
    assert.equal(breached.length, 1, result.stderr);
    assert.match(breached[0]!, /^threshold breached: 60\.0 writes\/s: rate\.writes<35 \(measured \d+\)$/);
    assert.match(result.stderr, /step 1 of 2: 10\.0 writes\/s\nstep 2 of 2: 60\.0 writes\/s/);

    const { stem, report } = await files(dir);
    parseReport(report, 'the stepped report'); // the schema reads it
    const rows: Row[] = report.steps.rows;
    assert.equal(report.steps.variable, 'rate');
    assert.deepEqual(report.steps.values, [10, 60]);
    assert.deepEqual(rows.map((r) => [r.value, r.requestedRate, r.pass]), [[10, 10, true], [60, 60, false]]);
    assert.ok(rows[1]!.offsetMs >= rows[0]!.durationMs, 'the second step starts after the first one ends');
    // per-step thresholds, named by step, in the report and its rows
    assert.deepEqual(report.thresholds.map((t: { step: { value: number }; expression: string; pass: boolean }) => [t.step.value, t.expression, t.pass]),
      [[10, 'rate.writes<35', true], [10, 'lost==0', true], [60, 'rate.writes<35', false], [60, 'lost==0', true]]);
    // the top level adds the steps: the audit and the histograms
    assert.deepEqual([...new Set(report.audit.perListener.map((l: { listener: string }) => l.listener.split('/')[0]))], ['rate=10', 'rate=60']);
    assert.equal(report.audit.lost, 0);
    assert.equal(report.histograms.endToEnd.summary.count, rows.reduce((a, r) => a + r.events, 0));
    assert.ok(rows.every((r) => r.histograms.endToEnd!.summary.count === r.events && r.events > 0));

    // the .hlog tags each step, and each step's tags add up to its row
    const log = parseHlog(await readFile(`${stem}.hlog`, 'utf8'));
    for (const r of rows) {
      const tag = `rate=${r.value}/endToEnd`;
      assert.ok(log.tags.includes(tag), tag);
      assert.equal(summarizeEncoded(addEncoded(log.intervals.filter((i) => i.tag === tag).map((i) => i.encoded))).count, r.events, tag);
      const first = Math.min(...log.intervals.filter((i) => i.tag === tag).map((i) => i.second));
      assert.equal(first, Math.round(r.offsetMs / 1000), `${tag} starts at its step's time`);
    }

    // Markdown and HTML: the steps table, the per-step plots, thresholds per step
    const md = await readFile(`${stem}.md`, 'utf8');
    assert.match(md, /## Steps \(rate, in the order run\)/);
    assert.match(md, /\| 60\.0 \| .* \| FAIL \(rate\.writes<35\) \|/);
    assert.match(md, /judged on each step on its own/);
    const html = await readFile(`${stem}.html`, 'utf8');
    assert.match(html, /FAILED: 1 threshold breached \(on 60\.0 writes\/s\)/);
    assert.match(html, /tickerChart\(\{"id":"steps"/);
    assert.match(html, /tickerChart\(\{"id":"step-distribution"/);
    assert.match(html, /"marks":\[\{"x":0,"label":"10\.0 writes\/s"\}/);
  });

  it('--listeners 1,2 steps through listener counts at one rate', async () => {
    const dir = join(scratch, 'listeners');
    const result = await run(dir, '--rate', '20', '--listeners', '1,2', '--json');
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.deepEqual(summary.steps.map((r: Row) => [r.value, r.listeners, r.requestedRate, r.lost]), [[1, 1, 20, 0], [2, 2, 20, 0]]);
    const { report } = await files(dir);
    assert.equal(report.steps.variable, 'listeners');
    assert.ok(report.audit.perListener.some((l: { listener: string }) => l.listener.startsWith('listeners=2/')));
  });

  it('refuses bad lists before anything runs, in one line', async () => {
    const cases: [string[], RegExp][] = [
      [['--rates', '100,100'], /^Error: --rates: 100 is given twice in "100,100"/],
      [['--rates', '100,,200'], /^Error: --rates: expected values separated by commas/],
      [['--rates', '100,fast'], /^Error: --rates: expected a rate .* got "fast" \(in "100,fast"\)/],
      [['--rates', Array.from({ length: 51 }, (_, i) => i + 1).join(',')], /^Error: --rates: got 51 values; at most 50/],
      [['--rates', '100,200', '--listeners', '1,2'], /^Error: --rates and a list of --listeners: step through one of them/],
      [['--rates', '100,200000'], /^Error: --rates: got 200000; at most 100,000 ops\/s with 1 writer/],
      [['--listeners', '1,0'], /^Error: --listeners: expected a whole number above zero, got "0"/],
    ];
    // in parallel: each is a CLI start and a parse, nothing runs
    const results = await Promise.all([
      ...cases.map(([args]) => run(scratch, ...args)),
      runTicker(['bench', 'latency', '--uri', target.uri, '--step', '1s']),
    ]);
    cases.forEach(([, pattern], i) => assertRefused(results[i]!, pattern));
    assertRefused(results.at(-1)!, /^Error: --step is the measured time of each step/);
  });
});

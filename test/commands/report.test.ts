import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseReport } from '../../src/report/model.js';
import { makeReport, values } from '../unit/latency-report-fixture.js';

// dist/test/commands → the repository root, where bin/run.js lives
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const run = promisify(execFile);

async function ticker(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(repo, 'bin', 'run.js'), ...args], {
      cwd: repo,
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ticker-report-cmd-'));
  await writeFile(join(dir, 'a.json'), JSON.stringify(makeReport({ endToEnd: values(30) })));
  await writeFile(join(dir, 'b.json'), JSON.stringify(makeReport({ endToEnd: values(20, 1000, 7000), gapsMs: [300] })));
  await writeFile(join(dir, 'slow.json'), JSON.stringify(makeReport({ endToEnd: values(30, 3000) })));
  await writeFile(join(dir, 'not-a-report.json'), JSON.stringify({ hello: 'world' }));
  const sharded = makeReport({ endToEnd: values(10) });
  sharded.target = { ...sharded.target, topology: 'sharded', shards: 2 };
  await writeFile(join(dir, 'sharded.json'), JSON.stringify(sharded));
  const edited = makeReport({ endToEnd: values(10) });
  edited.audit.lost = -5;
  await writeFile(join(dir, 'edited.json'), JSON.stringify(edited));
  const later = makeReport({ endToEnd: values(10), startedAt: '2025-02-01T09:00:00.000Z' });
  later.config = { ...later.config, rate: 2000, listeners: 10 };
  await writeFile(join(dir, 'later.json'), JSON.stringify(later));
});
after(() => rm(dir, { recursive: true, force: true }));

test('report merge adds the reports and writes the merged files', async () => {
  const out = join(dir, 'merged');
  const { code, stdout, stderr } = await ticker('report', 'merge', join(dir, 'a.json'), join(dir, 'b.json'), '--out-dir', out);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /│ endToEnd\s+│.*│\s+50 │/);
  const files = await readdir(out);
  assert.equal(files.length, 4);
  const json = files.find((f) => f.endsWith('.json'))!;
  const merged = parseReport(JSON.parse(await readFile(join(out, json), 'utf8')), json);
  assert.equal(merged.histograms.endToEnd!.summary.count, 50);
  assert.equal(merged.audit.received, 50);
  assert.equal(merged.staggers.count, 1);
});

test('report merge --json returns the merged report as plain data', async () => {
  const { code, stdout } = await ticker('report', 'merge', join(dir, 'a.json'), join(dir, 'b.json'), '--out-dir', join(dir, 'j'), '--json');
  assert.equal(code, 0);
  const result = JSON.parse(stdout) as { files: { json: string }; report: { rate: { writes: number } } };
  assert.equal(result.report.rate.writes, 50);
  assert.match(result.files.json, /latency-merged-.*\.json$/);
});

test('report compare prints base against new', async () => {
  const { code, stdout } = await ticker('report', 'compare', join(dir, 'a.json'), join(dir, 'b.json'), '--json');
  assert.equal(code, 0);
  const { rows } = JSON.parse(stdout) as { rows: Array<{ histogram: string; percentile: string }> };
  assert.ok(rows.some((r) => r.histogram === 'endToEnd' && r.percentile === 'p99'));
});

test('report compare judges each figure, prints the rule, writes the page, and --fail-on-regression exits 99', async () => {
  const page = join(dir, 'cmp', 'page.html');
  const gated = await ticker('report', 'compare', join(dir, 'a.json'), join(dir, 'slow.json'), '--fail-on-regression', '--html', page);
  assert.equal(gated.code, 99, gated.stderr);
  assert.match(gated.stdout, /│ endToEnd\.p50 .*│ worse \(\+\d+% and the intervals are apart\)/);
  assert.match(gated.stdout, /\nverdict: \d+ worse, 0 better, \d+ within noise\nrule: A figure is worse .* 95% intervals/);
  assert.match(gated.stderr, /^regression: endToEnd\.p50 \+\d+% and the intervals are apart$/m);
  const html = await readFile(page, 'utf8');
  assert.match(html, /<title>ticker compare: /);
  assert.match(html, /tickerChart\(\{"id":"distribution"/);

  const same = await ticker('report', 'compare', join(dir, 'a.json'), join(dir, 'a.json'), '--fail-on-regression', '--html', page);
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /verdict: 0 worse, 0 better/);
  // without the flag a regression is reported, not an exit code; the page goes beside the new report
  const plain = await ticker('report', 'compare', join(dir, 'a.json'), join(dir, 'slow.json'));
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, new RegExp(`page: ${join(dir, 'compare-a-vs-slow.html').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  await readFile(join(dir, 'compare-a-vs-slow.html'), 'utf8');

  const bad = await ticker('report', 'compare', join(dir, 'a.json'), join(dir, 'slow.json'), '--margin', 'lots');
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'Error: --margin: got "lots"; a percent from 0 to 1000 (percent: a figure ten times worse is a regression under any margin)\n');
});

test('a file that is not a report fails with one stderr line and no stack trace', async () => {
  const bad = join(dir, 'not-a-report.json');
  for (const args of [
    ['report', 'merge', join(dir, 'a.json'), bad, '--out-dir', join(dir, 'never')],
    ['report', 'compare', bad, join(dir, 'a.json')],
  ]) {
    const { code, stderr } = await ticker(...args);
    assert.notEqual(code, 0);
    assert.equal(stderr, `Error: ${bad} is not a ticker latency report (format is missing)\n`);
  }
  const missing = await ticker('report', 'compare', join(dir, 'a.json'), join(dir, 'nope.json'));
  assert.notEqual(missing.code, 0);
  assert.equal(missing.stderr, `Error: cannot read ${join(dir, 'nope.json')}: no such file\n`);
});

test('report merge refuses what is not parts of one run, naming why, unless --force', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['a.json', 'sharded.json'], /^Error: \S+sharded\.json and \S+a\.json are not parts of one run: topology replicaSet in \S+a\.json, sharded in \S+sharded\.json \(--force merges them anyway\)\n$/],
    [['a.json', 'a.json'], /^Error: \S+a\.json is the same part as \S+a\.json: each part of a run counts once \(--force merges them anyway\)\n$/],
    [['a.json', 'later.json'], /^Error: .* are not parts of one run: they ran at different times/],
  ];
  const runs = await Promise.all(cases.map(([files]) => ticker('report', 'merge', ...files.map((f) => join(dir, f)), '--out-dir', join(dir, 'refused'))));
  for (const [i, [, pattern]] of cases.entries()) {
    assert.equal(runs[i]!.code, 1, runs[i]!.stderr);
    assert.match(runs[i]!.stderr, pattern);
  }
  await assert.rejects(readdir(join(dir, 'refused')), 'nothing written');
  const forced = await ticker('report', 'merge', join(dir, 'a.json'), join(dir, 'a.json'), '--force', '--out-dir', join(dir, 'forced'));
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stderr, /^merging anyway \(--force\): \S+ is the same part as /);
});

test('an edited report is refused with one line naming the bad field', async () => {
  const runs = await Promise.all([
    ticker('report', 'merge', join(dir, 'a.json'), join(dir, 'edited.json'), '--out-dir', join(dir, 'never')),
    ticker('report', 'compare', join(dir, 'edited.json'), join(dir, 'a.json')),
  ]);
  for (const r of runs) {
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `Error: ${join(dir, 'edited.json')} is not a valid ticker latency report: audit.lost: expected a number of 0 or more\n`);
  }
});

test('report compare names the settings that differ before the figures', async () => {
  const [text, json] = await Promise.all([
    ticker('report', 'compare', join(dir, 'a.json'), join(dir, 'later.json')),
    ticker('report', 'compare', join(dir, 'a.json'), join(dir, 'later.json'), '--json'),
  ]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^the runs differ in: rate 10 → 2000; duration 3000 → 1000; listeners 1 → 10\n\n/);
  assert.deepEqual(JSON.parse(json.stdout).differences, ['rate 10 → 2000', 'duration 3000 → 1000', 'listeners 1 → 10']);
  const same = await ticker('report', 'compare', join(dir, 'a.json'), join(dir, 'a.json'));
  assert.doesNotMatch(same.stdout, /the runs differ in/);
});

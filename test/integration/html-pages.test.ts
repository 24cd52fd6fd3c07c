/**
 * The HTML pages people read (report, stepped report, compare, capacity) open in headless Chromium with
 * no console error, every chart drawn with data, values on hover and zoom on a drag: scripts/check-pages.ts,
 * run as a user runs it. Skipped, with the reason, where no Chromium is installed (CI's fresh machine).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { chartHead, chartHtml } from '../../src/report/charts.js';
import { findChromium } from '../../scripts/check-pages.js';
import { REPO_ROOT, runTicker, type CliResult } from '../helpers/cli.js';
import { getTarget, uniqueDbName, type TestTarget } from '../helpers/target.js';

const CHROMIUM = findChromium();
const SKIP = CHROMIUM ? false : 'no Chromium (set CHROMIUM, or apt-get install chromium)';

function checkPages(pages: string[], outDir: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/scripts/check-pages.js', ...pages, '--out-dir', outDir], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the HTML pages in headless Chromium (scripts/check-pages.ts)', { skip: SKIP }, () => {
  let target: TestTarget;
  let scratch: string;
  const dbs = [uniqueDbName('pages'), uniqueDbName('pages'), uniqueDbName('pages')];

  before(async () => {
    target = await getTarget();
    scratch = await mkdtemp(join(tmpdir(), 'ticker-pages-'));
  });
  after(async () => {
    const client = await new MongoClient(target.uri).connect();
    for (const db of dbs) await client.db(db).dropDatabase();
    await client.close();
    await target.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  it('report, stepped report, compare and capacity pages: no console error, every chart drawn with data, hover and zoom', async () => {
    const common = ['--uri', target.uri, '--warmup', '200ms', '--stagger-threshold', '50ms'];
    const runs = await Promise.all([
      runTicker(['bench', 'latency', ...common, '--db', dbs[0]!, '--rate', '40', '--duration', '2s', '--threshold', 'endToEnd.p99<2s', '--report-dir', join(scratch, 'plain')]),
      runTicker(['bench', 'latency', ...common, '--db', dbs[1]!, '--rates', '20,40', '--step', '1s', '--threshold', 'endToEnd.p99<2s', '--report-dir', join(scratch, 'steps')]),
      runTicker(['bench', 'capacity', ...common, '--db', dbs[2]!, '--slo', 'endToEnd.p99<2s', '--start', '20', '--max', '40', '--step', '1s', '--max-steps', '2', '--report-dir', join(scratch, 'capacity')]),
    ]);
    for (const r of runs) assert.ok(r.code === 0 || r.code === 99, r.stderr);
    const html = async (dir: string, prefix = '') => join(scratch, dir, (await readdir(join(scratch, dir))).find((f) => f.startsWith(prefix) && f.endsWith('.html'))!);
    const json = async (dir: string) => (await html(dir)).replace(/\.html$/, '.json');
    const compared = await runTicker(['report', 'compare', await json('plain'), await json('steps'), '--html', join(scratch, 'compare.html')]);
    assert.equal(compared.code, 0, compared.stderr);

    const pages = [await html('plain'), await html('steps'), join(scratch, 'compare.html'), await html('capacity')];
    const shots = join(scratch, 'shots');
    const checked = await checkPages(pages, shots);
    assert.equal(checked.code, 0, checked.stderr);
    assert.equal(checked.stderr, '');
    const charts = checked.stdout.trim().split('\n').map((line) => [...line.matchAll(/([\w-]+) \d+ points/g)].map((m) => m[1]));
    assert.deepEqual(charts, [
      ['distribution', 'timeline', 'rate', 'lag'],
      ['steps', 'step-distribution', 'distribution', 'timeline', 'rate', 'lag'],
      ['distribution', 'timeline', 'rate', 'lag'],
      ['steps'],
    ]);
    const pngs = (await readdir(shots)).filter((f) => f.endsWith('.png'));
    assert.equal(pngs.length, 4);
    for (const png of pngs) assert.ok((await stat(join(shots, png))).size > 20_000, `${png} is a rendered page, not a blank one`);
  });

  it('fails, naming why, on a console error and on an empty chart', async () => {
    const page = join(scratch, 'broken.html');
    const empty = chartHtml({ id: 'empty', title: 'Nothing here', xLabel: 'x', yLabel: 'y', data: [[0, 1], [null, null]], series: [{ label: 'none', colour: '#000' }] });
    await writeFile(page, `<!doctype html><html><head>${chartHead()}</head><body>${empty}<script>console.error('boom')</script></body></html>`);
    const checked = await checkPages([page], join(scratch, 'broken-shots'));
    assert.equal(checked.code, 1);
    assert.match(checked.stderr, /broken\.html: console error: boom/);
    assert.match(checked.stderr, /broken\.html: chart "Nothing here" is empty: no data point/);
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { bulkDocs, familiarDocs, layoutFor, seededRandom } from '../../src/load/dataset.js';
import { getTarget, uniqueDbName, type TestTarget } from '../helpers/target.js';
import { runTicker as ticker, assertOneErrorLine as oneErrorLine, REPO_ROOT } from '../helpers/cli.js';

const ROOT = REPO_ROOT;

describe('ticker mutate', () => {
  let target: TestTarget;
  let client: MongoClient;
  const db = uniqueDbName('mutatecmd');
  before(async () => {
    target = await getTarget();
    client = await new MongoClient(target.uri).connect();
    await client.db(db).collection<{ _id: string; price: number }>('stocksymbols').insertMany([...bulkDocs(layoutFor(400), 0, 400, seededRandom(1)), ...familiarDocs(seededRandom(2))]);
  });
  after(async () => {
    await client.db(db).dropDatabase();
    await client.close();
    await target.stop();
  });

  it('makes the expected number of each kind at a rate for a duration (within one)', async () => {
    const run = await ticker(['mutate', '--uri', target.uri, '--db', db, '--rate', '40', '--duration', '2s', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    for (const kind of ['familiar', 'a-update', 'z-delete', 'z-insert']) {
      assert.ok(Math.abs(summary.opsByKind[kind] - 20) <= 1, `${kind}: ${summary.opsByKind[kind]}`);
      assert.equal(summary.errorsByKind[kind], 0);
    }
    assert.ok(Math.abs(summary.achievedRate - 40) < 1, String(summary.achievedRate));
    assert.equal(summary.interrupted, false);
    assert.equal(await client.db(db).collection('stocksymbols').countDocuments(), 413);
  });

  it('--mix changes the kinds; the text summary lists them', async () => {
    const run = await ticker(['mutate', '--uri', target.uri, '--db', db, '--rate', '30', '--duration', '1s', '--mix', 'familiar:2,a-update']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^done: 30 operations in 1\.0 s, [\d.]+ ops\/s achieved of 30 requested \(mix familiar:2,a-update\)/);
    assert.match(run.stdout, /\n {2}familiar +20\n {2}a-update +10\n/);
    assert.doesNotMatch(run.stdout, /z-delete/);
  });

  it('Ctrl-C prints the summary and exits 130', async () => {
    const child = spawn(process.execPath, ['bin/run.js', 'mutate', '--uri', target.uri, '--db', db, '--rate', '50'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/Ctrl-C to stop/.test(stderr)) setTimeout(() => child.kill('SIGINT'), 700);
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 130, stderr);
    assert.match(stdout, /^stopped: \d+ operations/);
    assert.match(stdout, /familiar +\d+/);
  });

  for (const [args, pattern] of [
    [['--rate', '-3'], /^Error: --rate: .*/],
    [['--rate', '0'], /^Error: --rate: expected a rate in operations per second above zero, got "0" \(see --help\)$/],
    [['--duration', '10'], /^Error: --duration: duration "10" has no unit/],
    [['--mix', 'familiar,z-delete'], /^Error: --mix: z-delete and z-insert go together/],
    [['--duration'], /^Error: Flag --duration expects a value \(see --help\)$/],
  ] as const) {
    it(`bad input ${args.join(' ')} → one line, exit 2`, async () => {
      const run = await ticker(['mutate', '--uri', target.uri, '--db', db, ...args]);
      assert.equal(run.code, 2, run.stderr);
      oneErrorLine(run.stderr, pattern);
    });
  }

  it('refuses an empty collection, saying to run ticker load', async () => {
    const run = await ticker(['mutate', '--uri', target.uri, '--db', uniqueDbName('empty'), '--duration', '1s']);
    assert.equal(run.code, 1);
    oneErrorLine(run.stderr, /^Error: \S+\.stocksymbols is empty: run `(ticker|\.\/bin\/run\.js) load` first$/);
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { familiarDocs, seededRandom } from '../../src/load/dataset.js';
import { checkDisplayInTmux, tmuxAvailable } from '../../scripts/display-tmux-check.js';
import { getTarget, uniqueDbName, type TestTarget } from '../helpers/target.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('ticker display', () => {
  let target: TestTarget;
  let client: MongoClient;
  const db = uniqueDbName('displaycmd');
  before(async () => {
    target = await getTarget();
    client = await new MongoClient(target.uri).connect();
    await client.db(db).collection<{ _id: string; price: number }>('stocksymbols').insertMany(familiarDocs(seededRandom(9)));
  });
  after(async () => {
    await client.db(db).dropDatabase();
    await client.close();
    await target.stop();
  });

  it('falls back to trace-style lines when stdout is not a terminal', async () => {
    const child = spawn(process.execPath, ['bin/run.js', 'display', '--uri', target.uri, '--db', db, '--symbols', 'MDB,AAPL', '--duration', '3s'], {
      cwd: ROOT, env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    const ready = new Promise<void>((resolve) => child.stderr.on('data', (d) => ((stderr += d), /following 2 symbols/.test(stderr) && resolve())));
    await ready;
    const coll = client.db(db).collection('stocksymbols');
    await coll.updateOne({ _id: 'AAPL' as never }, { $set: { price: 31 } });
    await coll.updateOne({ _id: 'IBM' as never }, { $set: { price: 32 } });
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stdout, /\x1b/, 'no escape codes when not a terminal');
    assert.match(stdout, /^AAPL +\d+ → 31 +[+-]?\d+ +\d\d:\d\d:\d\d\.\d{4}\n$/);
  });

  it('refuses an unknown symbol and an empty collection with one line', async () => {
    const run = (args: string[]) => new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['bin/run.js', 'display', '--uri', target.uri, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    const unknown = await run(['--db', db, '--symbols', 'ZZZZ']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^Error: unknown symbol ZZZZ: not in \S+\.stocksymbols\n$/);
    const empty = await run(['--db', uniqueDbName('none')]);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /^Error: \S+ is empty: run `(ticker|\.\/bin\/run\.js) load` first\n$/);
  });

  it('in tmux, as a person sees it: rows, prices, and an update appearing highlighted', async (t) => {
    if (!(await tmuxAvailable())) return t.skip('tmux is not installed');
    const result = await checkDisplayInTmux();
    assert.deepEqual(result.problems, [], result.screen);
  });
});

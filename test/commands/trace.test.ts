import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { FAMILIAR_SYMBOL_NAMES, familiarDocs, seededRandom } from '../../src/load/dataset.js';
import { getTarget, uniqueDbName, type TestTarget } from '../helpers/target.js';
import { runTicker as ticker, assertOneErrorLine as oneErrorLine, REPO_ROOT } from '../helpers/cli.js';

/** Starts `ticker trace`, resolves once its snapshot is out (the stream is open), with a way to wait for the end. */
function startTrace(args: string[], ready: RegExp) {
  const child = spawn(process.execPath, ['bin/run.js', 'trace', ...args], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  const started = new Promise<void>((resolve, reject) => {
    const check = (): void => void (ready.test(stdout + stderr) && resolve());
    child.stdout.on('data', (d) => ((stdout += d), check()));
    child.stderr.on('data', (d) => ((stderr += d), check()));
    child.on('close', () => reject(new Error(`trace exited early: ${stderr}`)));
  });
  const ended = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, started, ended };
}

describe('ticker trace', () => {
  let target: TestTarget;
  let client: MongoClient;
  const db = uniqueDbName('tracecmd');
  before(async () => {
    target = await getTarget();
    client = await new MongoClient(target.uri).connect();
    await client.db(db).collection<{ _id: string; price: number }>('stocksymbols').insertMany([...familiarDocs(seededRandom(5)), { _id: 'A10000', price: 10 }]);
  });
  after(async () => {
    await client.db(db).dropDatabase();
    await client.close();
    await target.stop();
  });

  it('prints every familiar price change, in order, once; nothing else', async () => {
    const trace = startTrace(['--uri', target.uri, '--db', db, '--limit', '30'], /following 13 symbols/);
    await trace.started;
    const coll = client.db(db).collection<{ _id: string; price: number }>('stocksymbols');
    const expected: string[] = [];
    for (let i = 0; i < 30; i++) {
      const symbol = FAMILIAR_SYMBOL_NAMES[(i * 7) % 13]!;
      await coll.updateOne({ _id: 'A10000' }, { $set: { price: 100 + i } });
      await coll.updateOne({ _id: symbol }, { $set: { price: 200 + i } });
      expected.push(`${symbol} ${200 + i}`);
    }
    const run = await trace.ended;
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.deepEqual(lines.map((l) => { const m = /^(\S+) +\S+ → (\d+) /.exec(l); return m ? `${m[1]} ${m[2]}` : l; }), expected);
    for (const line of lines) assert.match(line, / \d\d:\d\d:\d\d\.\d{4}$/);
    assert.match(run.stderr, /30 changes traced/);
  });

  it('--json prints NDJSON: the snapshot, then changes with ticks', async () => {
    const trace = startTrace(['--uri', target.uri, '--db', db, '--json', '--symbols', 'MDB,IBM', '--limit', '2'], /"kind":"snapshot"/);
    await trace.started;
    const coll = client.db(db).collection('stocksymbols');
    await coll.updateOne({ _id: 'SAP' as never }, { $set: { price: 1 } });
    await coll.updateOne({ _id: 'IBM' as never }, { $set: { price: 77, tick: { seq: 9, at: 1.5, w: 2 } } });
    await coll.updateOne({ _id: 'MDB' as never }, { $set: { price: 98 } });
    const run = await trace.ended;
    assert.equal(run.code, 0, run.stderr);
    const events = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(events.map((e) => e.kind), ['snapshot', 'change', 'change']);
    assert.deepEqual(Object.keys(events[0].prices).sort(), ['IBM', 'MDB']);
    assert.deepEqual([events[1].symbol, events[1].price, events[1].tick], ['IBM', 77, { seq: 9, at: 1.5, w: 2 }]);
    assert.equal(events[2].symbol, 'MDB');
    assert.equal(events[2].previous, events[0].prices.MDB);
  });

  it('refuses a missing collection, saying to run ticker load', async () => {
    const run = await ticker(['trace', '--uri', target.uri, '--db', uniqueDbName('nothing')]);
    assert.equal(run.code, 1);
    oneErrorLine(run.stderr, /^Error: \S+\.stocksymbols is empty: run `(ticker|\.\/bin\/run\.js) load` first$/);
  });

  it('refuses an unknown symbol', async () => {
    const run = await ticker(['trace', '--uri', target.uri, '--db', db, '--symbols', 'MDB,NOPE']);
    assert.equal(run.code, 1);
    oneErrorLine(run.stderr, new RegExp(`^Error: unknown symbol NOPE: not in ${db}\\.stocksymbols$`));
    const bad = await ticker(['trace', '--uri', target.uri, '--db', db, '--symbols', 'M$B']);
    assert.equal(bad.code, 2, bad.stderr);
    oneErrorLine(bad.stderr, /^Error: --symbols: "M\$B" is not a stock symbol/);
  });

  it('a --duration longer than a Node.js timer takes is refused (it used to end the trace at once)', async () => {
    const run = await ticker(['trace', '--uri', target.uri, '--db', db, '--duration', '1000h']);
    assert.equal(run.code, 2, run.stderr);
    oneErrorLine(run.stderr, /^Error: --duration: got "1000h"; at most 596h \(Node.js.s longest timer is about 24.8 days\) \(see --help\)$/);
  });

  it('an unreachable server → one line naming it', async () => {
    const run = await ticker(['trace', '--uri', 'mongodb://127.0.0.1:1']);
    assert.notEqual(run.code, 0);
    oneErrorLine(run.stderr, /^Error: connection refused by mongodb:\/\/127\.0\.0\.1:1/);
  });
});

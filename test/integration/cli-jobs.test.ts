import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { FAMILIAR_SYMBOL_NAMES } from '../../src/load/dataset.js';
import { getTarget, uniqueDbName, type TestTarget } from '../helpers/target.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
function start(args: string[]) {
  const child = spawn(process.execPath, ['bin/run.js', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', MONGODB_URI: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const ended = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  const output = (): string => stdout + stderr;
  return { child, ended, output };
}
const ticker = (args: string[]) => start(args).ended;

describe('the CLI jobs together: clean, load, mutate + trace', () => {
  let target: TestTarget;
  let client: MongoClient;
  const db = uniqueDbName('jobs');
  before(async () => {
    target = await getTarget();
    client = await new MongoClient(target.uri).connect();
  });
  after(async () => {
    await client.db(db).dropDatabase();
    await client.close();
    await target.stop();
  });

  it('trace sees every familiar change of a concurrent mutate and of the driver, in order, none twice', async () => {
    const base = ['--uri', target.uri, '--db', db];
    assert.equal((await ticker(['load', ...base, '--count', '2000'])).code, 0);

    // --all: a mutator update that happens to set the same price has no `price` in updatedFields, so the
    // default (price-change) filter rightly drops it; with --all every write shows, ticks included.
    const trace = start(['trace', ...base, '--all', '--json', '--duration', '20s']);
    const deadline = Date.now() + 15_000;
    while (!/"kind":"snapshot"/.test(trace.output())) {
      if (Date.now() > deadline) throw new Error(`trace did not start: ${trace.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }

    const mutate = start(['mutate', ...base, '--rate', '40', '--duration', '2s', '--json']);
    const coll = client.db(db).collection<{ _id: string; price: number }>('stocksymbols');
    const driverChanges: string[] = [];
    for (let i = 0; i < 40; i++) {
      const symbol = FAMILIAR_SYMBOL_NAMES[i % 13]!;
      await coll.updateOne({ _id: symbol }, { $set: { price: 1000 + i } });
      driverChanges.push(`${symbol}:${1000 + i}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const mutated = await mutate.ended;
    assert.equal(mutated.code, 0, mutated.stderr);
    const summary = JSON.parse(mutated.stdout);
    // One more marker after everything; then stop the trace.
    await coll.updateOne({ _id: 'MDB' }, { $set: { price: 5000 } });
    while (!/"price":5000/.test(trace.output())) {
      if (Date.now() > deadline + 10_000) throw new Error('marker not traced');
      await new Promise((r) => setTimeout(r, 20));
    }
    trace.child.kill('SIGINT');
    const traced = await trace.ended;
    assert.equal(traced.code, 130, traced.stderr);

    const events = traced.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const familiar = new Set<string>(FAMILIAR_SYMBOL_NAMES);
    const all = events.filter((e) => e.kind === 'change');
    const changes = all.filter((e) => familiar.has(e.symbol));
    assert.equal(new Set(all.map((e) => JSON.stringify([e.clusterTime, e.symbol, e.op]))).size, all.length, 'an event was delivered twice');
    assert.equal(events.filter((e) => e.kind === 'snapshot').length, 1);

    // Events come in commit order. The mutator's familiar updates: seq 0, 4, 8, ... (one in four of the
    // original mix), all of them, once; an open loop may have two in flight, so they may commit in either order.
    const times = all.map((e) => e.clusterTime.t * 2 ** 32 + e.clusterTime.i);
    assert.ok(times.every((t, k) => k === 0 || t >= times[k - 1]!), 'events out of commit order');
    const mutatorSeqs = changes.filter((e) => e.tick).map((e) => e.tick.seq);
    assert.equal(mutatorSeqs.length, summary.opsByKind.familiar);
    assert.deepEqual([...mutatorSeqs].sort((a, b) => a - b), Array.from({ length: summary.opsByKind.familiar }, (_, k) => 4 * k));

    // The driver's updates: all, in order, once.
    const fromDriver = changes.filter((e) => !e.tick && e.price >= 1000 && e.price < 5000).map((e) => `${e.symbol}:${e.price}`);
    assert.deepEqual(fromDriver, driverChanges);

    // Each change chains from the previous price of its symbol, starting at the snapshot.
    const last: Record<string, number> = { ...events[0].prices };
    for (const change of changes) {
      assert.equal(change.previous, last[change.symbol], JSON.stringify(change));
      if (change.price !== null) last[change.symbol] = change.price;
    }
    const truth = Object.fromEntries((await coll.find({ _id: { $in: [...FAMILIAR_SYMBOL_NAMES] } }).toArray()).map((d) => [d._id, d.price]));
    assert.deepEqual(last, truth);

    // And clean empties it.
    const cleaned = await ticker(['clean', ...base]);
    assert.equal(cleaned.code, 0);
    assert.equal(await coll.countDocuments(), 0);
  });
});

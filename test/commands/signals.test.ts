import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { startTicker, type RunningTicker } from '../helpers/cli.js';
import { getTarget, uniqueDbName, type TestTarget } from '../helpers/target.js';

// Ctrl-C (SIGINT) and SIGTERM mean one thing in every command: stop, print the usual summary, leave
// nothing half-done, exit 130 / 143. Each command is signalled as a user would, at the moments that differ:
// while connecting, while loading, while running, while writing its report.

/** A server that accepts connections and never answers: a client stays "connecting". */
async function silentServer(): Promise<{ uri: string; connected: Promise<void>; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let sawConnection!: () => void;
  const connected = new Promise<void>((resolve) => (sawConnection = resolve));
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    sawConnection();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  return {
    uri: `mongodb://127.0.0.1:${port}/?connectTimeoutMS=20000&serverSelectionTimeoutMS=30000`,
    connected,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function assertNoStack(run: RunningTicker): void {
  assert.doesNotMatch(run.stderr(), /\n\s+at |Error: interrupted/);
}

describe('signals: every command stops, summarises and exits 130 (SIGINT) / 143 (SIGTERM)', () => {
  let target: TestTarget;
  let client: MongoClient;
  const loaded = uniqueDbName('signals');
  const dbs = [loaded];
  before(async () => {
    target = await getTarget();
    client = await new MongoClient(target.uri).connect();
    const { runLoad } = await import('../../src/load/loader.js');
    await runLoad({ uri: target.uri, client, db: loaded, coll: 'stocksymbols', count: 400 });
  });
  after(async () => {
    for (const db of dbs) await client.db(db).dropDatabase().catch(() => undefined);
    await client.close();
    await target.stop();
  });

  it('while connecting: load, mutate, trace, display, clean stop at once (SIGINT 130, SIGTERM 143)', async () => {
    const cases: Array<[string[], NodeJS.Signals, number]> = [
      [['load'], 'SIGINT', 130],
      [['mutate'], 'SIGTERM', 143],
      [['trace'], 'SIGINT', 130],
      [['display'], 'SIGTERM', 143],
      [['clean'], 'SIGINT', 130],
    ];
    await Promise.all(cases.map(async ([args, signal, code]) => {
      const silent = await silentServer();
      const run = startTicker([...args, '--uri', silent.uri, '--db', uniqueDbName('sigconn')]);
      try {
        await silent.connected; // the command is inside its connect now
        run.child.kill(signal);
        assert.equal(await run.exited, code, `${args[0]}: ${run.stderr()}`);
        assert.match(run.stderr(), new RegExp(`^stopped by ${signal} while connecting\\n$`), args[0]);
        assertNoStack(run);
      } finally {
        run.child.kill('SIGKILL');
        await silent.close();
      }
    }));
  });

  it('while loading: load says what it left and how to remove it; the count is what the collection holds', async () => {
    const db = uniqueDbName('sigload');
    dbs.push(db);
    const run = startTicker(['load', '--uri', target.uri, '--db', db, '--count', '300000', '--batch-size', '500']);
    try {
      const coll = client.db(db).collection('stocksymbols');
      const deadline = Date.now() + 30_000;
      while ((await coll.estimatedDocumentCount().catch(() => 0)) === 0) {
        assert.ok(Date.now() < deadline && run.child.exitCode === null, run.stderr());
        await new Promise((r) => setTimeout(r, 20));
      }
      run.child.kill('SIGINT');
      assert.equal(await run.exited, 130, run.stderr());
      const held = await coll.countDocuments();
      assert.ok(held > 0 && held < 300_013, String(held));
      const n = held.toLocaleString('en-US');
      assert.match(run.stdout(), new RegExp(`^interrupted: ${db}\\.stocksymbols holds ${n} of 300,013 documents\\n`));
      assert.match(run.stdout(), new RegExp(`\\n  left ${n} documents in ${db}\\.stocksymbols: \`\\./bin/run\\.js clean --db ${db} --uri '?mongodb://127\\.0\\.0\\.1:\\d+/?[^\`']*'?\` removes them\\n$`));
      assertNoStack(run);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('while running: mutate, trace and display print their summary; SIGTERM the same with 143', async () => {
    const cases: Array<[string[], RegExp, NodeJS.Signals, number, RegExp]> = [
      [['mutate', '--rate', '40'], /Ctrl-C to stop/, 'SIGINT', 130, /^stopped: \d+ operations/],
      [['trace'], /^following 13 symbols/m, 'SIGINT', 130, /\d+ changes? traced\n$/],
      [['trace', '--json'], /"kind":"snapshot"/, 'SIGTERM', 143, /^$/],
      [['display'], /^following 13 symbols/m, 'SIGINT', 130, /display: \d+ price changes? shown\n$/],
    ];
    await Promise.all(cases.map(async ([args, ready, signal, code, summary]) => {
      const run = startTicker([...args, '--uri', target.uri, '--db', loaded]);
      try {
        await run.waitFor(ready);
        await new Promise((r) => setTimeout(r, 300));
        run.child.kill(signal);
        assert.equal(await run.exited, code, `${args.join(' ')}: ${run.stderr()}`);
        assert.match(args[0] === 'mutate' ? run.stdout() : run.stderr(), summary, args.join(' '));
        assertNoStack(run);
      } finally {
        run.child.kill('SIGKILL');
      }
    }));
  });

  it('demo: stopped while loading or while showing, it summarises and exits 130', async () => {
    const loading = startTicker(['demo', '--count', '400000']);
    const showing = startTicker(['demo', '--count', '200', '--rate', '50']);
    try {
      await loading.waitFor(/embedded server listening/);
      await new Promise((r) => setTimeout(r, 200));
      loading.child.kill('SIGINT');
      await showing.waitFor(/^following 13 symbols/m);
      await new Promise((r) => setTimeout(r, 300));
      showing.child.kill('SIGINT');
      assert.equal(await loading.exited, 130, loading.stderr());
      assert.match(loading.stderr(), /^interrupted: market\.stocksymbols holds [\d,]+ of 400,013 documents$/m);
      assert.doesNotMatch(loading.stderr(), /ticker clean|run\.js clean/, 'the in-memory server takes its data with it');
      assert.match(loading.stdout(), /^display: 0 price changes shown \(stopped while loading\)$/m);
      assert.equal(await showing.exited, 130, showing.stderr());
      assert.match(showing.stdout(), /^stopped: \d+ operations/m);
      assert.match(showing.stdout(), /^display: \d+ price changes? shown$/m);
      assertNoStack(loading);
      assertNoStack(showing);
    } finally {
      loading.child.kill('SIGKILL');
      showing.child.kill('SIGKILL');
    }
  });

  it('bench latency: a second Ctrl-C right after the first never leaves a half-written report', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ticker-sig-'));
    const db = uniqueDbName('sigbench');
    dbs.push(db);
    const run = startTicker(['bench', 'latency', '--uri', target.uri, '--db', db, '--duration', '20s', '--warmup', '0s', '--report-dir', dir]);
    try {
      const coll = client.db(db).collection('stocksymbols');
      const deadline = Date.now() + 60_000;
      while ((await coll.countDocuments({ tick: { $exists: true } }).catch(() => 0)) === 0) {
        assert.ok(Date.now() < deadline && run.child.exitCode === null, run.stderr());
        await new Promise((r) => setTimeout(r, 50));
      }
      run.child.kill('SIGINT');
      await new Promise((r) => setTimeout(r, 5));
      run.child.kill('SIGINT');
      assert.equal(await run.exited, 130, run.stderr());
      // Either the whole report (the second signal came while it was written) or none of it.
      const files = (await readdir(dir)).sort();
      const kinds = files.map((f) => f.replace(/^latency-[^.]*\./, ''));
      assert.ok(files.length === 0 || ['hgrm', 'html', 'json', 'md'].every((k) => kinds.includes(k)), files.join(', '));
      assert.ok(kinds.every((k) => /^(hgrm|hlog|html|json|md)$/.test(k)), `a partial or temporary file: ${files.join(', ')}`);
      for (const f of files.filter((name) => name.endsWith('.json'))) JSON.parse(await readFile(join(dir, f), 'utf8'));
      assertNoStack(run);
    } finally {
      run.child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});

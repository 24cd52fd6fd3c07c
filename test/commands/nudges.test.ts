import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { familiarDocs, seededRandom } from '../../src/load/dataset.js';
import type { ShardedCluster } from '../../src/embedded/sharded/index.js';
import { runTicker, startTicker } from '../helpers/cli.js';
import { AGAINST_REAL_DEPLOYMENT, EMBEDDED_ONLY, getTarget, uniqueDbName, type TestTarget } from '../helpers/target.js';

const NO_STACK = /\n\s+at /;

/** Whether something listens on the default address (then the "start `ticker server`" hint cannot be seen). */
function defaultPortTaken(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port: 27017 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function withAppName(uri: string, appName: string): string {
  return uri.includes('?') ? `${uri}&appName=${appName}` : `${uri.replace(/\/?$/, '/')}?appName=${appName}`;
}

// Where a newcomer is stuck, the message says what to type next, as they invoked ticker (./bin/run.js here).
describe('nudges', () => {
  let target: TestTarget;
  let client: MongoClient;
  before(async () => {
    target = await getTarget();
    client = await new MongoClient(target.uri).connect();
  });
  after(async () => {
    await client?.close();
    await target?.stop();
  });

  const loaded = async (): Promise<string> => {
    const db = uniqueDbName('nudge');
    await client.db(db).collection<{ _id: string; price: number }>('stocksymbols').insertMany([...familiarDocs(seededRandom(2)), { _id: 'A10000', price: 10 }]);
    return db;
  };

  it('trace and display with nothing writing say so, once, with the mutate command line for the same target', async () => {
    const db = await loaded();
    const mutate = new RegExp(`no change for \\ds: nothing seems to be writing to ${db}\\.stocksymbols: start \`\\./bin/run\\.js mutate --db ${db} --uri '?mongodb://127\\.0\\.0\\.1:\\d+/?[^\`']*'?\` in another terminal`);
    const variants = [['trace'], ['trace', '--json', '--all'], ['display']];
    await Promise.all(variants.map(async (args) => {
      const run = startTicker([...args, '--uri', target.uri, '--db', db, '--nudge-after', '1s']);
      await run.waitFor(/no change for/, 15_000);
      await new Promise((r) => setTimeout(r, 1_200)); // a second look: said once per silence
      run.child.kill('SIGINT');
      assert.equal(await run.exited, 130, run.stderr());
      assert.match(run.stderr(), mutate, args.join(' '));
      assert.equal(run.stderr().match(/no change for/g)!.length, 1, run.stderr());
      if (args.includes('--json')) for (const line of run.stdout().trim().split('\n')) JSON.parse(line); // stdout stays NDJSON
      assert.doesNotMatch(run.stderr(), NO_STACK);
    }));
  });

  it('no nudge while changes come', async () => {
    const db = await loaded();
    const run = startTicker(['trace', '--uri', target.uri, '--db', db, '--nudge-after', '1s']);
    await run.waitFor(/following 13 symbols/);
    const writes = setInterval(() => void client.db(db).collection<{ _id: string; price: number }>('stocksymbols').updateOne({ _id: 'MDB' }, { $inc: { price: 1 } }), 200);
    await new Promise((r) => setTimeout(r, 2_500));
    clearInterval(writes);
    run.child.kill('SIGINT');
    assert.equal(await run.exited, 130, run.stderr());
    assert.doesNotMatch(run.stderr(), /nothing seems to be writing/);
    assert.match(run.stdout(), /^MDB /m);
  });

  it('a refused connection to the default address suggests `ticker server`; another address does not', async (t) => {
    if (await defaultPortTaken()) return t.skip('something listens on 127.0.0.1:27017');
    const commands = [['trace'], ['load'], ['clean'], ['display', '--uri', 'mongodb://localhost:27017']];
    // Side by side: each waits for the driver's server selection to give up (3 s).
    const [elsewhere, ...runs] = await Promise.all([runTicker(['trace', '--uri', 'mongodb://127.0.0.1:1']), ...commands.map((args) => runTicker(args))]);
    runs.forEach((run, k) => {
      assert.equal(run.code, 1, commands[k]!.join(' '));
      assert.match(run.stderr, /^Error: connection refused by mongodb:\/\/(127\.0\.0\.1|localhost):27017: no server is running there; start one with `\.\/bin\/run\.js server` in another terminal, or give --uri\n$/, commands[k]!.join(' '));
    });
    assert.match(elsewhere.stderr, /^Error: connection refused by mongodb:\/\/127\.0\.0\.1:1: is the server running and listening on that port\?\n$/);
  });

  it('mutate waits for operations in flight after the end at most --drain-timeout, and says what it gave up on', { skip: EMBEDDED_ONLY }, async () => {
    const db = await loaded();
    const admin = new MongoClient(target.uri);
    await admin.db('admin').command({
      configureFailPoint: 'failCommand', mode: 'alwaysOn',
      data: { failCommands: ['update'], blockConnection: true, blockTimeMS: 20_000, appName: 'drain-test' },
    });
    try {
      const started = Date.now();
      const run = await runTicker(['mutate', '--uri', withAppName(target.uri, 'drain-test'), '--db', db, '--rate', '20', '--duration', '300ms', '--mix', 'familiar', '--drain-timeout', '200ms', '--json']);
      assert.ok(Date.now() - started < 15_000, 'ended long before the blocked writes would have');
      assert.equal(run.code, 0, run.stderr);
      const summary = JSON.parse(run.stdout);
      assert.ok(summary.abandoned >= 3, run.stdout);
      assert.equal(summary.opsByKind.familiar, 0, 'none of the blocked writes counted as done');
      assert.equal(summary.drainMs, 200);
    } finally {
      await admin.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
      await admin.close();
    }
  });

  it('clean says its count is from just before the drop, and exits 1 when something writes the database again right after', { skip: EMBEDDED_ONLY }, async () => {
    const db = await loaded();
    // Hold clean's second look (its second listCollections) for a moment, in which a writer recreates the collection.
    await client.db('admin').command({
      configureFailPoint: 'failCommand', mode: { skip: 1 },
      data: { failCommands: ['listCollections'], blockConnection: true, blockTimeMS: 1_000, appName: 'clean-race' },
    });
    try {
      const run = startTicker(['clean', '--uri', withAppName(target.uri, 'clean-race'), '--db', db]);
      const coll = client.db(db).collection<{ _id: string; price: number }>('stocksymbols');
      let ended = false;
      void run.exited.then(() => (ended = true));
      while (!ended && (await client.db(db).listCollections().toArray()).length > 0) await new Promise((r) => setTimeout(r, 10));
      await coll.insertOne({ _id: 'MDB', price: 1 }); // a writer still running
      assert.equal(await run.exited, 1, run.stderr());
      assert.match(run.stdout(), new RegExp(`^dropped database ${db} on \\S+ \\(1 collection, 14 documents counted just before the drop\\)\\n$`));
      assert.match(run.stderr(), new RegExp(`^Error: ${db} was written to again right after the drop \\(stocksymbols\\): is a \`\\./bin/run\\.js mutate\` or \`\\./bin/run\\.js bench latency\` still running against it\\? Stop it and run \`\\./bin/run\\.js clean --db ${db}\` again\\n$`));
    } finally {
      await client.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
    }
  });
});

describe('nudges on a mongos', { skip: AGAINST_REAL_DEPLOYMENT ? 'needs the embedded sharded cluster' : false }, () => {
  let cluster: ShardedCluster;
  before(async () => {
    const { startShardedCluster } = await import('../../src/embedded/sharded/index.js');
    cluster = await startShardedCluster({ port: 0, shards: 2, noopIntervalMs: 0 });
  });
  after(async () => {
    await cluster?.stop();
  });

  it('a load says up front it will load 8,000,013 documents and about how long; interrupted, it says what it left and how to clean it', async () => {
    const db = uniqueDbName('nudge_sh');
    const run = startTicker(['load', '--uri', cluster.uri, '--db', db]);
    await run.waitFor(/loading 8,000,013 documents/);
    assert.match(run.stderr(), new RegExp(`^loading 8,000,013 documents into ${db}\\.stocksymbols \\(the large data set, because the target is a mongos; --count sets another size\\): about \\d+ s at an assumed 150,000 docs/s \\(the embedded server\\); Ctrl-C stops it and says how to remove what was loaded\\n`));
    const probe = new MongoClient(cluster.uri);
    try {
      while ((await probe.db(db).collection('stocksymbols').estimatedDocumentCount().catch(() => 0)) === 0) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await probe.close();
    }
    run.child.kill('SIGINT');
    assert.equal(await run.exited, 130, run.stderr());
    assert.match(run.stdout(), new RegExp(`left [\\d,]+ documents? in ${db}\\.stocksymbols: \`\\./bin/run\\.js clean --db ${db} --uri '?mongodb://127\\.0\\.0\\.1:\\d+/?[^\`']*'?\` removes them`));
    assert.doesNotMatch(run.stderr(), NO_STACK);
  });
});

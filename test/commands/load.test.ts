import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { getTarget, uniqueDbName, type TestTarget } from '../helpers/target.js';
import { runTicker as ticker, assertOneErrorLine as oneErrorLine } from '../helpers/cli.js';

describe('ticker load', () => {
  let target: TestTarget;
  let client: MongoClient;
  const db = uniqueDbName('loadcmd');
  before(async () => {
    target = await getTarget();
    client = await new MongoClient(target.uri).connect();
  });
  after(async () => {
    await client.db(db).dropDatabase();
    await client.close();
    await target.stop();
  });

  it('loads, prints a summary; --json gives it as data', async () => {
    const run = await ticker(['load', '--uri', target.uri, '--db', db, '--count', '2000', '--workers', '2', '--batch-size', '250', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assert.equal(summary.documents, 2013);
    assert.equal(summary.bulk, 2000);
    assert.equal(summary.familiar, 13);
    assert.equal(summary.workers, 2);
    assert.equal(summary.batchSize, 250);
    assert.ok(summary.seconds > 0 && summary.docsPerSecond > 0);
    assert.equal(await client.db(db).collection('stocksymbols').countDocuments(), 2013);
  });

  it('refuses a loaded collection, saying to run ticker clean', async () => {
    const run = await ticker(['load', '--uri', target.uri, '--db', db, '--count', '10']);
    assert.equal(run.code, 1);
    oneErrorLine(run.stderr, new RegExp(`^Error: ${db}\\.stocksymbols already holds 2,013 documents: run \`\\.\\/bin\\/run\\.js clean --db ${db}\` first$`));
  });

  it('two loads at once into one empty collection: each counts only what it inserted, and a load that met the other says so and exits 1', async () => {
    const shared = uniqueDbName('loadrace');
    try {
      const runs = await Promise.all([0, 1].map(() => ticker(['load', '--uri', target.uri, '--db', shared, '--count', '20000', '--batch-size', '500'])));
      const held = await client.db(shared).collection('stocksymbols').countDocuments();
      assert.equal(held, 20_013);
      let counted = 0;
      for (const run of runs) {
        const loaded = /^loaded ([\d,]+) documents into /.exec(run.stdout);
        if (loaded) counted += Number(loaded[1]!.replaceAll(',', ''));
        if (run.code === 0) continue;
        assert.equal(run.code, 1, run.stderr);
        // Either it began after the other had finished (refused), or it met the other's documents.
        oneErrorLine(run.stderr, new RegExp(`^Error: ${shared}\\.stocksymbols (already holds [\\d,]+ documents: run|holds [\\d,]+ documents? this load did not write \\(another load or client wrote to it at the same time\\): run) \`\\./bin/run\\.js clean --db ${shared}( --uri '[^']+')?\``));
      }
      assert.ok(runs.some((run) => run.code !== 0), 'both loads claimed the whole data set');
      assert.equal(counted, held, 'the summaries together count each document once');
    } finally {
      await client.db(shared).dropDatabase();
    }
  });

  it('text summary names documents, seconds and docs/s', async () => {
    const other = uniqueDbName('loadcmd');
    const run = await ticker(['load', '--uri', target.uri, '--db', other, '--count', '500']);
    await client.db(other).dropDatabase();
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^loaded 513 documents into ${other}\\.stocksymbols\\n  [\\d.]+ s, [\\d,]+ docs/s, `));
  });

  for (const [args, pattern] of [
    [['--workers', '0'], /^Error: --workers: expected a whole number above zero, got "0" \(see --help\)$/],
    [['--count', '-5'], /^Error: --count: .*/],
    [['--batch-size', 'lots'], /^Error: --batch-size: expected a whole number above zero, got "lots" \(see --help\)$/],
  ] as const) {
    it(`bad input ${args.join(' ')} → one line, exit 2`, async () => {
      const run = await ticker(['load', '--uri', target.uri, '--db', db, ...args]);
      assert.equal(run.code, 2, run.stderr);
      oneErrorLine(run.stderr, pattern);
    });
  }

  it('an unreachable server → one line naming it', async () => {
    const run = await ticker(['load', '--uri', 'mongodb://127.0.0.1:1']);
    assert.notEqual(run.code, 0);
    oneErrorLine(run.stderr, /^Error: connection refused by mongodb:\/\/127\.0\.0\.1:1/);
  });
});

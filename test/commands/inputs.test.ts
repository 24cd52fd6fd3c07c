import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertRefused, runTicker } from '../helpers/cli.js';

// Bad input is refused in one line, exit 2, before anything connects: the URI below points at a port no
// server listens on, so a command that got as far as connecting would say "connection refused" instead.
const NOWHERE = ['--uri', 'mongodb://127.0.0.1:1'];

async function refusedAll(cases: Array<[string[], RegExp]>): Promise<void> {
  await Promise.all(cases.map(async ([args, pattern]) => {
    const run = await runTicker(args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assertRefused(run, pattern);
  }));
}

describe('every number has a bound, said with its reason', () => {
  it('load, mutate, bench latency, trace, server, demo: values above the bound are refused', async () => {
    await refusedAll([
      [['load', ...NOWHERE, '--workers', '100000'], /^Error: --workers: got "100000"; at most \d+ \(4 per core on this \d+-core machine, at least 8\): more threads only wait for a core \(see --help\)$/],
      [['load', ...NOWHERE, '--count', '1e12'], /^Error: --count: got "1e12"; at most 100,000,000 \(.*8,000,000.*\) \(see --help\)$/],
      [['mutate', ...NOWHERE, '--rate', '1e9', '--duration', '2s'], /^Error: --rate: got "1e9"; at most 100,000 ops\/s \(about what one Node\.js thread can send/],
      [['bench', 'latency', ...NOWHERE, '--listeners', '100000'], /^Error: --listeners: got "100000"; at most \d+ \(50 per core .*each listener is its own change stream/],
      [['bench', 'latency', ...NOWHERE, '--rate', '300000', '--writers', '2'], /^Error: --rate: got 300000; at most 200,000 ops\/s with 2 writers \(about 100,000 per writer thread; add --writers for more\)$/],
      [['trace', ...NOWHERE, '--limit', '1e10'], /^Error: --limit: got "1e10"; at most 1,000,000,000 /],
      [['server', '--shards', '100'], /^Error: --shards: got "100"; at most 16 \(each shard is an in-memory data node/],
      [['server', '--noop-interval', '1m'], /^Error: --noop-interval: got "1m"; at most 10s \(mongod's periodicNoopIntervalSecs is at most 10 s\)/],
    ]);
  });
});

describe('names are checked as mongod checks them, before connecting', () => {
  it('empty, system.*, reserved databases, bad characters, too long', async () => {
    await refusedAll([
      [['load', ...NOWHERE, '--db', ''], /^Error: --db: a database name cannot be empty \(see --help\)$/],
      [['trace', ...NOWHERE, '--collection', ''], /^Error: --collection: a collection name cannot be empty \(see --help\)$/],
      [['mutate', ...NOWHERE, '--collection', 'system.views'], /^Error: --collection: collection name "system\.views" starts with "system\.", which MongoDB reserves/],
      [['load', ...NOWHERE, '--db', 'my.db'], /^Error: --db: database name "my\.db" contains "\.", which MongoDB does not allow/],
      [['load', ...NOWHERE, '--db', 'd'.repeat(64)], /^Error: --db: database name "d{37}\.\.\." is 64 bytes: MongoDB allows at most 63/],
      [['load', ...NOWHERE, '--collection', 'c'.repeat(250)], /^Error: namespace "market\.c+\.\.\." is 257 bytes: MongoDB allows at most 255 for "<db>\.<collection>"$/],
      [['clean', ...NOWHERE, '--db', 'admin'], /^Error: --db: "admin" is one of MongoDB's own databases \(admin, local, config\): ticker never loads, watches or drops it/],
      [['clean', ...NOWHERE, '--db', 'config'], /^Error: --db: "config" is one of MongoDB's own databases/],
    ]);
  });
});

describe('help follows oclif conventions', () => {
  it('-h and `help <command>` show the same help: a summary once, captioned examples, defaults as people type them', async () => {
    const [short, viaHelp, bench, server] = await Promise.all([
      runTicker(['load', '-h']), runTicker(['help', 'load']), runTicker(['bench', 'latency', '--help']), runTicker(['server', '--help']),
    ]);
    assert.equal(short.code, 0, short.stderr);
    assert.equal(viaHelp.code, 0, viaHelp.stderr);
    assert.equal(short.stdout, viaHelp.stdout);
    assert.equal(short.stdout.split('Load the stock data set into an empty collection.').length - 1, 1, 'the summary shown once');
    assert.match(short.stdout, /EXAMPLES\n {2}Load the small data set into market\.stocksymbols on the default address\n\n {4}\$ ticker load\n/);
    assert.match(bench.stdout, /--duration=<duration>\s+\[default: 10s\]/);
    assert.match(bench.stdout, /--warmup=<duration>\s+\[default: 2s\]/);
    assert.doesNotMatch(bench.stdout, /default: 10000/);
    // No example waits for a server to die (`server --port 0 | head -1` blocked until it did).
    assert.doesNotMatch(server.stdout, /server --port 0 \| head/);
  });

  it('a mistyped command: "did you mean", exit 127', async () => {
    const [trac, latncy] = await Promise.all([runTicker(['trac']), runTicker(['bench', 'latncy'])]);
    assert.equal(trac.code, 127);
    assert.match(trac.stderr, /^did you mean ticker trace\?\n/);
    assert.match(trac.stderr, /trac is not a ticker command/);
    assert.equal(latncy.code, 127);
    assert.match(latncy.stderr, /^did you mean ticker bench latency\?\n/);
  });
});

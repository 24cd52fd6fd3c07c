import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { assertRefused, runTicker as ticker } from '../helpers/cli.js';

describe('ticker demo', () => {
  it('starts a server, loads, mutates and displays, then stops with a summary', async () => {
    const run = await ticker(['demo', '--count', '2000', '--rate', '40', '--duration', '2s']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /embedded server listening at mongodb:\/\/127\.0\.0\.1:\d+/);
    assert.match(run.stderr, /loaded 2,013 documents/);
    assert.match(run.stderr, /following 13 symbols/);
    assert.match(run.stdout, /stopped: \d+ operations/);
    const shown = /display: (\d+) price changes? shown/.exec(run.stdout);
    assert.ok(shown && Number(shown[1]) > 0, run.stdout);
    // Not a terminal: the display fell back to trace lines, one per familiar change.
    const traceLines = run.stdout.split('\n').filter((l) => / → /.test(l));
    assert.equal(traceLines.length, Number(shown![1]));
  });

  it('a --port in use → one line, non-zero exit', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      assertRefused(await ticker(['demo', '--port', String(port), '--duration', '1s']), new RegExp(`^Error: port ${port} is already in use on 127\\.0\\.0\\.1 `));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('bad input → one line, non-zero exit', async () => {
    const run = await ticker(['demo', '--rate', '-1']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^Error: --rate: [^\n]*\n$/);
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { assertRefused, REPO_ROOT, runTicker } from '../helpers/cli.js';
import { getTarget, uniqueDbName, type TestTarget } from '../helpers/target.js';

describe('ticker bench latency', () => {
  let target: TestTarget;
  let client: MongoClient;
  let scratch: string;
  const db = uniqueDbName('benchcmd');

  before(async () => {
    target = await getTarget();
    client = await new MongoClient(target.uri).connect();
    scratch = await mkdtemp(join(tmpdir(), 'ticker-bench-cmd-'));
  });
  after(async () => {
    await client.db(db).dropDatabase();
    await client.close();
    await target.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  it('a report directory it cannot write is refused before the run, in one line', async () => {
    const notADir = join(scratch, 'a-file');
    await writeFile(notADir, 'not a directory\n');
    const started = Date.now();
    // A 2-minute run: the refusal must come before it, not after (it used to lose the whole run).
    const run = await runTicker(['bench', 'latency', '--uri', target.uri, '--db', db, '--duration', '2m', '--report-dir', join(notADir, 'reports')]);
    assertRefused(run, /^Error: cannot write the report to .*a-file\/reports: a part of the path is not a directory$/);
    assert.ok(Date.now() - started < 60_000, 'the run took place before the refusal');
  });

  it('Ctrl-C still writes a complete report, leaves no temporary file, says so in one line and exits 130', async () => {
    const reportDir = join(scratch, 'interrupted');
    const child = spawn(process.execPath, ['bin/run.js', 'bench', 'latency', '--uri', target.uri, '--db', db, '--duration', '30s', '--warmup', '500ms', '--report-dir', reportDir], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1', MONGODB_URI: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      // Interrupt once writes flow (the command is then past its start-up and handles SIGINT).
      const deadline = Date.now() + 60_000;
      while ((await client.db(db).collection('stocksymbols').countDocuments({ tick: { $exists: true } }).catch(() => 0)) === 0) {
        assert.ok(Date.now() < deadline && child.exitCode === null, `no writes seen; stderr: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 1_000));
      child.kill('SIGINT');
      const code = await closed;
      assert.equal(code, 130, stderr);
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
      assert.match(stderr, /^interrupted: measured \S+ of 30s; the report covers that part\n$/);
      const files = (await readdir(reportDir)).sort();
      assert.deepEqual(files.map((f) => f.replace(/^latency-.*\./, '')), ['hgrm', 'hlog', 'html', 'json', 'md'], files.join(', '));
      const report = JSON.parse(await readFile(join(reportDir, files.find((f) => f.endsWith('.json'))!), 'utf8'));
      assert.equal(report.format, 'ticker-latency-report');
      assert.ok(report.durationMs > 0 && report.durationMs < 30_000, String(report.durationMs));
      assert.match(stdout, /^report: /m);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LatencySummary } from '../../src/commands/bench/latency.js';
import type { LatencyReport } from '../../src/report/model.js';

const BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'run.js');

function ticker(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('ticker bench latency (CLI)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ticker-latency-cli-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('without a URI starts the embedded server in its own process, loads the data set, and prints a JSON summary', async () => {
    const env = { ...process.env };
    delete env.MONGODB_URI;
    const { code, stdout, stderr } = await ticker(
      ['bench', 'latency', '--rate', '50', '--duration', '1s', '--warmup', '0s', '--report-dir', dir, '--json'],
      env,
    );
    assert.equal(code, 0, stderr);
    const summary = JSON.parse(stdout) as LatencySummary;
    assert.equal(summary.ok, true);
    assert.equal(summary.target.embedded, true);
    assert.equal(summary.audit.lost, 0);
    assert.equal(summary.audit.expected, summary.rate.writes - summary.rate.writeErrors);
    assert.ok(summary.latency.endToEnd!.count > 0);
    for (const file of Object.values(summary.files)) assert.ok(existsSync(file), file);
    const report = JSON.parse(await readFile(summary.files.json, 'utf8')) as LatencyReport;
    assert.ok(report.target.notes?.some((n) => n.includes('process of its own')));
  });

  it('refuses a bad duration in one line', async () => {
    const { code, stderr } = await ticker(['bench', 'latency', '--duration', '10'], process.env);
    assert.notEqual(code, 0);
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
    assert.match(stderr, /--duration/);
  });
});

/**
 * A distributed bench latency run: three agent processes on this machine meet on the target's control
 * database, share the load and leave their results there; the first agent merges them.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import type { LatencySummary } from '../../src/commands/bench/latency.js';
import { parseReport, type LatencyReport } from '../../src/report/model.js';
import { REPO_ROOT, runTicker, assertRefused, type CliResult } from '../helpers/cli.js';
import { getTarget, uniqueDbName, type TestTarget } from '../helpers/target.js';

/** How far the writes of the whole may stray from rate × window (the writers share one planned start). */
const RATE_TOLERANCE = 0.02;

interface Agent {
  child: ChildProcess;
  done: Promise<CliResult>;
}

function startAgent(args: string[]): Agent {
  const child = spawn(process.execPath, ['bin/run.js', ...args], {
    cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1', MONGODB_URI: '' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, agent?: Agent): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let ended: CliResult | undefined;
  void agent?.done.then((r) => (ended = r));
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (ended) throw new Error(`the agent ended before ${what}: ${ended.stderr || ended.stdout}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('bench latency --run: three agents on one target', () => {
  let target: TestTarget;
  let client: MongoClient;
  let dir: string;
  const db = uniqueDbName('dist');
  const controlDb = uniqueDbName('dist_control');

  before(async () => {
    target = await getTarget();
    client = new MongoClient(target.uri);
    await client.connect();
    dir = await mkdtemp(join(tmpdir(), 'ticker-distributed-'));
  });
  after(async () => {
    await client?.db(db).dropDatabase().catch(() => undefined);
    await client?.db(controlDb).dropDatabase().catch(() => undefined);
    await client?.close();
    await target?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const runs = () => client.db(controlDb).collection<{ _id: string; kind: string; state?: string; run?: string }>('runs');
  const argsFor = (run: string, overrides: Record<string, string> = {}): string[] => {
    const flags: Record<string, string> = {
      uri: target.uri, db, 'control-db': controlDb, run, agents: '3', rate: '300', listeners: '3', duration: '2s', warmup: '1s',
      heartbeat: '500ms', 'report-dir': dir, ...overrides,
    };
    return ['bench', 'latency', ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v])];
  };

  it('merges one report: writes add up to rate × window, every listener audited against every agent\'s writes; a differing flag and a live run name are refused', async () => {
    const run = 'three';
    const first = startAgent([...argsFor(run), '--threshold', 'rate.writes>=500', '--json']);
    await until('the run to be created', () => runs().findOne({ _id: run }), 30_000, first);

    const mismatched = await runTicker(argsFor(run, { rate: '200' }));
    assertRefused(mismatched, /^Error: --rate: this agent was given 200, but run "three" was started with 300 \(the first agent's flags\)/);

    // Judged on the whole (600 writes), by the first agent only: each part alone has a third of them.
    const whole = ['--threshold', 'rate.writes>=500'];
    const others = [startAgent([...argsFor(run), ...whole, '--json']), startAgent([...argsFor(run), ...whole, '--json'])];
    await until('the run to start', () => runs().findOne({ _id: run, state: 'started' }));
    const reused = await runTicker(argsFor(run));
    assertRefused(reused, /^Error: run "three" is live \(started .* with 3 of 3 agents\): choose another --run name/);

    const results = await Promise.all([first, ...others].map((a) => a.done));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const summaries = results.map((r) => JSON.parse(r.stdout) as LatencySummary);
    const leader = summaries.find((s) => s.distributed?.leader);
    assert.ok(leader, 'one agent merged the results');
    assert.deepEqual(summaries.map((s) => s.distributed!.agent).sort(), [0, 1, 2]);
    // Only the three agents ever registered: the refused ones left nothing behind.
    assert.equal(await runs().countDocuments({ run, kind: 'agent' }), 3);

    const merged = parseReport(JSON.parse(await readFile(leader.files.json, 'utf8')), leader.files.json);
    assert.deepEqual(merged.thresholds?.map((t) => [t.expression, t.pass]), [['rate.writes>=500', true]]);
    const parts = await Promise.all(
      summaries.map(async (s) => JSON.parse(await readFile(s.distributed!.ownFiles!.json, 'utf8')) as LatencyReport),
    );
    const sumOf = (f: (r: LatencyReport) => number) => parts.reduce((a, r) => a + f(r), 0);
    assert.equal(merged.rate.writes, sumOf((r) => r.rate.writes));
    assert.equal(merged.rate.requested, 300);
    for (const p of parts) assert.equal(p.config.rate, 100, 'each agent drives a third of the rate');
    for (const p of parts) assert.equal(p.thresholds, undefined, 'a part is not judged on its own');
    const planned = 300 * 2;
    assert.ok(Math.abs(merged.rate.writes - planned) <= planned * RATE_TOLERANCE, `writes ${merged.rate.writes}, planned ${planned}`);

    assert.equal(merged.audit.lost, 0);
    assert.equal(merged.audit.duplicated, 0);
    assert.equal(merged.ok, true, `the parts: ${JSON.stringify(parts.map((p) => ({ ok: p.ok, audit: p.audit, notes: p.target.notes })))}`);
    // Each agent's own report audits its listeners against its own writes; the merged one against everyone's.
    const allWrites = sumOf((r) => r.audit.expected);
    assert.equal(allWrites, merged.rate.writes - merged.rate.writeErrors);
    const perListener = merged.audit.perListener!;
    assert.deepEqual(perListener.map((l) => l.listener).sort(), ['agent0:0', 'agent1:0', 'agent2:0']);
    for (const l of perListener) {
      assert.equal(l.expected, allWrites, `${l.listener} audited against every agent's writes`);
      assert.equal(l.received, allWrites);
    }

    const d = merged.distributed!;
    assert.deepEqual(d.reported, [0, 1, 2]);
    assert.deepEqual(d.missing, []);
    assert.equal(d.perAgent.length, 3);
    for (const a of d.perAgent) {
      assert.ok(a.endToEnd.count > 0, 'each agent timed its own writes');
      assert.ok(a.othersEvents > 0, 'and received the other agents\' writes');
      assert.ok(Number.isFinite(a.clock.offsetMs) && a.clock.errorMs >= 0);
      // One machine, one clock: the offset against the server is small.
      assert.ok(Math.abs(a.clock.offsetMs) < 250, `offset ${a.clock.offsetMs} ms`);
    }
    // While measuring, the coordination is the heartbeat only: one operation per beat (500 ms here), and a
    // read of the agents' documents only once a counter stands still (the others finishing).
    const windowMs = Date.parse(merged.endedAt) - Date.parse(merged.startedAt);
    for (const a of d.perAgent) assert.ok(a.control.opsInWindow <= Math.ceil(windowMs / 500) + 4, `agent ${a.agent}: ${a.control.opsInWindow} control ops in ${windowMs} ms`);
    const md = await readFile(leader.files.md, 'utf8');
    assert.match(md, /## Agents \(run three\)/);

    // The name stays taken after the run: a finished run is not joined again.
    const again = await runTicker(argsFor(run));
    assertRefused(again, /^Error: run "three" has already finished/);
  });

  it('without --wait the first agent starts without an agent that never came, and the report says so', async () => {
    const result = await runTicker([...argsFor('alone', { agents: '2', 'join-timeout': '1s', duration: '1s', warmup: '0s' }), '--json']);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as LatencySummary;
    const merged = JSON.parse(await readFile(summary.files.json, 'utf8')) as LatencyReport;
    assert.deepEqual(merged.distributed!.started, [0]);
    assert.deepEqual(merged.distributed!.missing, [{ agent: 1, reason: 'never joined' }]);
    assert.ok(merged.target.notes?.some((n) => n === 'started without agent 1 (not ready within the join timeout)'), String(merged.target.notes));
    assert.equal(merged.audit.lost, 0);
  });

  // Giving up is the point, not how fast (a busy machine starts the CLI slowly): a follower that waited on
  // would hit this timeout instead.
  it('an agent waiting for a first agent that went silent while preparing the data set gives up with one line', { timeout: 120_000 }, async () => {
    // A run whose first agent registered and then stopped before its data set was ready (never touched again).
    const run = 'stalled';
    const config = {
      agents: 3, rate: 300, duration: 2_000, warmup: 1_000, listeners: 3, writers: 1, 'full-document': false, mix: null,
      'stagger-threshold': 250, 'cold-shard': null, db, collection: 'stocksymbols', heartbeat: 200,
    };
    const now = new Date();
    await client.db(controlDb).collection('runs').insertOne({
      _id: run as never, kind: 'run', run, agents: 3, config, leader: 0, state: 'joining', touchedAt: now, createdAt: now, heartbeatMs: 200,
    });
    const result = await runTicker(argsFor(run, { heartbeat: '200ms', agent: '1' }));
    assert.equal(result.code, 1, result.stderr);
    // Its status lines, then the one line that says why it stopped.
    assert.match(result.stderr, /waiting for the first agent to prepare the data set\nError: the first agent of run "stalled" stopped while preparing the data set \(agent 0, no sign of it for 1 s\)\n$/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  it('an agent killed mid-run is reported missing and the others\' results are kept; collect, runs and --drop', async () => {
    const run = 'killed';
    const base = (k: number) => argsFor(run, { duration: '4s', heartbeat: '300ms', agent: String(k) });
    const leader = startAgent(base(0));
    await until('the run to be created', () => runs().findOne({ _id: run }));
    const survivor = startAgent(base(1));
    const victim = startAgent(base(2));
    const started = await until('the run to start', () => runs().findOne({ _id: run, state: 'started' })) as unknown as { windowStartServer: number };
    await until('the measured window', async () => Date.now() > started.windowStartServer + 500);
    victim.child.kill('SIGKILL');
    await victim.done;

    const [l, s] = await Promise.all([leader.done, survivor.done]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(l.code, 1, l.stderr);
    assert.match(l.stderr, /agent 2 of run "killed" did not report: the merged report holds the others' results/);

    // The same verdict as the first agent's: exit 1, naming the missing agent; the report is written.
    const collectArgs = ['report', 'collect', '--uri', target.uri, '--control-db', controlDb, '--run', run, '--out-dir', dir];
    const verdict = await runTicker(collectArgs);
    assert.equal(verdict.code, 1, verdict.stderr);
    assert.match(verdict.stderr, /^Error: agent 2 of run "killed" did not report: the merged report holds the others' results\n$/);
    const collected = await runTicker([...collectArgs, '--json']);
    const { report: json } = JSON.parse(collected.stdout) as { report: LatencyReport };
    const report = parseReport(JSON.parse(await readFile(join(dir, `${run}.json`), 'utf8')), `${run}.json`);
    assert.deepEqual(report.distributed, json.distributed);
    const d = report.distributed!;
    assert.deepEqual(d.reported, [0, 1]);
    assert.equal(d.missing.length, 1);
    assert.equal(d.missing[0]!.agent, 2);
    assert.equal(report.audit.lost, 0);
    assert.equal(report.audit.duplicated, 0);
    assert.equal(report.rate.writes, d.perAgent.reduce((a, r) => a + r.rate.writes, 0));
    assert.ok(report.target.notes?.some((n) => /agent 2 is missing/.test(n)));

    const listed = await runTicker(['report', 'runs', '--uri', target.uri, '--control-db', controlDb, '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const rows = (JSON.parse(listed.stdout) as { runs: { run: string; results: number }[] }).runs;
    assert.equal(rows.find((r) => r.run === run)?.results, 2);

    const dropped = await runTicker(['report', 'runs', '--uri', target.uri, '--control-db', controlDb, '--drop', run]);
    assert.equal(dropped.code, 0, dropped.stderr);
    assert.equal(await runs().countDocuments({ run }), 0);
    assertRefused(await runTicker(['report', 'runs', '--uri', target.uri, '--control-db', controlDb, '--drop', run]), /^Error: no run named "killed"/);
  });
});

/**
 * Distributed runs (bench latency --run): does the coordination cost anything while measuring?
 *   - three agent processes on this machine driving a total rate against one process driving the same
 *     rate alone (the baseline, in the same run, alternating rounds): end-to-end p50 ratio (target: within 10%);
 *   - control-collection operations inside the measured window, all agents, as a share of the benchmarked
 *     writes (target < 1%);
 *   - the sizing rule: one agent's CPU (process.cpuUsage, every thread) at a rate with one listener, and
 *     with more listeners: writes/s per core, and change streams per core at that rate.
 * BENCH_QUICK=1 makes every run short.  node dist/bench/distributed.bench.js
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LatencySummary } from '../src/commands/bench/latency.js';
import { startEmbeddedProcess } from '../src/measure/embedded-process.js';
import { runLatency } from '../src/measure/latency-run.js';
import type { LatencyReport } from '../src/report/model.js';
import { median, round } from './lib/harness.js';
import { QUICK, type BenchResult } from './lib/result.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DB = 'ticker_bench_distributed';
const CONTROL_DB = 'ticker_bench_distributed_control';
// Below what this 2-core machine sustains with three agent processes beside the server (see README, Sizing).
const RATE = QUICK ? 150 : 300;
const LISTENERS = 3;
const DURATION = QUICK ? '3s' : '8s';
const WARMUP = '1s';

function ticker(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/run.js', ...args], { cwd: REPO, env: { ...process.env, NO_COLOR: '1', MONGODB_URI: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function summaryOf(r: { code: number | null; stdout: string; stderr: string }, what: string): LatencySummary {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}: ${r.stderr.trim().split('\n').at(-1)}`);
  return JSON.parse(r.stdout) as LatencySummary;
}

export async function run(): Promise<BenchResult[]> {
  const server = await startEmbeddedProcess();
  const dir = await mkdtemp(join(tmpdir(), 'ticker-bench-distributed-'));
  const common = ['--uri', server.uri, '--db', DB, '--rate', String(RATE), '--listeners', String(LISTENERS), '--duration', DURATION, '--warmup', WARMUP, '--report-dir', dir, '--json'];
  try {
    // Loads the data set and warms the server, so neither side pays for a cold start.
    summaryOf(await ticker(['bench', 'latency', ...common]), 'the warm-up run');
    const single: number[] = [];
    const three: number[] = [];
    let controlOps = 0;
    let benchWrites = 0;
    let lost = 0;
    let duplicated = 0;
    const rounds = QUICK ? 1 : 3;
    for (let round = 0; round < rounds; round++) {
      const alone = summaryOf(await ticker(['bench', 'latency', ...common]), 'the single process');
      single.push(alone.latency.endToEnd!.p50 / 1000);
      const run = `bench-${Date.now().toString(36)}-${round}`;
      const agents = await Promise.all([0, 1, 2].map((k) =>
        ticker(['bench', 'latency', ...common, '--control-db', CONTROL_DB, '--run', run, '--agents', '3', '--agent', String(k)])));
      const summaries = agents.map((a, k) => summaryOf(a, `agent ${k}`));
      const leader = summaries.find((s) => s.distributed?.leader)!;
      const merged = JSON.parse(await readFile(leader.files.json, 'utf8')) as LatencyReport;
      three.push(merged.histograms.endToEnd!.summary.p50 / 1000);
      controlOps += merged.distributed!.control.opsInWindow;
      benchWrites += merged.rate.writes;
      lost += merged.audit.lost;
      duplicated += merged.audit.duplicated;
      await ticker(['report', 'runs', '--uri', server.uri, '--control-db', CONTROL_DB, '--drop', run]);
    }
    const p50One = median(single);
    const p50Three = median(three);
    const p50Ratio = round(p50Three / p50One);
    const share = benchWrites > 0 ? controlOps / benchWrites : Number.NaN;
    const sizing = await sizingRule(server.uri);
    const notes = `${RATE} writes/s total, ${LISTENERS} listeners, ${DURATION} window, median of ${rounds} alternating rounds; ` +
      `p50 per round: three agents ${three.map((v) => round(v)).join(', ')} ms, one process ${single.map((v) => round(v)).join(', ')} ms; ` +
      `merged audit ${lost} lost / ${duplicated} duplicated`;
    return [
      {
        name: `3 agents / 1 process end-to-end p50 @ ${RATE} ops/s`, value: p50Ratio, unit: '×',
        baseline: { name: 'one process, same total rate: p50 (ms)', value: round(p50One) }, ratio: p50Ratio,
        target: 'within 10% (0.90-1.10)', pass: p50Ratio >= 0.9 && p50Ratio <= 1.1, notes,
      },
      {
        name: 'control-collection operations in the measured window', value: controlOps, unit: 'ops',
        baseline: { name: 'benchmarked writes in the same windows', value: benchWrites }, ratio: round(share, 5),
        target: 'ratio < 0.01', pass: share < 0.01, notes: `all agents, ${rounds} runs, heartbeat 2 s (2 operations per beat per agent)`,
      },
      ...sizing,
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
    await server.stop();
  }
}

const EXTRA_STREAMS = 24;

/** One agent's cores (CPU seconds of every thread / wall seconds) with 1 listener and with 25, at one rate. */
async function sizingRule(uri: string): Promise<BenchResult[]> {
  const rate = QUICK ? 500 : 1_000;
  const durationMs = QUICK ? 3_000 : 8_000;
  const cores = async (listeners: number): Promise<number> => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await runLatency({ uri, db: DB, coll: 'stocksymbols', rate, durationMs, warmupMs: 1_000, listeners, writers: 1, fullDocument: false, shareThread: false });
    const cpu = process.cpuUsage(cpu0);
    return (cpu.user + cpu.system) / 1000 / (performance.now() - t0);
  };
  // Alternating rounds, medians: one noisy spell of a shared machine does not decide the figure.
  const ones: number[] = [];
  const manys: number[] = [];
  for (let round = 0; round < (QUICK ? 1 : 3); round++) {
    ones.push(await cores(1));
    manys.push(await cores(1 + EXTRA_STREAMS));
  }
  const one = median(ones);
  const many = median(manys);
  const writesPerCore = rate / one;
  const perStream = (many - one) / EXTRA_STREAMS;
  const streamsPerCore = perStream > 0 ? 1 / perStream : Number.NaN;
  return [
    {
      name: `sizing: writes/s per core (one agent, 1 listener, ${rate} writes/s)`, value: Math.round(writesPerCore), unit: 'writes/s/core',
      baseline: { name: 'cores used', value: round(one) }, ratio: round(writesPerCore / rate),
      notes: `rounds: ${ones.map((v) => round(v)).join(', ')} cores; CPU of the agent process (writer and listener threads) over the run\'s wall time; the server runs in its own process and is not counted`,
    },
    {
      name: `sizing: change streams per core at ${rate} writes/s`, value: Math.round(streamsPerCore), unit: 'streams/core',
      baseline: { name: `cores with ${1 + EXTRA_STREAMS} listeners`, value: round(many) }, ratio: round(perStream, 4),
      notes: `rounds with ${1 + EXTRA_STREAMS} listeners: ${manys.map((v) => round(v)).join(', ')} cores; each extra listener receives every write: ${Math.round(streamsPerCore * rate).toLocaleString('en-US')} events/s per core; ratio = cores per extra stream`,
    },
  ];
}

/**
 * Distributed runs (bench latency --run): does the coordination cost anything while measuring?
 *   - three agent processes on this machine driving a total rate against one process driving the same
 *     rate alone (the baseline): end-to-end p50 ratio (target: within 10%);
 *   - the machine's floor for that ratio: three plain processes (no --run, no coordination at all), each
 *     on its own database with a third of the rate and one listener, against the same baseline: as many
 *     change streams on the server as the agents have, each process receiving a third of an agent's
 *     events (all listeners on each would put three times the streams on the server: 123-2,101 ms p50
 *     at load 13-17), so a lower bound. On a machine with fewer free cores than three processes and the
 *     server need, it is above 1, and the agents' ratio cannot be below it;
 *   - the coordination alone: one process as a one-agent run (--run --agents 1: control store, barrier,
 *     heartbeats, cross-agent ledger and receipts) against the same baseline;
 *   - control-collection operations inside the measured window, all agents, as a share of the
 *     benchmarked writes (target < 1%).
 * Every variant runs once per round, rounds alternate, medians are reported.
 * BENCH_QUICK=1 makes every run short.  node dist/bench/distributed.bench.js
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LatencySummary } from '../src/commands/bench/latency.js';
import { startEmbeddedProcess } from '../src/measure/embedded-process.js';
import type { LatencyReport } from '../src/report/model.js';
import { median, round } from './lib/harness.js';
import { QUICK, type BenchResult } from './lib/result.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DB = 'ticker_bench_distributed';
const CONTROL_DB = 'ticker_bench_distributed_control';
const AGENTS = 3;
// Below what this 2-core machine sustains with three agent processes beside the server (see README, Sizing).
const RATE = QUICK ? 150 : 300;
const LISTENERS = 3;
const DURATION = QUICK ? '3s' : '8s';
const WARMUP = '1s';
const ROUNDS = QUICK ? 1 : 3;

type Run = { code: number | null; stdout: string; stderr: string };

function ticker(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/run.js', ...args], { cwd: REPO, env: { ...process.env, NO_COLOR: '1', MONGODB_URI: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function summaryOf(r: Run, what: string): LatencySummary {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}: ${r.stderr.trim().split('\n').at(-1)}`);
  return JSON.parse(r.stdout) as LatencySummary;
}

const p50Ms = (s: LatencySummary): number => s.latency.endToEnd!.p50 / 1000;

export async function run(): Promise<BenchResult[]> {
  const server = await startEmbeddedProcess();
  const dir = await mkdtemp(join(tmpdir(), 'ticker-bench-distributed-'));
  const flags = (db: string, rate: number, listeners: number): string[] =>
    ['--uri', server.uri, '--db', db, '--rate', String(rate), '--listeners', String(listeners), '--duration', DURATION, '--warmup', WARMUP, '--report-dir', dir, '--json'];
  const common = flags(DB, RATE, LISTENERS);
  const plainDbs = Array.from({ length: AGENTS }, (_, k) => `${DB}_plain${k}`);
  const plain = (k: number): string[] => ['bench', 'latency', ...flags(plainDbs[k]!, RATE / AGENTS, LISTENERS / AGENTS)];
  let runs = 0;
  const agentRun = async (agents: number): Promise<LatencyReport> => {
    const name = `bench-${Date.now().toString(36)}-${runs++}`;
    const results = await Promise.all(Array.from({ length: agents }, (_, k) =>
      ticker(['bench', 'latency', ...common, '--control-db', CONTROL_DB, '--run', name, '--agents', String(agents), '--agent', String(k)])));
    const summaries = results.map((a, k) => summaryOf(a, `agent ${k}`));
    const leader = summaries.find((s) => s.distributed?.leader)!;
    const merged = JSON.parse(await readFile(leader.files.json, 'utf8')) as LatencyReport;
    await ticker(['report', 'runs', '--uri', server.uri, '--control-db', CONTROL_DB, '--drop', name]);
    return merged;
  };
  try {
    // Loads every data set and warms the server, so no variant pays for a cold start.
    summaryOf(await ticker(['bench', 'latency', ...common]), 'the warm-up run');
    for (let k = 0; k < AGENTS; k++) summaryOf(await ticker(plain(k)), 'a warm-up run');
    const single: number[] = [];
    const three: number[] = [];
    const floor: number[] = [];
    const oneAgent: number[] = [];
    const loads: number[] = [];
    let controlOps = 0;
    let benchWrites = 0;
    let lost = 0;
    let duplicated = 0;
    for (let round = 0; round < ROUNDS; round++) {
      loads.push(loadavg()[0]!);
      single.push(p50Ms(summaryOf(await ticker(['bench', 'latency', ...common]), 'the single process')));
      const merged = await agentRun(AGENTS);
      three.push(merged.histograms.endToEnd!.summary.p50 / 1000);
      controlOps += merged.distributed!.control.opsInWindow;
      benchWrites += merged.rate.writes;
      lost += merged.audit.lost;
      duplicated += merged.audit.duplicated;
      // Each plain process's own p50 over its own writes; their median stands for the three.
      const plains = await Promise.all(Array.from({ length: AGENTS }, (_, k) => ticker(plain(k))));
      floor.push(median(plains.map((r, k) => p50Ms(summaryOf(r, `plain process ${k}`)))));
      oneAgent.push((await agentRun(1)).histograms.endToEnd!.summary.p50 / 1000);
    }
    const p50One = median(single);
    const ratio = (values: number[]): number => round(median(values) / p50One);
    const perRound = (values: number[]): string => values.map((v) => round(v)).join(', ');
    const share = benchWrites > 0 ? controlOps / benchWrites : Number.NaN;
    const setup = `${RATE} writes/s total, ${LISTENERS} listeners, ${DURATION} window, median of ${ROUNDS} alternating rounds (1-min load average at each round's start: ${loads.map((l) => l.toFixed(2)).join(', ')})`;
    const baseline = { name: 'one process, same total rate: p50 (ms)', value: round(p50One) };
    const threeRatio = ratio(three);
    const floorRatio = ratio(floor);
    const oneAgentRatio = ratio(oneAgent);
    return [
      {
        name: `${AGENTS} agents / 1 process end-to-end p50 @ ${RATE} ops/s`, value: threeRatio, unit: '×', baseline, ratio: threeRatio,
        target: 'within 10% (0.90-1.10)', pass: threeRatio >= 0.9 && threeRatio <= 1.1,
        notes: `${setup}; p50 per round: ${AGENTS} agents ${perRound(three)} ms, one process ${perRound(single)} ms; merged audit ${lost} lost / ${duplicated} duplicated`,
      },
      {
        name: `floor: ${AGENTS} plain processes (no coordination) / 1 process end-to-end p50`, value: floorRatio, unit: '×', baseline, ratio: floorRatio,
        notes: `each a third of the rate and of the listeners on its own database (the agents' streams, a third of their events: a lower bound); median p50 of the three per round: ${perRound(floor)} ms. ` +
          `The agents' ratio is judged against this: what ${AGENTS} processes cost on this machine before any coordination`,
      },
      {
        name: 'coordination alone: a one-agent run / 1 process end-to-end p50', value: oneAgentRatio, unit: '×', baseline, ratio: oneAgentRatio,
        target: 'within 10% (0.90-1.10)', pass: oneAgentRatio >= 0.9 && oneAgentRatio <= 1.1,
        notes: `--run --agents 1 at the same rate and listeners (control store, barrier, heartbeats, ledger and receipts kept for the cross-agent audit); p50 per round: ${perRound(oneAgent)} ms`,
      },
      {
        name: 'control-collection operations in the measured window', value: controlOps, unit: 'ops',
        baseline: { name: 'benchmarked writes in the same windows', value: benchWrites }, ratio: round(share, 5),
        target: 'ratio < 0.01', pass: share < 0.01, notes: `all agents, ${ROUNDS} runs of ${AGENTS} agents, heartbeat 2 s (one operation per beat per agent)`,
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
    await server.stop();
  }
}

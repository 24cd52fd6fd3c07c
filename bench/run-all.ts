/**
 * `npm run bench`: runs every dist/bench/*.bench.js (each exports `run(): Promise<BenchResult[]>`), one
 * after another, and writes reports/bench-<date>.json (plain data) and .md (a table): each figure, its
 * baseline measured in the same run, and the ratio. BENCH_QUICK=1 shrinks every bench.
 * Usage: node dist/bench/run-all.js [name-filter]
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchModule, BenchResult } from './lib/result.js';

interface BenchRun {
  bench: string;
  seconds: number;
  results: BenchResult[];
  error?: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');

async function main(): Promise<void> {
  const filter = process.argv[2];
  const files = (await readdir(here)).filter((f) => f.endsWith('.bench.js') && (!filter || f.includes(filter))).sort();
  const runs: BenchRun[] = [];
  for (const file of files) {
    const bench = file.replace(/\.bench\.js$/, '');
    process.stderr.write(`bench ${bench} ...\n`);
    const t0 = performance.now();
    try {
      const mod = (await import(pathToFileURL(path.join(here, file)).href)) as BenchModule;
      const results = await mod.run();
      runs.push({ bench, seconds: (performance.now() - t0) / 1000, results });
      for (const r of results) process.stderr.write(`  ${line(r)}\n`);
    } catch (err) {
      runs.push({ bench, seconds: (performance.now() - t0) / 1000, results: [], error: (err as Error).stack ?? String(err) });
      process.stderr.write(`  failed: ${(err as Error).message}\n`);
    }
  }
  const date = new Date().toISOString().replace(/:/g, '-').replace(/\..*$/, '');
  const report = {
    date: new Date().toISOString(),
    quick: process.env.BENCH_QUICK === '1',
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGB: Math.round(os.totalmem() / 1024 ** 3), node: process.version, loadAverage: os.loadavg() },
    runs,
  };
  const dir = path.join(repoRoot, 'reports');
  await mkdir(dir, { recursive: true });
  const base = path.join(dir, `bench-${date}`);
  await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${base}.md`, markdown(report));
  process.stdout.write(`wrote ${path.relative(process.cwd(), base)}.json and .md\n`);
  // A missed target is a finding, not a crash; a bench that threw is a failure.
  process.exitCode = runs.some((r) => r.error) ? 1 : 0;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: 4 }) : String(v);
}

function line(r: BenchResult): string {
  const verdict = r.pass === undefined ? '' : r.pass ? ' PASS' : ' MISS';
  return `${r.name}: ${fmt(r.value)} ${r.unit} vs ${r.baseline.name} ${fmt(r.baseline.value)} (ratio ${fmt(r.ratio)})${r.target ? ` target ${r.target}` : ''}${verdict}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function markdown(report: { date: string; quick: boolean; machine: Record<string, unknown>; runs: BenchRun[] }): string {
  const out = [
    `# Benchmarks ${report.date}${report.quick ? ' (BENCH_QUICK)' : ''}`,
    '',
    `Machine: ${report.machine.cpus} CPUs (${report.machine.cpuModel}), ${report.machine.memoryGB} GB, Node ${report.machine.node}, load average ${(report.machine.loadAverage as number[]).map((l) => l.toFixed(2)).join(' ')}.`,
    'Every baseline is measured in the same run as its figure.',
    '',
    '| bench | figure | value | baseline | baseline value | ratio | target | pass |',
    '|---|---|---:|---|---:|---:|---|---|',
  ];
  for (const run of report.runs) {
    if (run.error) out.push(`| ${run.bench} | **failed** | | | | | | ${cell(run.error.split('\n')[0])} |`);
    for (const r of run.results) {
      out.push(`| ${run.bench} | ${cell(r.name)} | ${fmt(r.value)} ${r.unit} | ${cell(r.baseline.name)} | ${fmt(r.baseline.value)} | ${fmt(r.ratio)} | ${cell(String(r.target ?? ''))} | ${r.pass === undefined ? '' : r.pass ? 'yes' : '**no**'} |`);
    }
  }
  out.push('', '## Notes', '');
  for (const run of report.runs) {
    for (const r of run.results) if (r.notes) out.push(`- ${cell(r.name)}: ${cell(r.notes)}`);
    out.push(`- ${run.bench}: ${run.seconds.toFixed(1)} s`);
  }
  return `${out.join('\n')}\n`;
}

await main();

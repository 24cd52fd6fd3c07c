import { knownFailure, listedByName } from '../test/conformance/known-failures.js';
import { conformanceDir, loadSpecFiles, runFile, UnifiedRunner, type Outcome } from '../test/conformance/unified/runner.js';
import { AGAINST_REAL_DEPLOYMENT, dropSpecDatabases, FOLDERS, startTarget, type Folder, type Mode } from '../test/conformance/unified/target.js';

/**
 * Runs the unified-format spec tests of ../shared/conformance against the embedded server (replica set and
 * sharded cluster) or MONGODB_URI, and prints per folder and file passed / failed / skipped, with the
 * reason for every skip and failure, then one table per folder (`--markdown`: the README's table).
 * Usage: npx tsc -p . && node dist/scripts/conformance-summary.js [--verbose] [--errors] [--markdown]
 *          [--mode replicaset|sharded] [--folder crud[,sessions]] [file-substring]
 */
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const verbose = flag('verbose');
/** Also the real error of each known failure (to check its listed reason still holds). */
const errors = flag('errors');
const markdown = flag('markdown');
const valued = new Set([args.indexOf('--mode') + 1, args.indexOf('--folder') + 1].filter((i) => i > 0));
const only = args.find((a, i) => !a.startsWith('--') && !valued.has(i));
const modeArg = option('mode');
if (modeArg !== undefined && modeArg !== 'replicaset' && modeArg !== 'sharded') throw new Error(`--mode must be replicaset or sharded, got ${modeArg}`);
const modes: Mode[] = AGAINST_REAL_DEPLOYMENT ? ['replicaset'] : modeArg ? [modeArg] : ['replicaset', 'sharded'];
const folderArg = option('folder')?.split(',');
for (const f of folderArg ?? []) if (!(FOLDERS as readonly string[]).includes(f)) throw new Error(`unknown folder ${f} (one of ${FOLDERS.join(', ')})`);
const folders = (folderArg ?? FOLDERS) as Folder[];

interface Tally { passed: number; failed: number; todo: number; skipped: number }
const tally = (): Tally => ({ passed: 0, failed: 0, todo: 0, skipped: 0 });
const pct = (t: Tally) => (t.passed + t.failed > 0 ? `${((100 * t.passed) / (t.passed + t.failed)).toFixed(1)}%` : '-');
const pad = (s: string | number, n: number) => String(s).padStart(n);
const rows: { folder: Folder; mode: Mode; t: Tally; seconds: number }[] = [];

for (const folder of folders) {
  const files = loadSpecFiles(conformanceDir(folder)).filter((f) => !only || f.name.includes(only));
  for (const mode of modes) {
    const started = performance.now();
    const target = await startTarget(mode);
    const runner = await UnifiedRunner.connect(target.uri, target.multiUri);
    const t = tally();
    console.log(`## ${folder} (${mode})`);
    try {
      for (const file of files) {
        const results = await runFile(runner, file);
        await dropSpecDatabases(runner.internal, file);
        const ft = tally();
        const lines: string[] = [];
        for (const { test, outcome } of results) count(ft, outcome, lines, folder, file.name, test.description, mode);
        console.log(`${file.name.padEnd(48)} ${pad(ft.passed, 3)} passed ${pad(ft.failed, 3)} failed ${pad(ft.skipped, 3)} skipped ${pad(pct(ft), 7)}`);
        if (lines.length > 0) console.log(lines.join('\n'));
        for (const k of Object.keys(t) as (keyof Tally)[]) t[k] += ft[k];
      }
    } finally {
      await runner.close();
      await target.stop();
    }
    rows.push({ folder, mode, t, seconds: (performance.now() - started) / 1000 });
    console.log('');
  }
}

function count(t: Tally, outcome: Outcome, lines: string[], folder: Folder, file: string, test: string, mode: Mode): void {
  if (outcome.status === 'passed') {
    t.passed++;
    const known = AGAINST_REAL_DEPLOYMENT ? undefined : knownFailure(folder, file, test, mode);
    if (known && listedByName(folder, file, test)) lines.push(`    PASS  ${test} — listed in known-failures.ts (${known}): remove it`);
    else if (verbose) lines.push(`    pass  ${test}`);
  } else if (outcome.status === 'skipped') {
    t.skipped++;
    lines.push(`    skip  ${test} — ${outcome.reason}`);
  } else {
    t.failed++;
    const known = AGAINST_REAL_DEPLOYMENT ? undefined : knownFailure(folder, file, test, mode);
    if (known) t.todo++;
    lines.push(`    ${known ? 'TODO' : 'FAIL'}  ${test} — ${known ?? outcome.error.split('\n')[0]}`);
    if ((verbose && !known) || (errors && known)) lines.push(`          ${outcome.error}`);
  }
}

const total = tally();
for (const { t } of rows) for (const k of Object.keys(t) as (keyof Tally)[]) total[k] += t[k];
if (markdown) {
  console.log('| folder | mode | passed | failed | skipped | passed of applicable |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const { folder, mode, t } of rows) console.log(`| ${folder} | ${mode} | ${t.passed} | ${t.failed}${t.todo ? ` (${t.todo} known)` : ''} | ${t.skipped} | ${pct(t)} |`);
} else {
  for (const { folder, mode, t, seconds } of rows) {
    console.log(`${`${folder} (${mode})`.padEnd(32)} ${pad(t.passed, 4)} passed ${pad(t.failed, 4)} failed${t.todo ? ` (${t.todo} known)` : ''} ${pad(t.skipped, 4)} skipped ${pad(pct(t), 7)} of applicable  ${seconds.toFixed(1)} s`);
  }
}
console.log(`\n${total.passed} passed, ${total.failed} failed${total.todo ? ` (${total.todo} known)` : ''}, ${total.skipped} skipped — ${pct(total)} of ${total.passed + total.failed} applicable`);
process.exitCode = total.failed - total.todo > 0 ? 1 : 0;

import { startEmbeddedServer, type EmbeddedServer } from '../src/embedded/index.js';
import { knownFailure } from '../test/conformance/known-failures.js';
import { conformanceDir, loadSpecFiles, runFile, UnifiedRunner } from '../test/conformance/unified/runner.js';

/**
 * Runs the unified-format change-stream spec tests against the embedded server (or MONGODB_URI) and prints,
 * per file, passed / failed / skipped with the reason for every skip, then a total line.
 * Usage: npx tsc -p . && node dist/scripts/conformance-summary.js [--verbose] [file-substring]
 */
const args = process.argv.slice(2);
const verbose = args.includes('--verbose');
const only = args.find((a) => !a.startsWith('--'));
const targetUri = process.env.MONGODB_URI || undefined;

const files = loadSpecFiles(conformanceDir('change-streams')).filter((f) => !only || f.name.includes(only));
let passed = 0;
let failed = 0;
let skipped = 0;
let todo = 0;
const lines: string[] = [];
const pad = (s: string | number, n: number) => String(s).padStart(n);

for (const file of files) {
  let server: EmbeddedServer | undefined;
  if (!targetUri) server = await startEmbeddedServer({ port: 0 });
  const runner = await UnifiedRunner.connect(targetUri ?? server!.uri);
  try {
    const results = await runFile(runner, file);
    const p = results.filter((r) => r.outcome.status === 'passed').length;
    const f = results.filter((r) => r.outcome.status === 'failed').length;
    const s = results.filter((r) => r.outcome.status === 'skipped').length;
    passed += p;
    failed += f;
    skipped += s;
    const applicable = p + f;
    const pct = applicable > 0 ? `${((100 * p) / applicable).toFixed(0)}%` : '-';
    lines.push(`${file.name.padEnd(42)} ${pad(p, 3)} passed ${pad(f, 3)} failed ${pad(s, 3)} skipped   ${pad(pct, 4)} of applicable`);
    for (const { test, outcome } of results) {
      if (outcome.status === 'skipped') lines.push(`    skip  ${test.description} — ${outcome.reason}`);
      if (outcome.status === 'failed') {
        const known = targetUri ? undefined : knownFailure(file.name, test.description);
        if (known) todo++;
        lines.push(`    ${known ? 'TODO' : 'FAIL'}  ${test.description} — ${known ?? ''}${known ? '' : outcome.error.split('\n')[0]}`);
        if (verbose && !known) lines.push(`          ${outcome.error}`);
      }
      if (outcome.status === 'passed' && verbose) lines.push(`    pass  ${test.description}`);
    }
  } finally {
    await runner.close();
    await server?.stop();
  }
}

const applicable = passed + failed;
console.log(lines.join('\n'));
console.log('');
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped` + (todo ? ` (${todo} of the failures are known todo)` : '')
  + ` — ${applicable > 0 ? ((100 * passed) / applicable).toFixed(1) : '0'}% of ${applicable} applicable`);
process.exitCode = failed - todo > 0 ? 1 : 0;

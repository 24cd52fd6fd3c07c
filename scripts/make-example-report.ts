/**
 * Regenerates the example report in `reports/example/`: a short run on the embedded server (started in
 * its own process), so a reader sees what `ticker bench latency` produces.
 *   npm run build && node dist/scripts/make-example-report.js [dir]
 */
import { runLatency } from '../src/measure/latency-run.js';
import { renderReportSummary } from '../src/render/latency-table.js';
import { writeReport } from '../src/report/write.js';

const dir = process.argv[2] ?? 'reports/example';
const { report, errors } = await runLatency({
  db: 'market',
  coll: 'stocksymbols',
  rate: 200,
  durationMs: 10_000,
  warmupMs: 2_000,
  listeners: 2,
  writers: 1,
  fullDocument: false,
});
report.target.notes = [...(report.target.notes ?? []), 'made by scripts/make-example-report.ts (10 s at 200 ops/s, 2 listeners)'];
const files = await writeReport(report, dir, 'example');
process.stdout.write(`${renderReportSummary(report, { colour: false })}\n`);
for (const e of errors) process.stderr.write(`warning: ${e}\n`);
process.stdout.write(`${Object.values(files).join('\n')}\n`);
process.exitCode = report.ok ? 0 : 1;

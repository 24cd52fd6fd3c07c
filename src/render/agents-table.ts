/** A distributed run's rows (one per agent) and the runs list, as terminal text. Pure. */
import Table from 'cli-table3';
import type { RunRow } from '../distributed/runs.js';
import type { DistributedRun } from '../report/model.js';
import { formatCount, formatMs, formatRate } from './format-latency.js';

export function renderAgents(d: DistributedRun): string {
  const table = new Table({
    head: ['agent', 'host', 'writes', 'achieved (/s)', 'p50 (ms)', 'p99 (ms)', 'expected', 'lost', 'dup', 'clock offset (ms)'],
    style: { head: [], border: [] },
  });
  for (const a of d.perAgent) {
    table.push([
      String(a.agent), a.host, formatCount(a.rate.writes), formatRate(a.rate.achieved), formatMs(a.endToEnd.p50us), formatMs(a.endToEnd.p99us),
      formatCount(a.audit.expected), formatCount(a.audit.lost), formatCount(a.audit.duplicated), `${a.clock.offsetMs.toFixed(1)} ± ${a.clock.errorMs.toFixed(1)}`,
    ]);
  }
  const lines = [table.toString()];
  for (const m of d.missing) lines.push(`agent ${m.agent}: missing (${m.reason})`);
  lines.push(`control traffic in the measured window: ${formatCount(d.control.opsInWindow)} operations beside ${formatCount(d.control.benchmarkWrites)} benchmarked writes`);
  return lines.join('\n');
}

export function renderRuns(rows: readonly RunRow[]): string {
  if (rows.length === 0) return 'no runs';
  const table = new Table({ head: ['run', 'state', 'agents', 'joined', 'results', 'created'], style: { head: [], border: [] } });
  for (const r of rows) table.push([r.run, r.live ? `${r.state} (live)` : r.state, String(r.agents), String(r.joined), String(r.results), r.createdAt]);
  return table.toString();
}

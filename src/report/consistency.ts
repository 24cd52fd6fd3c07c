/**
 * Whether saved reports belong together: parts of one run may be merged (same target, same settings, at
 * the same time, each once); two runs may be compared, but only after saying how their settings differ.
 * Plain checks on report data; the commands decide what to do with the answer.
 */
import type { LatencyReport } from './model.js';

/** A setting that must match for parts of one run, and how to show it. */
interface Setting {
  name: string;
  of: (r: LatencyReport) => unknown;
}

const TARGET: Setting[] = [
  { name: 'target', of: (r) => r.target.uri },
  { name: 'topology', of: (r) => r.target.topology },
  { name: 'server version', of: (r) => r.target.serverVersion },
  { name: 'embedded', of: (r) => r.target.embedded },
  { name: 'shards', of: (r) => r.target.shards },
];

/** Settings each part of one run has in common (rate, listeners and writers are shares: they add up). */
const SHARED: Setting[] = [
  { name: 'mix', of: (r) => r.config.mix },
  { name: 'full document', of: (r) => r.config.fullDocument },
  { name: 'warm-up', of: (r) => r.config.warmupMs },
  { name: 'cold shard', of: (r) => r.config.coldShard },
  { name: 'stagger threshold', of: (r) => r.staggers.thresholdMs },
];

/** Everything a comparison should name when it differs. */
const COMPARED: Setting[] = [
  { name: 'rate', of: (r) => r.config.rate },
  { name: 'duration', of: (r) => r.config.durationMs },
  { name: 'listeners', of: (r) => r.config.listeners },
  { name: 'writers', of: (r) => r.config.writers },
  // one process is a run of one agent
  { name: 'agents', of: (r) => r.distributed?.agents ?? 1 },
  ...SHARED,
  // Each run of the embedded server listens on a port of its own: that is not a different target to compare.
  { name: 'target', of: (r) => (r.target.embedded ? 'the embedded server' : r.target.uri) },
  ...TARGET.filter((s) => s.name !== 'target'),
];

const show = (value: unknown): string => (value === undefined ? '(none)' : typeof value === 'string' ? value : JSON.stringify(value));
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Why `reports` cannot be parts of one run, as one line, or undefined when they can: a different target
 * or setting, windows that do not overlap (two runs, not two parts), or the same part given twice.
 */
export function mergeProblem(reports: readonly LatencyReport[], names: readonly string[]): string | undefined {
  const first = reports[0]!;
  // A distributed run's merged report already holds its agents' parts (`nightly-1*.json` matches both).
  const whole = reports.length > 1 ? reports.findIndex((r) => r.distributed !== undefined) : -1;
  if (whole >= 0) {
    const d = reports[whole]!.distributed!;
    return `${names[whole]} is the merged report of distributed run "${d.run}" (${d.reported.length} agents): merge it with nothing, or merge the agents' own parts`;
  }
  const seen = new Map<string, string>();
  for (const [i, report] of reports.entries()) {
    const identity = JSON.stringify([report.startedAt, report.endedAt, report.histograms.endToEnd?.encoded ?? Object.values(report.histograms)[0]?.encoded]);
    const earlier = seen.get(identity);
    if (earlier !== undefined) return `${names[i]} is the same part as ${earlier}: each part of a run counts once`;
    seen.set(identity, names[i]!);
    if (i === 0) continue;
    for (const setting of [...TARGET, ...SHARED]) {
      if (!same(setting.of(report), setting.of(first))) {
        return `${names[i]} and ${names[0]} are not parts of one run: ${setting.name} ${show(setting.of(first))} in ${names[0]}, ${show(setting.of(report))} in ${names[i]}`;
      }
    }
    if (Date.parse(report.startedAt) > Date.parse(first.endedAt) || Date.parse(first.startedAt) > Date.parse(report.endedAt)) {
      return `${names[i]} and ${names[0]} are not parts of one run: they ran at different times (${first.startedAt} – ${first.endedAt}, ${report.startedAt} – ${report.endedAt})`;
    }
  }
  return undefined;
}

/** "rate 100 → 2000" for each setting that differs between two reports. */
export function settingDifferences(base: LatencyReport, next: LatencyReport): string[] {
  return COMPARED.filter((s) => !same(s.of(base), s.of(next))).map((s) => `${s.name} ${show(s.of(base))} → ${show(s.of(next))}`);
}

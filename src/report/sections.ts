/**
 * The report's tables as rows of strings, shared by the Markdown and HTML writers so both files say
 * the same thing in the same words.
 */
import { breaches, type ThresholdResult } from '../measure/thresholds.js';
import { formatCount, formatMs, formatRate, formatStep, formatThresholdValue, thresholdName } from '../render/format-latency.js';
import { stepsSection } from './steps.js';
import { reportPassed, type AgentRow, type LatencyReport } from './model.js';

export interface Section {
  title: string;
  head: string[];
  rows: string[][];
  /** plain-text lines shown after the table */
  notes?: string[];
  /** a list shown after the notes */
  bullets?: string[];
}

/** Shown with every report: people compare embedded numbers with production ones. */
export const EMBEDDED_LATENCY_NOTE =
  'On the embedded server latency is lower than on a real replica set, which waits for journal/majority ' +
  'commit before a change is visible to change streams (around 100 ms median there).';

/** How many of the longest staggers the files list. */
const STAGGERS_LISTED = 10;

export function latencySection(report: LatencyReport): Section {
  return {
    title: report.steps ? `Latency (ms), all ${report.steps.rows.length} steps together` : 'Latency (ms)',
    head: ['histogram', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean', 'stddev', 'count'],
    rows: Object.entries(report.histograms).map(([name, { summary: s }]) => [
      name,
      formatMs(s.p50),
      formatMs(s.p90),
      formatMs(s.p99),
      formatMs(s.p999),
      formatMs(s.max),
      formatMs(s.mean),
      formatMs(s.stddev),
      formatCount(s.count),
    ]),
    bullets: Object.entries(report.histograms).map(([name, h]) => `${name}: ${h.description}`),
  };
}

export function rateSection({ rate }: LatencyReport): Section {
  const share = rate.requested > 0 ? `${((rate.achieved / rate.requested) * 100).toFixed(1)}%` : '—';
  return {
    title: 'Rate',
    head: ['requested (/s)', 'achieved (/s)', 'achieved share', 'writes', 'write errors', 'max behind (ms)'],
    rows: [
      [
        formatRate(rate.requested),
        formatRate(rate.achieved),
        share,
        formatCount(rate.writes),
        formatCount(rate.writeErrors),
        formatMs(rate.maxBehindMs * 1000),
      ],
    ],
  };
}

export function staggersSection({ staggers }: LatencyReport): Section {
  const s = staggers.histogram.summary;
  return {
    title: 'Staggers',
    head: ['start (s)', 'gap (ms)', 'burst (events)', 'listener', 'shard'],
    rows: staggers.worst
      .slice(0, STAGGERS_LISTED)
      .map((w) => [(w.startMs / 1000).toFixed(2), formatMs(w.gapMs * 1000), formatCount(w.burst), w.listener ?? '', w.shard ?? '']),
    notes: [
      staggers.count === 0
        ? `No gap over ${staggers.thresholdMs} ms.`
        : `${formatCount(staggers.count)} gaps over ${staggers.thresholdMs} ms; gap p50 ${formatMs(s.p50)} ms, ` +
          `p99 ${formatMs(s.p99)} ms, longest ${formatMs(s.max)} ms.`,
    ],
  };
}

export function auditSection({ audit, ok }: LatencyReport): Section {
  const row = (who: string, a: { expected: number; received: number; lost: number; duplicated: number }) => [
    who,
    formatCount(a.expected),
    formatCount(a.received),
    formatCount(a.lost),
    formatCount(a.duplicated),
  ];
  return {
    title: 'Audit',
    head: ['listener', 'expected', 'received', 'lost', 'duplicated'],
    rows: [row('all', audit), ...(audit.perListener ?? []).map((l) => row(l.listener, l))],
    notes: [ok ? 'OK: every expected event arrived exactly once.' : 'FAILED: events were lost or duplicated.'],
  };
}

export function targetSection({ target }: LatencyReport): Section {
  const rows = [
    ['uri', target.uri],
    ['embedded', target.embedded ? 'yes' : 'no'],
    ['server version', target.serverVersion],
    ['topology', target.topology],
    ...(target.shards === undefined ? [] : [['shards', String(target.shards)]]),
    ...(target.sources ?? []).map((uri, i) => [`source ${i + 1}`, uri]),
  ];
  return { title: 'Target', head: ['', ''], rows, notes: [...(target.notes ?? []), EMBEDDED_LATENCY_NOTE] };
}

export function configSection(report: LatencyReport): Section {
  const { config } = report;
  const mix = Object.entries(config.mix)
    .map(([op, weight]) => `${op} ${weight}`)
    .join(', ');
  const rows = [
    ['rate (/s)', formatRate(config.rate)],
    ['duration (s)', (config.durationMs / 1000).toFixed(1)],
    ['warm-up (s)', (config.warmupMs / 1000).toFixed(1)],
    ['listeners', String(config.listeners)],
    ['writers', String(config.writers)],
    ['fullDocument', config.fullDocument],
    ['mix', mix || '—'],
    ...(config.coldShard === undefined ? [] : [['cold shard', config.coldShard ? 'yes' : 'no']]),
    ['started', report.startedAt],
    ['ended', report.endedAt],
    ...(config.sources ?? []).map((name, i) => [`source ${i + 1}`, name]),
  ];
  return { title: 'Configuration', head: ['', ''], rows };
}

/** Each `--threshold` with what was measured; undefined when none was set. */
export function thresholdsSection(report: LatencyReport): Section | undefined {
  const results = report.thresholds;
  if (!results || results.length === 0) return undefined;
  const failed = breaches(results).length;
  return {
    title: 'Thresholds',
    head: ['threshold', 'measured', 'result'],
    rows: results.map((r) => [thresholdName(r), formatThresholdValue(r.measured, r.unit), r.pass ? 'pass' : 'FAIL']),
    notes: [
      (failed === 0 ? `All ${results.length} thresholds passed.` : `${failed} of ${results.length} thresholds breached.`) +
        (report.steps ? ' Each threshold was judged on each step on its own (its own histograms, rate and audit).' : ''),
    ],
  };
}

/** The verdict in words: the audit and every threshold. */
export function verdictText(report: LatencyReport): string {
  const failed = breaches(report.thresholds).length;
  const reasons = [
    ...(report.ok ? [] : ['events lost or duplicated']),
    ...(failed > 0 ? [`${failed} threshold${failed === 1 ? '' : 's'} breached${stepsOf(breaches(report.thresholds))}`] : []),
  ];
  if (!reportPassed(report)) return `FAILED: ${reasons.join('; ')}`;
  return report.thresholds?.length ? `PASSED: audit clean, every threshold met${report.steps ? ' on every step' : ''}` : 'AUDIT OK (no thresholds set)';
}

/** ` (on 1,000 writes/s, 5,000 writes/s)`: the steps of a stepped run's breaches. */
function stepsOf(results: readonly ThresholdResult[]): string {
  const steps = [...new Map(results.flatMap((r) => (r.step ? [[r.step.index, formatStep(r.step.variable, r.step.value)] as const] : []))).values()];
  return steps.length > 0 ? ` (on ${steps.join(', ')})` : '';
}

/** A distributed run: a row per agent and the whole, with each agent's clock against the server's. */
export function agentsSection({ distributed: d, histograms, rate, audit }: LatencyReport): Section | undefined {
  if (!d) return undefined;
  const offset = (c: AgentRow['clock']): string =>
    `${c.offsetMs.toFixed(1)} ± ${c.errorMs.toFixed(1)}` +
    (c.wallTimeLowMs !== undefined ? ` (wallTime ${c.wallTimeLowMs.toFixed(1)} … ${c.wallTimeHighMs!.toFixed(1)})` : '');
  const e = histograms.endToEnd?.summary;
  const rows = d.perAgent.map((a) => [
    `agent ${a.agent}`, a.host, formatCount(a.rate.writes), formatRate(a.rate.achieved), formatMs(a.endToEnd.p50us), formatMs(a.endToEnd.p99us),
    formatCount(a.audit.expected), formatCount(a.audit.lost), formatCount(a.audit.duplicated), offset(a.clock), formatCount(a.control.opsInWindow),
  ]);
  rows.push([
    'whole', '', formatCount(rate.writes), formatRate(rate.achieved), e ? formatMs(e.p50) : '—', e ? formatMs(e.p99) : '—',
    formatCount(audit.expected), formatCount(audit.lost), formatCount(audit.duplicated), '', formatCount(d.control.opsInWindow),
  ]);
  const share = d.control.benchmarkWrites > 0 ? ((d.control.opsInWindow / d.control.benchmarkWrites) * 100).toFixed(2) : '—';
  return {
    title: `Agents (run ${d.run})`,
    head: ['agent', 'host', 'writes', 'achieved (/s)', 'endToEnd p50', 'endToEnd p99', 'audited', 'lost', 'duplicated', 'clock offset (ms)', 'control ops'],
    rows,
    notes: [
      `${d.reported.length} of ${d.agents} agents reported; the run started with agents ${d.started.join(', ') || 'none'}. Each agent timed its own ` +
        `writes on its own clock; every agent's listeners were audited against every agent's writes. Clock offset = server − agent, ` +
        `from $currentDate round trips; the wallTime bounds come from the events. Control-collection operations in the measured ` +
        `window: ${share}% of the benchmarked writes.`,
    ],
    bullets: d.missing.map((m) => `agent ${m.agent} missing: ${m.reason}`),
  };
}

export function allSections(report: LatencyReport): Section[] {
  const thresholds = thresholdsSection(report);
  const agents = agentsSection(report);
  const steps = report.steps ? { ...stepsSection(report.steps.rows, report.steps.variable), title: `Steps (${report.steps.variable}, in the order run)` } : undefined;
  return [
    latencySection(report),
    ...(steps ? [steps] : []),
    ...(thresholds ? [thresholds] : []),
    ...(agents ? [agents] : []),
    rateSection(report),
    staggersSection(report),
    auditSection(report),
    targetSection(report),
    configSection(report),
  ];
}

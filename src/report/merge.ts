/**
 * Adds reports of parts of one run (several machines or processes driving the same target at the same
 * time, like autocannon's workers): histograms and counts are added, percentiles are recomputed from the
 * sums, never averaged.
 */
import { addEncoded, summarizeEncoded } from '../measure/histograms.js';
import { UserError } from '../util/errors.js';
import {
  HISTOGRAM_DESCRIPTIONS,
  REPORT_FORMAT,
  REPORT_VERSION,
  isAuditClean,
  type Audit,
  type LatencyConfig,
  type LatencyReport,
  type RateSummary,
  type ReportHistogram,
  type ReportTarget,
  type StaggerSummary,
  type TimelineBucket,
} from './model.js';

/** How many of the longest staggers a merged report keeps. */
const WORST_STAGGERS_KEPT = 20;

/** Merges reports; `sourceNames` (e.g. file names) label them in the result, default `#1`, `#2`, ... */
export function mergeReports(reports: readonly LatencyReport[], sourceNames?: readonly string[]): LatencyReport {
  if (reports.length === 0) throw new UserError('nothing to merge: give at least one report');
  const names = reports.map((_, i) => sourceNames?.[i] ?? `#${i + 1}`);
  const startedAt = reports.map((r) => r.startedAt).sort()[0]!;
  const endedAt = reports.map((r) => r.endedAt).sort().at(-1)!;
  const audit = mergeAudits(reports, names);
  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    config: mergeConfigs(reports.map((r) => r.config), names),
    target: mergeTargets(reports.map((r) => r.target)),
    startedAt,
    endedAt,
    durationMs: Math.max(...reports.map((r) => r.durationMs)),
    rate: mergeRates(reports.map((r) => r.rate)),
    histograms: mergeHistograms(reports),
    staggers: mergeStaggers(reports, names),
    timeline: mergeTimelines(reports.map((r) => r.timeline)),
    audit,
    ok: isAuditClean(audit),
    ...(reports.some((r) => r.perListener) && {
      perListener: reports.flatMap((r, i) =>
        (r.perListener ?? []).map((l) => ({ ...l, listener: `${names[i]}:${l.listener}` })),
      ),
    }),
  };
}

function mergeHistograms(reports: readonly LatencyReport[]): Record<string, ReportHistogram> {
  const names = [...new Set(reports.flatMap((r) => Object.keys(r.histograms)))];
  const merged: Record<string, ReportHistogram> = {};
  for (const name of names) {
    const parts = reports.map((r) => r.histograms[name]).filter((h): h is ReportHistogram => h !== undefined);
    const encoded = addOrExplain(parts.map((p) => p.encoded), `histogram ${name}`);
    const description = HISTOGRAM_DESCRIPTIONS[name as keyof typeof HISTOGRAM_DESCRIPTIONS] ?? parts[0]!.description;
    merged[name] = { unit: 'us', description, encoded, summary: summarizeEncoded(encoded) };
  }
  return merged;
}

function mergeConfigs(configs: readonly LatencyConfig[], names: readonly string[]): LatencyConfig {
  const first = configs[0]!;
  const sameEverywhere = <T>(pick: (c: LatencyConfig) => T): T | 'mixed' => {
    const key = JSON.stringify(pick(first));
    return configs.every((c) => JSON.stringify(pick(c)) === key) ? pick(first) : 'mixed';
  };
  const mix = sameEverywhere((c) => c.mix);
  return {
    rate: sum(configs.map((c) => c.rate)),
    durationMs: Math.max(...configs.map((c) => c.durationMs)),
    warmupMs: Math.max(...configs.map((c) => c.warmupMs)),
    listeners: sum(configs.map((c) => c.listeners)),
    writers: sum(configs.map((c) => c.writers)),
    fullDocument: sameEverywhere((c) => c.fullDocument),
    mix: mix === 'mixed' ? {} : mix,
    ...(configs.some((c) => c.coldShard) && { coldShard: true }),
    sources: [...names],
  };
}

function mergeTargets(targets: readonly ReportTarget[]): ReportTarget {
  const first = targets[0]!;
  const uris = [...new Set(targets.map((t) => t.uri))];
  const versions = [...new Set(targets.map((t) => t.serverVersion))];
  const notes = [...new Set(targets.flatMap((t) => t.notes ?? []))];
  if (uris.length > 1) notes.push(`merged from ${uris.length} different targets`);
  return {
    uri: uris.length === 1 ? first.uri : uris.join(', '),
    embedded: targets.every((t) => t.embedded),
    serverVersion: versions.join(', '),
    topology: first.topology,
    ...(first.shards !== undefined && { shards: Math.max(...targets.map((t) => t.shards ?? 0)) }),
    ...(notes.length > 0 && { notes }),
    sources: targets.map((t) => t.uri),
  };
}

function mergeRates(rates: readonly RateSummary[]): RateSummary {
  return {
    requested: sum(rates.map((r) => r.requested)),
    achieved: sum(rates.map((r) => r.achieved)),
    maxBehindMs: Math.max(...rates.map((r) => r.maxBehindMs)),
    writes: sum(rates.map((r) => r.writes)),
    writeErrors: sum(rates.map((r) => r.writeErrors)),
  };
}

function mergeStaggers(reports: readonly LatencyReport[], names: readonly string[]): StaggerSummary {
  const all = reports.map((r) => r.staggers);
  const encoded = addOrExplain(all.map((s) => s.histogram.encoded), 'the staggers histogram');
  const worst = reports
    .flatMap((r, i) =>
      r.staggers.worst.map((s) => ({ ...s, listener: `${names[i]}${s.listener === undefined ? '' : `:${s.listener}`}` })),
    )
    .sort((a, b) => b.gapMs - a.gapMs)
    .slice(0, Math.max(WORST_STAGGERS_KEPT, ...all.map((s) => s.worst.length)));
  return {
    // a gap only counts as a stagger above the threshold; with differing thresholds the strictest one
    // that every source applied is the smallest
    thresholdMs: Math.min(...all.map((s) => s.thresholdMs)),
    count: sum(all.map((s) => s.count)),
    histogram: { unit: 'us', encoded, summary: summarizeEncoded(encoded) },
    worst,
  };
}

/**
 * Buckets of the same second are added. Percentiles come from the added per-second histograms when every
 * source saved them; otherwise the larger of the sources' values is kept (an upper bound, never an average).
 */
function mergeTimelines(timelines: readonly TimelineBucket[][]): TimelineBucket[] {
  const bySecond = new Map<number, TimelineBucket[]>();
  for (const bucket of timelines.flat()) {
    const list = bySecond.get(bucket.second) ?? [];
    list.push(bucket);
    bySecond.set(bucket.second, list);
  }
  return [...bySecond.entries()]
    .sort(([a], [b]) => a - b)
    .map(([second, buckets]) => {
      const events = sum(buckets.map((b) => b.events));
      if (buckets.every((b) => b.encoded !== undefined)) {
        const encoded = addEncoded(buckets.map((b) => b.encoded!));
        const s = summarizeEncoded(encoded);
        return { second, events, p50us: s.p50, p99us: s.p99, maxUs: s.max, encoded };
      }
      return {
        second,
        events,
        p50us: Math.max(...buckets.map((b) => b.p50us)),
        p99us: Math.max(...buckets.map((b) => b.p99us)),
        maxUs: Math.max(...buckets.map((b) => b.maxUs)),
      };
    });
}

function mergeAudits(reports: readonly LatencyReport[], names: readonly string[]): Audit {
  const audits = reports.map((r) => r.audit);
  const perListener = reports.flatMap((r, i) =>
    (r.audit.perListener ?? []).map((l) => ({ ...l, listener: `${names[i]}:${l.listener}` })),
  );
  return {
    expected: sum(audits.map((a) => a.expected)),
    received: sum(audits.map((a) => a.received)),
    lost: sum(audits.map((a) => a.lost)),
    duplicated: sum(audits.map((a) => a.duplicated)),
    ...(perListener.length > 0 && { perListener }),
  };
}

/** Adds encoded histograms; a corrupt one is the user's file, not a bug. */
function addOrExplain(encoded: readonly string[], what: string): string {
  try {
    return addEncoded(encoded);
  } catch {
    throw new UserError(`cannot merge: ${what} of one of the reports is not a valid encoded histogram`);
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/**
 * Load and mutate results as text: pure functions from the plain summary objects to strings.
 */
import pc from 'picocolors';
import type { LoadPlan, LoadSummary } from '../load/loader.js';
import type { MutatorProgress, MutatorSummary } from '../mutate/mutator.js';
import { formatMix, OP_KINDS } from '../mutate/mix.js';

const n = (value: number): string => Math.round(value).toLocaleString('en-US');

/**
 * Rates a large load is announced with before anything is measured: the embedded sharded cluster's from
 * bench/sharded-load (8,000,000 in under a minute on 2 cores: ~150,000 docs/s), and a conservative one
 * for a real cluster over a network (batches of 1,000, a few workers).
 */
export const ASSUMED_LOAD_RATES = { embedded: 150_000, network: 20_000 } as const;
/** Loads from this size on are announced up front. */
export const ANNOUNCE_FROM_DOCS = 1_000_000;

/** "loading 8,000,013 documents into market.stocksymbols (the large data set: the target is a mongos) ...". */
export function renderLoadPlan(plan: LoadPlan): string | undefined {
  if (plan.planned < ANNOUNCE_FROM_DOCS) return undefined;
  const why = { mongos: 'the large data set, because the target is a mongos; --count sets another size', 'sharded-flag': 'the large data set (--sharded)', count: '--count', default: 'the default' }[plan.why];
  const rate = plan.isEmbedded ? ASSUMED_LOAD_RATES.embedded : ASSUMED_LOAD_RATES.network;
  return `loading ${n(plan.planned)} documents into ${plan.namespace} (${why}): about ${formatMinutes(plan.planned / rate)} at an assumed ${n(rate)} docs/s` +
    `${plan.isEmbedded ? ' (the embedded server)' : ''}; Ctrl-C stops it and says how to remove what was loaded`;
}

/** "loaded 412,000 of 8,000,013 in 5 s (82,400 docs/s): about 1.5 min to go" — the measured rate, once known. */
export function renderLoadPace(done: number, planned: number, seconds: number): string {
  const rate = done / Math.max(seconds, 1e-3);
  return `loaded ${n(done)} of ${n(planned)} in ${Math.round(seconds)} s (${n(rate)} docs/s measured): about ${formatMinutes((planned - done) / Math.max(rate, 1))} to go`;
}

function formatMinutes(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** `cleanHint`: how to run `ticker clean` here, named after an interrupted load (false: nothing to clean). */
export function renderLoadSummary(summary: LoadSummary, { colour, cleanHint = '`ticker clean`' }: { colour: boolean; cleanHint?: string | false }): string {
  const c = pc.createColors(colour);
  const head = summary.interrupted
    ? c.yellow(`interrupted: ${summary.namespace} holds ${n(summary.documents)} of ${n(summary.planned)} documents`)
    : `${c.green('loaded')} ${n(summary.documents)} documents into ${summary.namespace}`;
  const detail = `${summary.seconds.toFixed(2)} s, ${n(summary.docsPerSecond)} docs/s, ${summary.workers === 0 ? 'this thread alone (too small for worker threads to pay off)' : `${summary.workers} worker${summary.workers === 1 ? '' : 's'}`}, batches of ${n(summary.batchSize)}`;
  const extra: string[] = [];
  if (!summary.interrupted) extra.push(`${n(summary.bulk)} bulk + ${summary.familiar} familiar symbols inserted by this load`);
  if (summary.foreign > 0) extra.push(c.red(`${n(summary.foreign)} found that this load did not write`));
  if (!summary.interrupted && summary.workers > 0 && summary.mainThreadDocs > 0) extra.push(`${n(summary.mainThreadDocs)} written by the main thread while the pool started`);
  if (summary.sharded) extra.push('sharded on { _id: 1 }');
  if (summary.retriedBatches > 0) extra.push(`${summary.retriedBatches} batch${summary.retriedBatches === 1 ? '' : 'es'} retried`);
  const left = summary.interrupted && summary.documents > 0 && cleanHint !== false
    ? [`  left ${n(summary.documents)} document${summary.documents === 1 ? '' : 's'} in ${summary.namespace}: ${cleanHint} removes them`]
    : [];
  return [head, `  ${detail}`, ...(extra.length ? [`  ${extra.join(', ')}`] : []), ...left].join('\n');
}

export function renderMutateSummary(summary: MutatorSummary, { colour, interrupted = false }: { colour: boolean; interrupted?: boolean }): string {
  const c = pc.createColors(colour);
  const total = OP_KINDS.reduce((sum, kind) => sum + summary.opsByKind[kind], 0);
  const errors = OP_KINDS.reduce((sum, kind) => sum + summary.errorsByKind[kind], 0);
  const lines = [
    `${interrupted ? c.yellow('stopped') : c.green('done')}: ${n(total)} operations in ${(summary.elapsedMs / 1000).toFixed(1)} s, ` +
      `${summary.achievedRate.toFixed(summary.achievedRate < 100 ? 2 : 0)} ops/s achieved of ${summary.requestedRate} requested (mix ${formatMix(summary.mix)})`,
  ];
  for (const kind of OP_KINDS) {
    if (summary.mix[kind] === 0) continue;
    const err = summary.errorsByKind[kind];
    const first = summary.firstErrorByKind[kind];
    lines.push(`  ${kind.padEnd(9)} ${n(summary.opsByKind[kind]).padStart(9)}${err > 0 ? c.red(`  ${n(err)} errors (${first ?? ''})`) : ''}`);
  }
  lines.push(`  send lag p50 ${summary.lag.p50.toFixed(2)} ms, p99 ${summary.lag.p99.toFixed(2)} ms, max ${summary.lag.max.toFixed(2)} ms`);
  if (summary.unsent > 0) {
    lines.push(c.yellow(`  fell behind: ended on time with ${n(summary.unsent)} planned operations never sent (at most ${(summary.maxBehindMs / 1000).toFixed(1)} s behind the plan): ${summary.requestedRate} ops/s is more than this client and server keep up with`));
  }
  if (summary.abandoned > 0) {
    lines.push(c.yellow(`  gave up waiting after ${(summary.drainMs / 1000).toFixed(1)} s for ${n(summary.abandoned)} operation${summary.abandoned === 1 ? '' : 's'} still in flight: not counted above, outcome unknown (the server may still apply ${summary.abandoned === 1 ? 'it' : 'them'})`));
  }
  if (errors > 0) lines.push(c.red(`  ${n(errors)} errors`));
  return lines.join('\n');
}

/** The live counter line (TTY only): one line, rewritten in place by the caller. */
export function renderMutateProgress(progress: MutatorProgress, requestedRate: number): string {
  const total = OP_KINDS.reduce((sum, kind) => sum + progress.opsByKind[kind], 0);
  const errors = OP_KINDS.reduce((sum, kind) => sum + progress.errorsByKind[kind], 0);
  const rate = progress.elapsedMs > 0 ? (progress.issued * 1000) / progress.elapsedMs : 0;
  const kinds = OP_KINDS.map((kind) => `${kind} ${n(progress.opsByKind[kind])}`).join(' · ');
  return `${(progress.elapsedMs / 1000).toFixed(0)}s · ${n(total)} ops · ${rate.toFixed(1)}/${requestedRate} ops/s · ${kinds} · errors ${n(errors)} · in flight ${progress.inFlight}`;
}

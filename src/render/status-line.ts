/**
 * The status line under the live table (and under `trace` on a terminal): events/s, stream lag, time
 * since the last event, the staggers seen, and a STAGGER flag while the server holds the stream's events
 * back past the threshold (measured from the stream by the watcher; src/measure/staggers.ts). When
 * nothing arrives for a while and nothing is held back, a nudge says how to start writing.
 */
import { isStaggerGap } from '../measure/staggers.js';

export interface StreamStats {
  /** Events delivered since the start. */
  events: number;
  /** Events per second over the recent window. */
  eventsPerSecond: number;
  /** Receipt − server wall time of the latest event, ms. */
  lagMs: number | null;
  /** Milliseconds since the latest event, or null before the first. */
  sinceLastMs: number | null;
  /** Milliseconds since the stream opened (for the nudge before any event). */
  sinceStartMs: number;
  /** Whether events were arriving steadily before (so silence means a stall). */
  expectingChanges: boolean;
  resyncs: number;
  /** How long the server has held this stream's events back, ms (0: not held). */
  heldBackMs: number;
  staggerThresholdMs: number;
  /** Staggers seen so far, and the longest. */
  staggers: number;
  longestStaggerMs: number;
  /** Shown after `nudgeAfterMs` of silence: how to start a writer. */
  idleHint?: string;
  nudgeAfterMs: number;
}

/** Silence this long, with nothing held back, means nothing is writing. */
export const NUDGE_AFTER_MS = 10_000;

export function isStagger(stats: StreamStats): boolean {
  return stats.expectingChanges && isStaggerGap(stats.heldBackMs, stats.staggerThresholdMs);
}

/** Nothing arrived for a while and the server is not holding anything back: nothing seems to write. */
export function isIdle(stats: Pick<StreamStats, 'sinceLastMs' | 'sinceStartMs' | 'heldBackMs' | 'staggerThresholdMs' | 'nudgeAfterMs'>): boolean {
  const silentFor = stats.sinceLastMs ?? stats.sinceStartMs;
  return silentFor >= stats.nudgeAfterMs && !isStaggerGap(stats.heldBackMs, stats.staggerThresholdMs);
}

export interface StatusParts {
  text: string;
  stagger: boolean;
}

export function formatStatusLine(stats: StreamStats): StatusParts {
  const parts = [
    `${stats.events} event${stats.events === 1 ? '' : 's'}`,
    `${stats.eventsPerSecond.toFixed(1)}/s`,
    `lag ${stats.lagMs === null ? '—' : formatMsShort(stats.lagMs)}`,
    `last ${stats.sinceLastMs === null ? '—' : `${formatSeconds(stats.sinceLastMs)} ago`}`,
  ];
  if (stats.resyncs > 0) parts.push(`${stats.resyncs} resync${stats.resyncs === 1 ? '' : 's'}`);
  if (stats.staggers > 0) parts.push(`${stats.staggers} stagger${stats.staggers === 1 ? '' : 's'} (longest ${formatSeconds(stats.longestStaggerMs)})`);
  const stagger = isStagger(stats);
  if (stagger) parts.push(`STAGGER: events held back ${formatSeconds(stats.heldBackMs)}`);
  else if (isStaggerGap(stats.heldBackMs, stats.staggerThresholdMs)) parts.push(`held back ${formatSeconds(stats.heldBackMs)}`);
  else if (stats.idleHint && isIdle(stats)) parts.push(stats.idleHint);
  return { text: parts.join(' · '), stagger };
}

/** The nudge, as the status line shows it: "nothing seems to be writing to market.stocksymbols: start `ticker mutate` in another terminal". */
export function idleNudge(namespace: string, mutateHint: string): string {
  return `nothing seems to be writing to ${namespace}: start ${mutateHint} in another terminal`;
}

/** The nudge as a line of its own (no terminal to keep a status line on). */
export function idleNudgeLine(namespace: string, mutateHint: string, silentMs: number): string {
  return `no change for ${Math.round(silentMs / 1000)}s: ${idleNudge(namespace, mutateHint)}`;
}

export function formatMsShort(ms: number): string {
  if (Math.abs(ms) < 10) return `${ms.toFixed(1)} ms`;
  if (Math.abs(ms) < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/**
 * The status line under the live table: events/s, stream lag, time since the last event, and a
 * "stagger" flag when changes are expected but none arrived for more than two seconds.
 */

export interface StreamStats {
  /** Events delivered since the start. */
  events: number;
  /** Events per second over the recent window. */
  eventsPerSecond: number;
  /** Receipt − server wall time of the latest event, ms. */
  lagMs: number | null;
  /** Milliseconds since the latest event, or null before the first. */
  sinceLastMs: number | null;
  /** Whether events were arriving steadily before (so silence means a stall). */
  expectingChanges: boolean;
  resyncs: number;
}

/** Silence longer than this, while changes are expected, is a stagger. */
export const STAGGER_MS = 2000;

export function isStagger(stats: StreamStats): boolean {
  return stats.expectingChanges && stats.sinceLastMs !== null && stats.sinceLastMs > STAGGER_MS;
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
  const stagger = isStagger(stats);
  if (stagger) parts.push(`STAGGER: no event for ${formatSeconds(stats.sinceLastMs!)}`);
  return { text: parts.join(' · '), stagger };
}

export function formatMsShort(ms: number): string {
  if (Math.abs(ms) < 10) return `${ms.toFixed(1)} ms`;
  if (Math.abs(ms) < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

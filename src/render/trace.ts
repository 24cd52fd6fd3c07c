/**
 * `ticker trace` output: pure functions from watcher events to lines. No measuring, no TTY detection:
 * the caller says whether to colour.
 */
import pc from 'picocolors';
import type { ChangeEvent, ResyncEvent, SnapshotEvent, StaggerEvent, WatchEvent } from '../watch/watcher.js';

export interface TraceRenderOptions {
  colour: boolean;
  /** Time zone offset for tests; default the local one. */
  utc?: boolean;
}

/** `13:45:01.2345`: local wall time to a tenth of a millisecond. */
export function formatClock(epochMs: number, utc = false): string {
  const date = new Date(Math.floor(epochMs));
  const [h, m, s] = utc ? [date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()] : [date.getHours(), date.getMinutes(), date.getSeconds()];
  const tenthsOfMs = Math.floor((((epochMs % 1000) + 1000) % 1000) * 10);
  return `${pad2(h)}:${pad2(m)}:${pad2(s)}.${String(tenthsOfMs).padStart(4, '0')}`;
}

/** `+2`, `-13`, `0`, or '' when either side is unknown. */
export function formatChange(previous: number | null, price: number | null): string {
  if (previous === null || price === null) return '';
  const delta = price - previous;
  return delta > 0 ? `+${delta}` : String(delta);
}

/** One line per change: symbol, old → new price, change, receipt time. */
export function formatTraceLine(event: ChangeEvent, options: TraceRenderOptions): string {
  const c = pc.createColors(options.colour);
  const time = c.dim(formatClock(event.at, options.utc));
  const symbol = c.bold(event.symbol.padEnd(7));
  if (event.op === 'delete') return `${symbol} ${c.dim('deleted'.padStart(17))}        ${time}`;
  const previous = event.previous === null ? '—' : String(event.previous);
  const price = event.price === null ? '?' : String(event.price);
  const change = formatChange(event.previous, event.price);
  const colouredChange = change.startsWith('+') ? c.green(change.padStart(6)) : change.startsWith('-') ? c.red(change.padStart(6)) : change.padStart(6);
  const op = event.op === 'update' ? '' : c.dim(` (${event.op})`);
  return `${symbol} ${previous.padStart(6)} → ${price.padEnd(6)} ${colouredChange}  ${time}${op}`;
}

/** The snapshot as one informative line (stderr in text mode). */
export function formatSnapshotLine(event: SnapshotEvent, followed: readonly string[]): string {
  const prices = followed.map((s) => `${s} ${event.prices[s] ?? '—'}`).join(', ');
  return `following ${followed.length} symbol${followed.length === 1 ? '' : 's'}: ${prices}`;
}

export function formatResyncLine(event: ResyncEvent): string {
  return `resync: ${event.reason}`;
}

/** A stagger once it ended (stderr in text mode): how long events were held back, and the burst. */
export function formatStaggerLine(event: StaggerEvent, utc = false): string {
  return `stagger: events held back ${(event.gapMs / 1000).toFixed(1)}s from ${formatClock(event.startAt, utc)}, then ${event.burst} released at once (over the ${event.thresholdMs} ms threshold)`;
}

/** The side note of a non-change event (stderr in text mode). */
export function formatNoteLine(event: Exclude<WatchEvent, ChangeEvent>, followed: readonly string[]): string {
  if (event.kind === 'snapshot') return formatSnapshotLine(event, followed);
  if (event.kind === 'stagger') return formatStaggerLine(event);
  return formatResyncLine(event);
}

/** NDJSON: one event per line, every field as the watcher gave it. */
export function formatTraceJson(event: WatchEvent): string {
  return JSON.stringify(event);
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

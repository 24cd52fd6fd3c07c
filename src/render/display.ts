/**
 * `ticker display`: a live full-screen table of prices. The state is plain data updated by
 * `applyEvent`; `renderScreen` is a pure function from (state, time, size) to the screen's lines, so it
 * is tested on saved states. `src/render/display-terminal.ts` puts the lines on a terminal.
 */
import pc from 'picocolors';
import type { WatchEvent } from '../watch/watcher.js';
import { formatChange } from './trace.js';
import { DEFAULT_STAGGER_THRESHOLD_MS } from '../measure/staggers.js';
import { formatStatusLine, NUDGE_AFTER_MS, type StreamStats } from './status-line.js';

export interface Row {
  price: number | null;
  /** Price before the latest change. */
  previous: number | null;
  /** Receipt time of the latest change (epoch ms), or null if unchanged since the snapshot. */
  changedAt: number | null;
  changes: number;
}

/** The stream's health as the status line shows it, kept as it is (heldBackMs: as the watcher measured it at the last draw). */
type StreamHealth = Pick<StreamStats, 'resyncs' | 'heldBackMs' | 'staggerThresholdMs' | 'staggers' | 'longestStaggerMs' | 'idleHint' | 'nudgeAfterMs'>;

export interface DisplayState extends StreamHealth {
  /** Rows in display order. */
  symbols: string[];
  rows: Record<string, Row>;
  /** Company names for the familiar symbols. */
  companies: Record<string, string>;
  events: number;
  /** Receipt times of recent events (for events/s), oldest first. */
  recent: number[];
  lastEventAt: number | null;
  lastLagMs: number | null;
  /** Shown in the title: the redacted address and namespace. */
  title: string;
  /** With `--all`, events of symbols outside the table are counted here. */
  otherEvents: number;
  /** When the display began (epoch ms): the nudge counts silence from here before the first event. */
  startedAt: number;
}

export interface DisplayStateOptions {
  staggerThresholdMs?: number;
  idleHint?: string;
  nudgeAfterMs?: number;
  startedAt?: number;
}

/** How long a changed price stays highlighted. */
export const HIGHLIGHT_MS = 2000;
/** The window for events/s and for deciding that changes are expected. */
export const RATE_WINDOW_MS = 10_000;

export function createDisplayState(symbols: readonly string[], companies: Record<string, string>, title: string, options: DisplayStateOptions = {}): DisplayState {
  const rows: Record<string, Row> = {};
  for (const s of symbols) rows[s] = { price: null, previous: null, changedAt: null, changes: 0 };
  const state: DisplayState = {
    symbols: [...symbols], rows, companies, events: 0, recent: [], lastEventAt: null, lastLagMs: null, resyncs: 0, title, otherEvents: 0,
    startedAt: options.startedAt ?? Date.now(), heldBackMs: 0, staggerThresholdMs: options.staggerThresholdMs ?? DEFAULT_STAGGER_THRESHOLD_MS,
    staggers: 0, longestStaggerMs: 0, nudgeAfterMs: options.nudgeAfterMs ?? NUDGE_AFTER_MS,
  };
  if (options.idleHint !== undefined) state.idleHint = options.idleHint;
  return state;
}

/** Folds one watcher event into the state (mutates and returns it). */
export function applyEvent(state: DisplayState, event: WatchEvent): DisplayState {
  switch (event.kind) {
    case 'snapshot':
      for (const symbol of state.symbols) {
        const row = state.rows[symbol]!;
        row.price = event.prices[symbol] ?? null;
      }
      break;
    case 'resync':
      state.resyncs++;
      break;
    case 'stagger':
      state.staggers++;
      state.longestStaggerMs = Math.max(state.longestStaggerMs, event.gapMs);
      break;
    case 'change': {
      state.events++;
      state.recent.push(event.at);
      trimRecent(state, event.at);
      state.lastEventAt = event.at;
      if (event.wallTime !== null) state.lastLagMs = event.at - event.wallTime;
      const row = state.rows[event.symbol];
      if (!row) {
        state.otherEvents++;
        break;
      }
      row.previous = event.previous ?? row.price;
      row.price = event.price;
      row.changedAt = event.at;
      row.changes++;
      break;
    }
  }
  return state;
}

function trimRecent(state: DisplayState, now: number): void {
  let drop = 0;
  while (drop < state.recent.length && state.recent[drop]! < now - RATE_WINDOW_MS) drop++;
  if (drop > 0) state.recent.splice(0, drop);
  if (state.recent.length > 100_000) state.recent.splice(0, state.recent.length - 100_000);
}

export function streamStats(state: DisplayState, now: number): StreamStats {
  const windowStart = now - RATE_WINDOW_MS;
  const inWindow = state.recent.filter((t) => t >= windowStart).length;
  // Seconds of the window actually observed (a run younger than the window is not diluted).
  const first = state.recent[0];
  const span = first === undefined ? RATE_WINDOW_MS : Math.min(RATE_WINDOW_MS, Math.max(1000, now - first));
  return {
    events: state.events,
    eventsPerSecond: (inWindow * 1000) / span,
    lagMs: state.lastLagMs,
    sinceLastMs: state.lastEventAt === null ? null : Math.max(0, now - state.lastEventAt),
    sinceStartMs: Math.max(0, now - state.startedAt),
    // Steady traffic before the silence: at least 3 events in the window (0.3/s).
    expectingChanges: inWindow >= 3,
    resyncs: state.resyncs,
    heldBackMs: state.heldBackMs,
    staggerThresholdMs: state.staggerThresholdMs,
    staggers: state.staggers,
    longestStaggerMs: state.longestStaggerMs,
    nudgeAfterMs: state.nudgeAfterMs,
    ...(state.idleHint === undefined ? {} : { idleHint: state.idleHint }),
  };
}

export interface ScreenOptions {
  now: number;
  width: number;
  height: number;
  colour: boolean;
}

/**
 * The whole screen as lines, each at most `width` visible characters. Recently changed rows are in
 * reverse video (an attribute, not a colour: kept with NO_COLOR); arrows are green/red only with colour.
 */
export function renderScreen(state: DisplayState, options: ScreenOptions): string[] {
  const { now, colour } = options;
  const width = Math.max(20, options.width);
  const height = Math.max(5, options.height);
  const c = pc.createColors(colour);
  const lines: string[] = [];

  lines.push(fit(`ticker display · ${state.title}`, width));
  lines.push('');

  const showCompany = width >= 64;
  const companyWidth = showCompany ? Math.min(38, Math.max(12, width - 48)) : 0;
  const header = ['SYMBOL'.padEnd(8), showCompany ? 'COMPANY'.padEnd(companyWidth) : '', 'PRICE'.padStart(7), 'CHANGE'.padStart(8), '   ', 'UPDATED'.padStart(8)]
    .filter((p) => p !== '')
    .join(' ');
  lines.push(c.bold(fit(header, width)));

  // Title, blank, header; status, blank, help below.
  const room = height - 6;
  const shown = state.symbols.length <= room ? state.symbols : state.symbols.slice(0, Math.max(0, room - 1));
  for (const symbol of shown) {
    const row = state.rows[symbol]!;
    const recent = row.changedAt !== null && now - row.changedAt < HIGHLIGHT_MS;
    const change = row.changedAt === null ? '' : formatChange(row.previous, row.price);
    const arrow = arrowOf(row);
    const parts = [
      symbol.padEnd(8),
      showCompany ? truncate(state.companies[symbol] ?? '', companyWidth).padEnd(companyWidth) : '',
      (row.price === null ? '—' : String(row.price)).padStart(7),
      change.padStart(8),
      ` ${arrow} `,
      (row.changedAt === null ? '' : `${formatAge(now - row.changedAt)}`).padStart(8),
    ].filter((p) => p !== '');
    let line = fit(parts.join(' ').trimEnd(), width);
    if (colour && arrow === '▲') line = line.replace(' ▲ ', ` ${c.green('▲')} `);
    if (colour && arrow === '▼') line = line.replace(' ▼ ', ` ${c.red('▼')} `);
    lines.push(recent ? reverse(line) : line);
  }
  if (shown.length < state.symbols.length) lines.push(c.dim(fit(`… ${state.symbols.length - shown.length} more (enlarge the terminal)`, width)));

  while (lines.length < height - 3) lines.push('');
  const status = formatStatusLine(streamStats(state, now));
  const other = state.otherEvents > 0 ? ` · ${state.otherEvents} other` : '';
  const statusText = fit(status.text + other, width);
  lines.push(status.stagger ? (colour ? c.yellow(statusText) : reverse(statusText)) : statusText);
  lines.push('');
  lines.push(c.dim(fit('Ctrl-C to quit', width)));
  return lines.slice(0, height);
}

function arrowOf(row: Row): string {
  if (row.changedAt === null || row.previous === null || row.price === null) return ' ';
  if (row.price > row.previous) return '▲';
  if (row.price < row.previous) return '▼';
  return '=';
}

function formatAge(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m`;
  return `${Math.floor(ms / 3_600_000)}h`;
}

export function reverse(text: string): string {
  return `\x1b[7m${text}\x1b[27m`;
}

export function fit(text: string, width: number): string {
  return text.length > width ? text.slice(0, Math.max(0, width - 1)) + '…' : text;
}

function truncate(text: string, width: number): string {
  return text.length > width ? text.slice(0, Math.max(0, width - 1)) + '…' : text;
}

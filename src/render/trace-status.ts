/**
 * The status line `ticker trace` keeps under its output on a terminal: the same stream figures as the
 * display's (events/s, lag, time since the last event) and a STAGGER flag while one happens. Renders
 * only: it folds the watcher's events into the display's plain state and draws from it.
 */
import pc from 'picocolors';
import type { WatchEvent } from '../watch/watcher.js';
import { applyEvent, createDisplayState, fit, reverse, streamStats, type DisplayStateOptions } from './display.js';
import { formatStatusLine } from './status-line.js';

export interface StatusTerminal {
  write(text: string): unknown;
  columns?: number;
}

export class TraceStatusLine {
  private readonly state;
  private timer: NodeJS.Timeout | undefined;
  private shown = false;

  /** `heldBackMs`: how long the server holds the stream back now (the watcher's measure). */
  constructor(
    private readonly out: StatusTerminal,
    private readonly colour: boolean,
    options: DisplayStateOptions & { heldBackMs?: (now: number) => number } = {},
  ) {
    this.state = createDisplayState([], {}, '', options);
    this.heldBackMs = options.heldBackMs ?? (() => 0);
  }

  private readonly heldBackMs: (now: number) => number;

  /** Redraws every `refreshMs` so the time since the last event keeps counting. */
  start(refreshMs = 250): void {
    this.timer = setInterval(() => this.draw(), refreshMs);
    this.timer.unref();
  }

  onEvent(event: WatchEvent): void {
    applyEvent(this.state, event);
  }

  /** Before a line goes to the same terminal: the status line is erased, to be redrawn under it. */
  clear(): void {
    if (!this.shown) return;
    this.out.write('\r\x1b[K');
    this.shown = false;
  }

  draw(now = Date.now()): void {
    this.state.heldBackMs = this.heldBackMs(now);
    const { text, stagger } = formatStatusLine(streamStats(this.state, now));
    // One terminal line at most: a wrapped status could not be erased with \r.
    const fitted = fit(text, Math.max(10, (this.out.columns ?? 80) - 1));
    const c = pc.createColors(this.colour);
    this.out.write(`\r\x1b[K${stagger ? (this.colour ? c.yellow(fitted) : reverse(fitted)) : c.dim(fitted)}`);
    this.shown = true;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.clear();
  }
}

/**
 * Runs the live display for a watcher until `signal` aborts: a full-screen table on a TTY, or
 * trace-style lines when the output is not a terminal. Renders only; the watcher measures nothing.
 */
import { FAMILIAR_SYMBOLS } from '../load/dataset.js';
import type { Watcher, WatchEvent } from '../watch/watcher.js';
import { applyEvent, createDisplayState, renderScreen, streamStats, type DisplayState } from './display.js';
import { FullScreen, type TerminalLike } from './display-terminal.js';
import { IdleNudge, idleHintOf } from './idle-nudge.js';
import { formatNoteLine, formatTraceLine } from './trace.js';

export interface LiveDisplayOptions {
  watcher: Watcher;
  symbols: readonly string[];
  title: string;
  signal: AbortSignal;
  out?: TerminalLike & { isTTY?: boolean };
  colour: boolean;
  /** Redraw at least this often (ages, highlight expiry, status). Default 250 ms. */
  refreshMs?: number;
  /** Lines for the non-TTY fallback's side notes (snapshot, resync, stagger, nudge); default stderr. */
  note?: (line: string) => void;
  staggerThresholdMs?: number;
  /** The namespace and `ticker mutate` command line for the "nothing is writing" nudge; none without. */
  nudge?: { namespace: string; mutateHint: string; afterMs?: number };
}

export interface LiveDisplayResult {
  changes: number;
  resyncs: number;
  state: DisplayState;
}

const COMPANIES: Record<string, string> = Object.fromEntries(FAMILIAR_SYMBOLS.map((f) => [f.symbol, f.company]));

export async function runLiveDisplay(options: LiveDisplayOptions): Promise<LiveDisplayResult> {
  const out = options.out ?? process.stdout;
  const state = createDisplayState(options.symbols, COMPANIES, options.title, {
    ...(options.staggerThresholdMs === undefined ? {} : { staggerThresholdMs: options.staggerThresholdMs }),
    ...(options.nudge ? { idleHint: idleHintOf(options.nudge) } : {}),
    ...(options.nudge?.afterMs === undefined ? {} : { nudgeAfterMs: options.nudge.afterMs }),
  });
  const note = options.note ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const tty = out.isTTY === true;
  // Without a screen, the nudge is a line of its own, once per silence.
  const nudge = !tty && options.nudge ? new IdleNudge(options.nudge, note) : undefined;

  let screen: FullScreen | undefined;
  let pending: NodeJS.Timeout | undefined;
  const draw = (): void => {
    pending = undefined;
    if (!screen) return;
    const { width, height } = screen.size;
    const now = Date.now();
    state.heldBackMs = options.watcher.heldBackMs(); // on the watcher's own clock (epochNow)
    screen.draw(renderScreen(state, { now, width, height, colour: options.colour }));
  };
  /** Events come in bursts: draw at most every 30 ms. */
  const scheduleDraw = (): void => {
    pending ??= setTimeout(draw, 30);
  };

  const onEvent = (event: WatchEvent): void => {
    applyEvent(state, event);
    if (tty) return scheduleDraw();
    if (event.kind === 'change') out.write(`${formatTraceLine(event, { colour: options.colour })}\n`);
    else note(formatNoteLine(event, options.symbols));
  };

  const unsubscribe = options.watcher.subscribe(onEvent);
  let refresh: NodeJS.Timeout | undefined;
  try {
    if (tty) {
      screen = new FullScreen(out, draw);
      screen.enter();
      draw();
      refresh = setInterval(draw, options.refreshMs ?? 250);
    } else if (nudge) {
      refresh = setInterval(() => {
        const now = Date.now();
        state.heldBackMs = options.watcher.heldBackMs(); // on the watcher's own clock (epochNow)
        nudge.check(streamStats(state, now));
      }, 1_000);
      refresh.unref();
    }
    await Promise.race([
      new Promise<void>((resolve) => {
        if (options.signal.aborted) resolve();
        options.signal.addEventListener('abort', () => resolve(), { once: true });
      }),
      options.watcher.done,
    ]);
  } finally {
    unsubscribe();
    if (refresh) clearInterval(refresh);
    if (pending) clearTimeout(pending);
    screen?.close();
  }
  return { changes: state.events, resyncs: state.resyncs, state };
}

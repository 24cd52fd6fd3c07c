/**
 * Screenshots a report's HTML in headless Chromium and checks that the page rendered:
 *   node dist/scripts/screenshot-report.js reports/x.html [out.png] [--full-page]
 * Fails (exit 1) when the PNG is missing or tiny, when the page logged an error (console.error, an
 * uncaught exception, a resource that failed to load), or when a plot is there but not visible.
 *
 * Chromium is driven through the DevTools protocol over a pipe (--remote-debugging-pipe: NUL-terminated
 * JSON on fds 3 and 4), which reports console messages with their level. Chromium's own log no longer
 * does (every console message is logged as INFO:CONSOLE), so it cannot tell console.error from console.log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
/** A blank 1200×1600 PNG is a few kB; a rendered report is far larger. */
const MIN_PNG_BYTES = 20_000;
const TIMEOUT_MS = 60_000;
const WIDTH = 1200;
const HEIGHT = 1600;

export interface ScreenshotOptions {
  /** The whole page rather than the first 1200×1600 pixels. */
  fullPage?: boolean;
}

export interface ScreenshotResult {
  png: string;
  bytes: number;
  /** console.error/assert calls, uncaught exceptions and failed loads, as the page reported them. */
  consoleErrors: string[];
  /** The page's <svg> plots, and how many of them have no visible size. */
  plots: number;
  hiddenPlots: number;
}

type Message = { id?: number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { message: string }; sessionId?: string };

/** A DevTools-protocol connection over Chromium's debugging pipe. */
class Devtools {
  private nextId = 1;
  private buffer = '';
  private readonly pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  private readonly listeners: Array<(m: Message) => void> = [];

  constructor(private readonly input: Writable, output: Readable) {
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end;
      while ((end = this.buffer.indexOf('\0')) >= 0) {
        const message = JSON.parse(this.buffer.slice(0, end)) as Message;
        this.buffer = this.buffer.slice(end + 1);
        this.dispatch(message);
      }
    });
  }

  private dispatch(message: Message): void {
    if (message.id !== undefined) {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) waiter?.reject(new Error(message.error.message));
      else waiter?.resolve(message.result ?? {});
      return;
    }
    for (const listen of this.listeners) listen(message);
  }

  on(listen: (m: Message) => void): void {
    this.listeners.push(listen);
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    this.input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    return new Promise((resolvePromise, reject) => this.pending.set(id, { resolve: resolvePromise, reject }));
  }

  failAll(err: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}

/** Text of a console call's arguments, as DevTools shows them. */
function consoleText(args: unknown): string {
  return (Array.isArray(args) ? args : [])
    .map((a: { value?: unknown; description?: string; type?: string }) => (a.value !== undefined ? String(a.value) : a.description ?? a.type ?? ''))
    .join(' ');
}

export async function screenshotReport(htmlPath: string, pngPath: string, options: ScreenshotOptions = {}): Promise<ScreenshotResult> {
  const profile = await mkdtemp(join(tmpdir(), 'ticker-chromium-'));
  let child: ChildProcess | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    child = spawn(CHROMIUM, [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      '--remote-debugging-pipe',
      `--user-data-dir=${profile}`,
      `--window-size=${WIDTH},${HEIGHT}`,
      'about:blank',
    ], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
    const devtools = new Devtools(child.stdio[3] as Writable, child.stdio[4] as Readable);
    const exited = new Promise<never>((_, reject) => {
      child!.once('error', reject);
      child!.once('exit', (code, signal) => reject(new Error(`chromium exited (${signal ?? code}) before the screenshot was taken`)));
    });
    exited.catch((err: Error) => devtools.failAll(err));
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no screenshot after ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
    });
    return await Promise.race([capture(devtools, htmlPath, pngPath, options), exited, timedOut]);
  } finally {
    clearTimeout(timer);
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await rm(profile, { recursive: true, force: true });
  }
}

async function capture(devtools: Devtools, htmlPath: string, pngPath: string, options: ScreenshotOptions): Promise<ScreenshotResult> {
  const consoleErrors: string[] = [];
  let loaded: () => void = () => {};
  const load = new Promise<void>((r) => (loaded = r));
  let sessionId: string | undefined;
  devtools.on((m) => {
    if (m.sessionId !== sessionId || !m.params) return;
    const p = m.params as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (m.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'assert')) consoleErrors.push(`console.${p.type}: ${consoleText(p.args)}`);
    if (m.method === 'Runtime.exceptionThrown') {
      const d = p.exceptionDetails;
      consoleErrors.push(`uncaught: ${d.exception?.description ?? d.text}${d.url ? ` (${d.url}:${d.lineNumber + 1})` : ''}`);
    }
    if (m.method === 'Log.entryAdded' && p.entry?.level === 'error') consoleErrors.push(`${p.entry.source}: ${p.entry.text}${p.entry.url ? ` (${p.entry.url})` : ''}`);
    if (m.method === 'Page.loadEventFired') loaded();
  });
  const { targetId } = await devtools.send('Target.createTarget', { url: 'about:blank' });
  ({ sessionId } = (await devtools.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string });
  const page = (method: string, params: Record<string, unknown> = {}) => devtools.send(method, params, sessionId);
  await page('Page.enable');
  await page('Runtime.enable');
  await page('Log.enable');
  await page('Emulation.setDeviceMetricsOverride', { width: WIDTH, height: HEIGHT, deviceScaleFactor: 1, mobile: false });
  const navigation = await page('Page.navigate', { url: pathToFileURL(resolve(htmlPath)).href });
  if (navigation.errorText) throw new Error(`cannot open ${htmlPath}: ${String(navigation.errorText)}`);
  await load;
  // Two animation frames: layout and paint of everything the load produced.
  await page('Runtime.evaluate', { expression: 'new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))', awaitPromise: true });
  const { result } = await page('Runtime.evaluate', {
    expression: `JSON.stringify((() => { const svgs = [...document.querySelectorAll('svg')]; return { plots: svgs.length, hidden: svgs.filter((s) => { const r = s.getBoundingClientRect(); return r.width < 1 || r.height < 1 || getComputedStyle(s).visibility === 'hidden'; }).length, height: Math.ceil(document.documentElement.scrollHeight) }; })())`,
    returnByValue: true,
  }) as { result: { value: string } };
  const layout = JSON.parse(result.value) as { plots: number; hidden: number; height: number };
  const shot = await page('Page.captureScreenshot', options.fullPage
    ? { format: 'png', captureBeyondViewport: true, clip: { x: 0, y: 0, width: WIDTH, height: Math.max(HEIGHT, layout.height), scale: 1 } }
    : { format: 'png' });
  await writeFile(pngPath, Buffer.from(String(shot.data), 'base64'));
  // Not awaited: Chromium may exit before it answers; the caller's cleanup waits for the exit.
  devtools.send('Browser.close').catch(() => {});
  const bytes = await stat(pngPath).then((s) => s.size, () => 0);
  return { png: pngPath, bytes, consoleErrors, plots: layout.plots, hiddenPlots: layout.hidden };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const fullPage = args.includes('--full-page');
  const [html, png = html?.replace(/\.html$/, '') + '.png'] = args.filter((a) => a !== '--full-page');
  if (!html) {
    process.stderr.write('usage: node dist/scripts/screenshot-report.js <report.html> [out.png] [--full-page]\n');
    process.exit(2);
  }
  const result = await screenshotReport(html, png, { fullPage });
  const problems = [
    ...(result.bytes < MIN_PNG_BYTES ? [`screenshot ${png} is missing or blank (${result.bytes} bytes)`] : []),
    ...(result.hiddenPlots > 0 ? [`${result.hiddenPlots} of ${result.plots} plots have no visible size`] : []),
    ...result.consoleErrors.map((e) => `console error: ${e}`),
  ];
  process.stdout.write(`${png}: ${result.bytes} bytes, ${result.plots} plots, ${result.consoleErrors.length} console errors\n`);
  for (const p of problems) process.stderr.write(`${p}\n`);
  process.exitCode = problems.length > 0 ? 1 : 0;
}

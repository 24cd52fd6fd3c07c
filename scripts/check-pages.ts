/**
 * Opens ticker's HTML pages (report, `report compare`, `bench capacity`) in headless Chromium through
 * playwright-core and checks what a reader relies on; writes a full-page screenshot of each:
 *   node dist/scripts/check-pages.js reports/x.html reports/compare-….html [--out-dir shots]
 * A page fails (exit 1, one line per problem) on a console error, an uncaught exception, any network
 * request (the pages must work offline), a chart container without a drawn plot, an empty chart (no
 * data point), a plot that shows no value on hover, or one that does not zoom on a drag.
 * Chromium: $CHROMIUM, else Debian's /usr/bin/chromium (`apt-get install chromium`).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const WIDTH = 1200;
const TIMEOUT_MS = 30_000;

export interface ChartCheck {
  id: string;
  title: string;
  /** finite data points over all series */
  points: number;
  width: number;
  height: number;
  /** the legend's values with the cursor in the middle of the plot */
  hover: string[];
  /** the x range after a drag across the middle, and before */
  zoomedFrom?: [number, number];
  zoomedTo?: [number, number];
}

export interface PageCheck {
  page: string;
  screenshot: string;
  charts: ChartCheck[];
  problems: string[];
}

/** The Chromium to drive, or undefined when there is none. */
export function findChromium(): string | undefined {
  const env = process.env.CHROMIUM;
  if (env) return existsSync(env) ? env : undefined;
  return CANDIDATES.find((c) => existsSync(c));
}

export async function checkPages(pages: readonly string[], options: { outDir: string; executablePath?: string }): Promise<PageCheck[]> {
  const executablePath = options.executablePath ?? findChromium();
  if (!executablePath) throw new Error('no Chromium found: set CHROMIUM, or apt-get install chromium');
  await mkdir(options.outDir, { recursive: true });
  const browser = await chromium.launch({ executablePath, headless: true, timeout: TIMEOUT_MS });
  try {
    const results: PageCheck[] = [];
    for (const file of pages) {
      const context = await browser.newContext({ viewport: { width: WIDTH, height: 900 }, deviceScaleFactor: 1 });
      try {
        results.push(await checkPage(await context.newPage(), resolve(file), options.outDir));
      } finally {
        await context.close();
      }
    }
    return results;
  } finally {
    await browser.close();
  }
}

async function checkPage(page: Page, file: string, outDir: string): Promise<PageCheck> {
  const problems: string[] = [];
  const url = pathToFileURL(file).href;
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'assert') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught exception: ${e.message}`));
  page.on('request', (r) => {
    if (r.url() !== url) problems.push(`the page loaded ${r.url()}: it must work offline`);
  });
  page.setDefaultTimeout(TIMEOUT_MS);
  await page.goto(url, { waitUntil: 'load' });

  const containers = await page.locator('.chart').count();
  const drawn = await page.evaluate('(window.tickerCharts || []).length') as number;
  if (drawn !== containers) problems.push(`${containers} chart containers but ${drawn} plots drawn`);
  const charts: ChartCheck[] = [];
  for (let i = 0; i < drawn; i++) charts.push(await checkChart(page, i, problems));

  const screenshot = join(outDir, `${basename(file).replace(/\.html$/, '')}.png`);
  await page.mouse.move(0, 0);
  await page.screenshot({ path: screenshot, fullPage: true });
  return { page: file, screenshot, charts, problems };
}

/** One chart: its data, its size, a value on hover, a zoom on a drag (then a double-click back). */
async function checkChart(page: Page, index: number, problems: string[]): Promise<ChartCheck> {
  const info = (await page.evaluate(`(() => {
    const { id, plot } = window.tickerCharts[${index}];
    const points = plot.data.slice(1).reduce((a, s) => a + s.filter((v) => v != null && isFinite(v)).length, 0);
    const title = document.querySelector('#' + CSS.escape(id) + ' h3')?.textContent ?? '';
    return { id, title, points, width: plot.width, height: plot.height, x: [plot.scales.x.min, plot.scales.x.max] };
  })()`)) as { id: string; title: string; points: number; width: number; height: number; x: [number, number] };
  const check: ChartCheck = { id: info.id, title: info.title, points: info.points, width: info.width, height: info.height, hover: [] };
  const name = `chart "${info.title || info.id}"`;
  if (info.points === 0) problems.push(`${name} is empty: no data point`);
  if (!(info.width > 0 && info.height > 0)) problems.push(`${name} has no size (${info.width}×${info.height})`);

  const over = page.locator(`#${info.id} .u-over`);
  await over.scrollIntoViewIfNeeded();
  const box = await over.boundingBox();
  if (!box) {
    problems.push(`${name} has no plot area`);
    return check;
  }
  const at = (share: number) => ({ x: box.x + box.width * share, y: box.y + box.height / 2 });
  // over the middle data point (a stepped run's plots have gaps, the warm-ups, where rightly no value shows)
  const pointX = (await page.evaluate(`(() => {
    const plot = window.tickerCharts[${index}].plot;
    const xs = plot.data[0].filter((x, i) => plot.data.slice(1).some((s) => s[i] != null));
    return xs.length ? plot.valToPos(xs[Math.floor(xs.length / 2)], 'x') : null;
  })()`)) as number | null;
  const inside = (x: number) => Math.min(box.x + box.width - 2, Math.max(box.x + 2, x));
  await page.mouse.move(pointX === null ? at(0.5).x : inside(box.x + pointX), at(0.5).y);
  check.hover = await page.locator(`#${info.id} .u-legend .u-series .u-value`).allTextContents();
  if (info.points > 0 && !check.hover.slice(1).some((v) => v.trim() !== '' && v.trim() !== '--')) {
    problems.push(`${name} shows no value on hover (legend: ${check.hover.join(' | ')})`);
  }
  await page.mouse.move(at(0.3).x, at(0.3).y);
  await page.mouse.down();
  await page.mouse.move(at(0.6).x, at(0.6).y, { steps: 5 });
  await page.mouse.up();
  const zoomed = (await page.evaluate(`[window.tickerCharts[${index}].plot.scales.x.min, window.tickerCharts[${index}].plot.scales.x.max]`)) as [number, number];
  check.zoomedFrom = info.x;
  check.zoomedTo = zoomed;
  if (!(zoomed[0] > info.x[0] && zoomed[1] < info.x[1])) problems.push(`${name} does not zoom on a drag (x ${info.x.join('…')} → ${zoomed.join('…')})`);
  await page.mouse.dblclick(at(0.5).x, at(0.5).y);
  return check;
}

async function main(argv: string[]): Promise<number> {
  let outDir = 'screenshots';
  const pages: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out-dir') outDir = argv[++i] ?? '';
    else pages.push(argv[i]!);
  }
  if (!outDir || pages.length === 0) {
    process.stderr.write('usage: node dist/scripts/check-pages.js <page.html>... [--out-dir dir]\n');
    return 2;
  }
  let failed = false;
  for (const r of await checkPages(pages, { outDir })) {
    process.stdout.write(`${r.page}: ${r.charts.length} charts (${r.charts.map((c) => `${c.id} ${c.points} points`).join(', ')}); screenshot ${r.screenshot}\n`);
    for (const p of r.problems) process.stderr.write(`${r.page}: ${p}\n`);
    failed ||= r.problems.length > 0;
  }
  return failed ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`check-pages: ${err.message.split('\n')[0]}\n`);
      process.exit(1);
    },
  );
}

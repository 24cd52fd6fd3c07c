/**
 * Screenshots a report's HTML in headless Chromium and checks that the page rendered:
 *   node dist/scripts/screenshot-report.js reports/x.html [out.png]
 * Fails (exit 1) when the PNG is missing or tiny, or when the page logged an uncaught error.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
/** A blank 1200×1600 PNG is a few kB; a rendered report is far larger. */
const MIN_PNG_BYTES = 20_000;
const TIMEOUT_MS = 60_000;

export interface ScreenshotResult {
  png: string;
  bytes: number;
  consoleErrors: string[];
}

export async function screenshotReport(htmlPath: string, pngPath: string): Promise<ScreenshotResult> {
  const profile = await mkdtemp(join(tmpdir(), 'ticker-chromium-'));
  try {
    const stderr = await runChromium([
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      '--enable-logging=stderr',
      '--v=0',
      `--user-data-dir=${profile}`,
      `--screenshot=${resolve(pngPath)}`,
      '--window-size=1200,1600',
      pathToFileURL(resolve(htmlPath)).href,
    ]);
    const consoleErrors = stderr.split('\n').filter((line) => /Uncaught|CONSOLE\(\d+\).*error/i.test(line));
    const bytes = await stat(pngPath).then((s) => s.size, () => 0);
    return { png: pngPath, bytes, consoleErrors };
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

function runChromium(args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(CHROMIUM, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolvePromise(stderr);
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [html, png = html?.replace(/\.html$/, '') + '.png'] = process.argv.slice(2);
  if (!html) {
    process.stderr.write('usage: node dist/scripts/screenshot-report.js <report.html> [out.png]\n');
    process.exit(2);
  }
  const result = await screenshotReport(html, png);
  const problems = [
    ...(result.bytes < MIN_PNG_BYTES ? [`screenshot ${png} is missing or blank (${result.bytes} bytes)`] : []),
    ...result.consoleErrors.map((e) => `console error: ${e}`),
  ];
  process.stdout.write(`${png}: ${result.bytes} bytes\n`);
  for (const p of problems) process.stderr.write(`${p}\n`);
  process.exitCode = problems.length > 0 ? 1 : 0;
}

/**
 * Checks `ticker display` as a person sees it: runs it in a detached tmux pane (100x30) against an
 * embedded server started here, captures the pane, and asserts that the rows show the familiar symbols
 * with their prices, and that a price update made here appears (highlighted) on screen.
 *
 *   node dist/scripts/display-tmux-check.js      (or scripts/display-tmux-check.sh, which builds first)
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import { startEmbeddedServer } from '../src/embedded/index.js';
import { FAMILIAR_SYMBOL_NAMES, bulkDocs, familiarDocs, layoutFor, seededRandom } from '../src/load/dataset.js';

const run = promisify(execFile);

export interface TmuxCheckResult {
  ok: boolean;
  /** What failed, one line each. */
  problems: string[];
  /** The last captured screen. */
  screen: string;
}

export async function tmuxAvailable(): Promise<boolean> {
  try {
    await run('tmux', ['-V']);
    return true;
  } catch {
    return false;
  }
}

export async function checkDisplayInTmux(options: { timeoutMs?: number; log?: (line: string) => void } = {}): Promise<TmuxCheckResult> {
  const log = options.log ?? (() => undefined);
  const timeoutMs = options.timeoutMs ?? 20_000;
  const socket = `ticker-display-check-${process.pid}`;
  const tmux = (...args: string[]) => run('tmux', ['-L', socket, ...args]);
  const root = fileURLToPath(new URL('../../', import.meta.url)); // dist/scripts → repo root
  const problems: string[] = [];
  let screen = '';

  const server = await startEmbeddedServer({ port: 0 });
  const client = await new MongoClient(server.uri).connect();
  try {
    const coll = client.db('market').collection<{ _id: string; price: number }>('stocksymbols');
    await coll.insertMany([...bulkDocs(layoutFor(400), 0, 400, seededRandom(3)), ...familiarDocs(seededRandom(4))]);
    const prices = Object.fromEntries((await coll.find({ _id: { $in: [...FAMILIAR_SYMBOL_NAMES] } }).toArray()).map((d) => [d._id, d.price]));
    log(`embedded server at ${server.uri}`);

    const command = `cd ${shellQuote(root)} && TERM=xterm-256color node bin/run.js display --uri ${shellQuote(server.uri)}; sleep 30`;
    await tmux('new-session', '-d', '-s', 'check', '-x', '100', '-y', '30', command);
    const capture = async (): Promise<string> => (await tmux('capture-pane', '-p', '-t', 'check')).stdout;
    const waitForScreen = async (test: (text: string) => boolean, what: string): Promise<boolean> => {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        screen = (await capture()).replace(/\s+$/gm, '');
        if (test(screen)) return true;
        await new Promise((r) => setTimeout(r, 100));
      }
      problems.push(`timed out waiting for ${what}`);
      return false;
    };
    const rowOf = (text: string, symbol: string): string | undefined => text.split('\n').find((line) => line.startsWith(`${symbol} `));
    /** The PRICE column of a row, located by the header (right-aligned, 7 wide). */
    const priceIn = (row: string | undefined): number | undefined => {
      const header = screen.split('\n').find((line) => line.startsWith('SYMBOL'));
      if (!row || !header) return undefined;
      const end = header.indexOf('PRICE') + 'PRICE'.length;
      const text = row.slice(end - 7, end).trim();
      return /^\d+$/.test(text) ? Number(text) : undefined;
    };

    if (await waitForScreen((text) => FAMILIAR_SYMBOL_NAMES.every((s) => priceIn(rowOf(text, s)) !== undefined), 'the familiar symbols with prices')) {
      for (const symbol of FAMILIAR_SYMBOL_NAMES) {
        const shown = priceIn(rowOf(screen, symbol));
        if (shown !== prices[symbol]) problems.push(`${symbol} shows ${shown}, expected ${prices[symbol]}`);
      }
      if (!/MongoDB Inc\./.test(screen)) problems.push('company names missing at 100 columns');
      if (!/events? · /.test(screen)) problems.push('status line missing');
      log('initial rows ok');

      const newPrice = prices.MDB === 123 ? 124 : 123;
      await coll.updateOne({ _id: 'MDB' }, { $set: { price: newPrice } });
      if (await waitForScreen((text) => priceIn(rowOf(text, 'MDB')) === newPrice, `MDB to show ${newPrice}`)) {
        const change = newPrice - prices.MDB!;
        const row = rowOf(screen, 'MDB')!;
        if (!row.includes(change > 0 ? `+${change}` : String(change))) problems.push(`MDB row lacks the change ${change}: "${row}"`);
        if (!row.includes(change > 0 ? '▲' : '▼')) problems.push(`MDB row lacks the direction arrow: "${row}"`);
        if (!/1 event/.test(screen)) problems.push('status line does not count the event');
        const raw = (await tmux('capture-pane', '-p', '-e', '-t', 'check')).stdout;
        const mdbRaw = raw.split('\n').find((line) => line.includes('MDB '));
        if (!mdbRaw || !/\x1b\[[0-9;]*7[0-9;]*m/.test(mdbRaw)) problems.push('the changed MDB row is not highlighted (reverse video)');
        log('update shown');
      }
      // Resize: the table redraws for the new size (the company column goes below 64 columns).
      await tmux('resize-window', '-t', 'check', '-x', '50', '-y', '24');
      if (await waitForScreen((text) => !text.includes('MongoDB Inc.') && /^MDB +\d+/m.test(text), 'a redraw after resizing to 50x24')) {
        if (screen.split('\n').some((line) => line.length > 50)) problems.push('a line is wider than the resized pane');
        log('resize handled');
      }
    }
  } finally {
    await tmux('kill-server').catch(() => undefined);
    await client.close();
    await server.stop();
  }
  return { ok: problems.length === 0, problems, screen };
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (!(await tmuxAvailable())) {
    console.error('tmux is not installed: skipping the display check');
    process.exit(0);
  }
  const result = await checkDisplayInTmux({ log: (line) => console.error(line) });
  console.log(result.screen);
  if (!result.ok) {
    for (const problem of result.problems) console.error(`FAIL: ${problem}`);
    process.exit(1);
  }
  console.error('display check passed');
}

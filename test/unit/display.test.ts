import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEvent, createDisplayState, renderScreen, streamStats, type DisplayState } from '../../src/render/display.js';
import { ESC, frame } from '../../src/render/display-terminal.js';
import { formatStatusLine, isStagger } from '../../src/render/status-line.js';
import type { ChangeEvent } from '../../src/watch/watcher.js';

const T0 = 1_800_000_000_000;
const REVERSE = '\x1b[7m';

function savedState(): DisplayState {
  const state = createDisplayState(['MDB', 'ORCL', 'IBM'], { MDB: 'MongoDB Inc.', ORCL: 'Oracle Corp.', IBM: 'International Business Machines Corp.' }, 'mongodb://h:1 · market.stocksymbols');
  applyEvent(state, { kind: 'snapshot', prices: { MDB: 95, ORCL: 40, IBM: 58 }, at: T0 });
  return state;
}
const change = (symbol: string, price: number, previous: number, at: number): ChangeEvent => ({
  kind: 'change', symbol, price, previous, op: 'update', at, clusterTime: { t: 1, i: 1 }, wallTime: at - 3,
});
const strip = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('display renderer', () => {
  it('shows one row per symbol with the snapshot prices', () => {
    const lines = renderScreen(savedState(), { now: T0 + 10, width: 100, height: 30, colour: false }).map(strip);
    assert.equal(lines.length, 30);
    assert.match(lines[0]!, /^ticker display · mongodb:\/\/h:1/);
    assert.match(lines[2]!, /^SYMBOL +COMPANY +PRICE +CHANGE +UPDATED$/);
    assert.match(lines[3]!, /^MDB +MongoDB Inc\. +95$/);
    assert.match(lines[5]!, /^IBM +International Business Machines Corp\. +58$/);
    assert.match(lines[27]!, /^0 events · 0\.0\/s · lag — · last —$/);
    assert.equal(lines[29], 'Ctrl-C to quit');
    for (const line of lines) assert.ok(line.length <= 100);
  });

  it('highlights a change for two seconds with change, arrow and age', () => {
    const state = applyEvent(savedState(), change('MDB', 98, 95, T0 + 1000));
    const during = renderScreen(state, { now: T0 + 2500, width: 100, height: 30, colour: false });
    assert.ok(during[3]!.startsWith(REVERSE), 'changed row in reverse video');
    assert.match(strip(during[3]!), /^MDB +MongoDB Inc\. +98 +\+3 +▲ +1\.5s$/);
    assert.ok(!during[4]!.includes(REVERSE));
    const after = renderScreen(state, { now: T0 + 3001, width: 100, height: 30, colour: false });
    assert.ok(!after[3]!.includes(REVERSE), 'highlight gone after 2 s');
    assert.match(after[3]!, /98 +\+3 +▲ +2\.0s$/);
    const down = applyEvent(state, change('ORCL', 30, 40, T0 + 3100));
    assert.match(strip(renderScreen(down, { now: T0 + 3200, width: 100, height: 30, colour: false })[4]!), /30 +-10 +▼/);
  });

  it('reverse video stays without colour; arrows are coloured only with colour', () => {
    const state = applyEvent(savedState(), change('MDB', 98, 95, T0));
    const plain = renderScreen(state, { now: T0 + 1, width: 100, height: 30, colour: false }).join('\n');
    assert.ok(!/\x1b\[3[0-9]m/.test(plain), 'no colour codes');
    const coloured = renderScreen(state, { now: T0 + 1, width: 100, height: 30, colour: true }).join('\n');
    assert.match(coloured, /\x1b\[32m▲/);
  });

  it('fits a narrow or short terminal', () => {
    const state = savedState();
    const narrow = renderScreen(state, { now: T0, width: 40, height: 30, colour: false }).map(strip);
    assert.ok(!narrow.join('\n').includes('MongoDB Inc.'), 'company column dropped');
    for (const line of narrow) assert.ok(line.length <= 40, line);
    const short = renderScreen(state, { now: T0, width: 100, height: 8, colour: false }).map(strip);
    assert.equal(short.length, 8);
    assert.ok(short.some((l) => /… \d+ more/.test(l)));
  });

  it('status line: events/s, lag, time since last; a stagger is the stream held back past the threshold, not a silence', () => {
    const state = savedState();
    for (let i = 0; i < 20; i++) applyEvent(state, change('MDB', 90 + (i % 5), 90, T0 + i * 250));
    const last = T0 + 19 * 250;
    const stats = streamStats(state, last + 100);
    assert.equal(stats.events, 20);
    assert.ok(stats.eventsPerSecond > 3.5 && stats.eventsPerSecond <= 4.5, String(stats.eventsPerSecond));
    assert.equal(stats.lagMs, 3);
    assert.equal(isStagger(stats), false);
    // silence alone (nothing held back: the writer paused) is no stagger
    assert.equal(isStagger(streamStats(state, last + 2600)), false);
    state.heldBackMs = 2_600;
    const held = streamStats(state, last + 2600);
    assert.equal(isStagger(held), true);
    assert.match(formatStatusLine(held).text, /STAGGER: events held back 2\.6s$/);
    state.heldBackMs = 200; // under the 250 ms threshold
    assert.equal(isStagger(streamStats(state, last + 2600)), false);
    // No stagger flag before anything was expected; the hold is still shown
    const quiet = savedState();
    quiet.heldBackMs = 5_000;
    assert.equal(isStagger(streamStats(quiet, T0 + 60_000)), false);
    assert.match(formatStatusLine(streamStats(quiet, T0 + 60_000)).text, /held back 5\.0s$/);
  });

  it('counts staggers, and after 10 s without events nudges to start a writer (not while held back)', () => {
    const state = createDisplayState(['MDB'], {}, 't', { startedAt: T0, idleHint: 'nothing seems to be writing to market.stocksymbols: start `ticker mutate` in another terminal' });
    applyEvent(state, { kind: 'stagger', thresholdMs: 250, startAt: T0, gapMs: 1_900, burst: 40 });
    applyEvent(state, { kind: 'stagger', thresholdMs: 250, startAt: T0 + 2_000, gapMs: 700, burst: 10 });
    assert.match(formatStatusLine(streamStats(state, T0 + 5_000)).text, /2 staggers \(longest 1\.9s\)$/);
    assert.match(formatStatusLine(streamStats(state, T0 + 10_000)).text, /start `ticker mutate` in another terminal$/);
    state.heldBackMs = 9_000;
    assert.doesNotMatch(formatStatusLine(streamStats(state, T0 + 10_000)).text, /mutate/);
  });

  it('counts events of other symbols (--all) without adding rows', () => {
    const state = applyEvent(savedState(), change('A10001', 12, 11, T0));
    assert.equal(state.otherEvents, 1);
    assert.match(strip(renderScreen(state, { now: T0, width: 100, height: 30, colour: false })[27]!), /1 other$/);
  });

  it('frames overwrite in place: home, erase each line, erase below; no full clear', () => {
    const out = frame(['a', 'b']);
    assert.equal(out, `${ESC.home}a${ESC.eraseLine}\r\nb${ESC.eraseLine}${ESC.eraseBelow}`);
    assert.ok(!out.includes('\x1b[2J'));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TraceStatusLine } from '../../src/render/trace-status.js';
import type { ChangeEvent } from '../../src/watch/watcher.js';

const T0 = 1_700_000_000_000;
const change = (at: number): ChangeEvent => ({
  kind: 'change', symbol: 'MDB', price: 95, previous: 94, op: 'update', at, clusterTime: { t: 1, i: 1 }, wallTime: at - 2,
});

describe('trace status line', () => {
  it('shows rate, lag and time since the last event, and flags a stagger while the stream is held back', () => {
    const written: string[] = [];
    let held = 0;
    const status = new TraceStatusLine({ write: (text) => written.push(text), columns: 200 }, false, { staggerThresholdMs: 250, heldBackMs: () => held });
    for (let k = 0; k < 8; k++) status.onEvent(change(T0 + k * 250));
    status.draw(T0 + 1_800);
    const steady = written.at(-1)!;
    assert.match(steady, /^\r\x1b\[K8 events · [\d.]+\/s · lag 2\.0 ms · last 0\.1s ago$/);
    held = 3_500;
    status.draw(T0 + 1_750 + 3_500);
    const stalled = written.at(-1)!;
    assert.match(stalled, /last 3\.5s ago · STAGGER: events held back 3\.5s/);
    assert.ok(stalled.includes('\x1b[7m'), 'a stagger is shown in reverse video without colour');
  });

  it('erases itself before a line is written, and fits one terminal line', () => {
    const written: string[] = [];
    const status = new TraceStatusLine({ write: (text) => written.push(text), columns: 30 }, false);
    status.clear();
    assert.equal(written.length, 0, 'nothing to erase before the first draw');
    status.draw(T0);
    assert.ok(String(written[0]).replace(/^\r\x1b\[K/, '').length <= 29);
    status.clear();
    assert.equal(written.at(-1), '\r\x1b[K');
  });
});

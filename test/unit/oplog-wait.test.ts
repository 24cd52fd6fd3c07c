import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Timestamp } from 'bson';
import { Oplog } from '../../src/embedded/oplog.js';

const entry = (i: number) => ({ ts: new Timestamp({ t: 1, i }), wallTime: new Date(), op: 'noop' as const, db: 'admin' });

/** Waiting readers (awaitData getMores) share one timer: each still ends at its own deadline, or at the next append. */
describe('oplog waiters', () => {
  it('one append wakes every waiter at once, whatever their deadlines', async () => {
    const oplog = new Oplog(100);
    const woken: number[] = [];
    const waits = [5_000, 3_000, 8_000, 3_000].map((ms, k) => oplog.waitForAppend(ms).then(() => woken.push(k)));
    const t0 = performance.now();
    oplog.append(entry(1));
    await Promise.all(waits);
    assert.equal(woken.length, 4);
    assert.ok(performance.now() - t0 < 1_000);
  });

  it('without an append, each waiter ends at its own deadline, in deadline order', async () => {
    const oplog = new Oplog(100);
    const t0 = performance.now();
    const ended: Array<{ k: number; at: number }> = [];
    const deadlines = [120, 40, 80, 40, 10];
    await Promise.all(deadlines.map((ms, k) => oplog.waitForAppend(ms).then(() => ended.push({ k, at: performance.now() - t0 }))));
    assert.deepEqual(ended.map((e) => deadlines[e.k]), [...deadlines].sort((a, b) => a - b));
    for (const e of ended) assert.ok(e.at >= deadlines[e.k]! - 1, `waiter ${e.k} ended at ${e.at} ms, before its ${deadlines[e.k]} ms`);
  });

  it('an aborted signal ends only its own wait; an already-aborted one does not wait', async () => {
    const oplog = new Oplog(100);
    const cancel = new AbortController();
    let other = false;
    const otherWait = oplog.waitForAppend(60_000).then(() => (other = true));
    const t0 = performance.now();
    const waits = oplog.waitForAppend(60_000, [new AbortController().signal, cancel.signal]);
    cancel.abort();
    await waits;
    await oplog.waitForAppend(60_000, cancel.signal);
    assert.ok(performance.now() - t0 < 1_000);
    assert.equal(other, false);
    oplog.append(entry(1));
    await otherWait;
  });
});

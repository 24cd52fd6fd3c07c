import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WriteState } from '../../src/measure/audit.js';
import { summarizeEncoded } from '../../src/measure/histograms.js';
import { groupListeners } from '../../src/measure/latency-run.js';
import { ListenerGroupRecorder, type ChangeEventLike } from '../../src/measure/recorder.js';

const W0 = 1_000_000; // window start, epoch ms
/** hdr histograms keep 3 significant digits */
const approx = (actual: number, expected: number): void => assert.ok(Math.abs(actual - expected) <= expected * 0.001, `${actual} ≈ ${expected}`);

function update(seq: number, at: number, wallTime: number, clusterSeconds = 1): ChangeEventLike {
  return {
    operationType: 'update',
    documentKey: { _id: `A${10_000 + seq}` },
    updateDescription: { updatedFields: { tick: { seq, at, w: 0 } } },
    wallTime: new Date(wallTime),
    clusterTime: { t: clusterSeconds },
  };
}

describe('ListenerGroupRecorder', () => {
  it('records latency from the intended time, the uncorrected figure from the reported send time, and audits', () => {
    const r = new ListenerGroupRecorder({ listeners: ['0', '1'], windowStart: W0, staggerThresholdMs: 250 });
    // seq 0 is warm-up; seq 1..3 measured. The writer fell 5 ms behind on seq 3.
    const sent = [W0 - 10, W0, W0 + 10, W0 + 25];
    const intended = [W0 - 10, W0, W0 + 10, W0 + 20];
    // listener 0 receives seq 1 before the writer's report arrives (uncorrected waits for it)
    r.onEvent(0, update(1, intended[1]!, W0 + 1), W0 + 2, { t: 1 });
    r.onWrites({
      writes: Float64Array.from([0, 0, sent[0]!, WriteState.Warmup, 0, 1, sent[1]!, WriteState.Expected,
        0, 2, sent[2]!, WriteState.Expected, 0, 3, sent[3]!, WriteState.Expected]),
      deletes: [],
    });
    r.onEvent(0, update(0, intended[0]!, W0 - 9), W0 - 8, { t: 1 });
    for (const seq of [2, 3]) r.onEvent(0, update(seq, intended[seq]!, sent[seq]! + 1), sent[seq]! + 2, { t: 2 });
    for (const seq of [1, 2]) r.onEvent(1, update(seq, intended[seq]!, sent[seq]! + 1), sent[seq]! + 2);
    r.onEvent(1, update(2, intended[2]!, sent[2]! + 1), sent[2]! + 3); // duplicate
    const result = r.finish();

    const e2e = summarizeEncoded(result.histograms.endToEnd);
    assert.equal(e2e.count, 5);
    approx(e2e.max, 7_000); // seq 3: 5 ms behind + 2 ms
    const uncorrected = summarizeEncoded(result.histograms.uncorrected);
    assert.equal(uncorrected.count, 5);
    approx(uncorrected.max, 2_000);
    approx(summarizeEncoded(result.histograms.commitToReceipt).max, 1_000);
    approx(summarizeEncoded(result.histograms.serverSide).max, 1_000_000); // reply t=2 vs event t=1
    assert.deepEqual(result.listeners.map((l) => l.audit), [
      { expected: 3, received: 3, lost: 0, duplicated: 0 },
      { expected: 3, received: 3, lost: 1, duplicated: 1 },
    ]);
    assert.deepEqual(result.listeners.map((l) => l.events), [3, 2]);
    assert.equal(result.timeline.length, 1);
    assert.equal(result.timeline[0]!.second, 0);
  });

  it('finds a stagger and ignores events without a tick', () => {
    const r = new ListenerGroupRecorder({ listeners: ['0'], windowStart: W0, staggerThresholdMs: 100 });
    r.onEvent(0, { operationType: 'insert', fullDocument: {}, documentKey: { _id: 'x' } }, W0);
    for (let seq = 0; seq < 10; seq++) r.onEvent(0, update(seq, W0 + seq * 10, W0 + seq * 10), W0 + seq * 10 + 1);
    for (let seq = 10; seq < 50; seq++) r.onEvent(0, update(seq, W0 + seq * 10, W0 + seq * 10), W0 + 600);
    const result = r.finish();
    assert.equal(result.foreign, 1);
    assert.equal(result.staggers.count, 1);
    assert.equal(result.staggers.worst[0]!.burst, 40);
    assert.equal(result.staggers.worst[0]!.startMs, 100);
    assert.equal(result.staggers.worst[0]!.gapMs, 500);
  });

  it('reads the tick lifted to the top of an event (the listener threads\' projection) as it reads a whole event', () => {
    const r = new ListenerGroupRecorder({ listeners: ['0'], windowStart: W0, staggerThresholdMs: 250 });
    r.onWrites({ writes: Float64Array.from([0, 1, W0, WriteState.Expected, 0, 2, W0 + 1, WriteState.Expected]), deletes: [] });
    const { updateDescription: _whole, ...lifted } = update(1, W0, W0 + 1);
    r.onEvent(0, { ...lifted, tick: { seq: 1, at: W0, w: 0 } }, W0 + 3);
    r.onEvent(0, { operationType: 'insert', documentKey: { _id: 'Z1' }, tick: { seq: 2, at: W0 + 1, w: 0 } }, W0 + 5);
    r.onEvent(0, { operationType: 'update', documentKey: { _id: 'x' }, tick: null }, W0 + 6); // a write not ours
    const result = r.finish();
    assert.equal(result.foreign, 1);
    assert.deepEqual(result.listeners[0]!.audit, { expected: 2, received: 2, lost: 0, duplicated: 0 });
    approx(summarizeEncoded(result.histograms.endToEnd).max, 4000);
  });
});

describe('groupListeners', () => {
  const sizes = (groups: string[][]): number[] => groups.map((g) => g.length);
  it('gives each listener one thread slot, a thread per 25 listeners, as many threads as cores at most', () => {
    assert.deepEqual(sizes(groupListeners(1, 25, 8)), [1]);
    assert.deepEqual(sizes(groupListeners(100, 25, 8)), [25, 25, 25, 25]);
    assert.deepEqual(sizes(groupListeners(1_000, 25, 8)), Array(8).fill(125));
    assert.deepEqual(sizes(groupListeners(1_000, 25, 64)), Array(40).fill(25));
    // a small machine still gets two threads; one core more, one thread more
    assert.deepEqual(sizes(groupListeners(100, 25, 1)), [50, 50]);
    assert.deepEqual(sizes(groupListeners(100, 25, 3)), [34, 33, 33]);
    const all = groupListeners(1_001, 25, 6).flat();
    assert.equal(new Set(all).size, 1_001);
    assert.equal(all.length, 1_001);
  });
});

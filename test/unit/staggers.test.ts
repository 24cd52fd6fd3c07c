import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attributeShard, HoldBackTracker, keepWorst, resumeTokenTime, StaggerDetector } from '../../src/measure/staggers.js';

describe('StaggerDetector', () => {
  it('sees no stagger in steady delivery', () => {
    const d = new StaggerDetector(100, 0);
    for (let t = 0; t < 5_000; t += 10) d.feed(t + 1, t);
    assert.deepEqual(d.finish(), []);
  });

  it('finds a gap with committed writes held back, and counts the burst released after it', () => {
    const d = new StaggerDetector(100, 0);
    for (let t = 0; t <= 1_000; t += 10) d.feed(t + 1, t, `A${t}`);
    // writes committed every 10 ms from 1010 to 2500 are all released at 2500
    for (let t = 1_010; t <= 2_500; t += 10) d.feed(2_500 + (t - 1_010) / 1000, t, `A${t}`);
    for (let t = 2_510; t < 3_000; t += 10) d.feed(t + 1, t);
    const staggers = d.finish();
    assert.equal(staggers.length, 1);
    const [s] = staggers;
    assert.equal(s!.startAt, 1_010);
    assert.equal(s!.gapMs, 1_490);
    assert.equal(s!.burst, 150);
    assert.equal(s!.ids[0], 'A1010');
    assert.equal(s!.ids.length, 32);
  });

  it('does not call a pause in the writes a stagger', () => {
    const d = new StaggerDetector(100, 0);
    d.feed(11, 10);
    d.feed(5_001, 5_000); // nothing was committed in between
    assert.deepEqual(d.finish(), []);
  });

  it('judges nothing before the window start', () => {
    const d = new StaggerDetector(100, 1_000);
    d.feed(1_050, 0); // committed long before the window, received just after it: held only 50 ms of the window
    assert.deepEqual(d.finish(), []);
  });

  it('reports each stagger once through the callback', () => {
    const seen: number[] = [];
    const d = new StaggerDetector(100, 0, (s) => seen.push(s.gapMs));
    d.feed(1, 0);
    d.feed(500, 10);
    d.feed(501, 20);
    d.feed(2_000, 1_000);
    d.finish();
    assert.deepEqual(seen, [490, 1_000]);
  });
});

describe('keepWorst', () => {
  it('keeps the n longest gaps', () => {
    const list: { gapMs: number }[] = [];
    for (const gapMs of [5, 1, 9, 3, 7, 8]) keepWorst(list, { gapMs }, 3);
    assert.deepEqual(list.map((s) => s.gapMs).sort((a, b) => a - b), [7, 8, 9]);
  });
});

describe('attributeShard', () => {
  const owner = (id: string): string | undefined => (id < 'M' ? 'shard01' : id < 'T' ? 'shard02' : 'shard03');
  const shards = ['shard01', 'shard02', 'shard03'];
  it('names the shard that owns none of the burst (it held the merge back)', () => {
    assert.equal(attributeShard(['A1', 'K2', 'S3'], owner, ['shard01', 'shard02', 'shard03'].slice(0, 2).concat('shard03')), 'shard03');
  });
  it('names several idle shards', () => {
    assert.equal(attributeShard(['A1', 'B2'], owner, shards), 'shard02,shard03');
  });
  it('names the first document’s shard when every shard took part', () => {
    assert.equal(attributeShard(['S1', 'A2', 'Z3'], owner, shards), 'shard02');
  });
  it('knows nothing without shards or ids', () => {
    assert.equal(attributeShard([], owner, shards), undefined);
    assert.equal(attributeShard(['A1'], owner, []), undefined);
  });
});

describe('StaggerDetector: back-to-back holds', () => {
  it('counts a second hold whose first events were committed just before the first burst', () => {
    const d = new StaggerDetector(250, 0);
    for (let t = 0; t <= 1_000; t += 20) d.feed(t + 1, t);
    // held from 1 000 to 3 000; the release at 3 000 carries what was committed up to 2 990
    for (let t = 1_020; t <= 2_990; t += 20) d.feed(3_000, t);
    // committed 2 995..5 000 (the first of them before the first burst ended), all released at 5 000
    for (let t = 2_995; t <= 5_000; t += 20) d.feed(5_000, t);
    for (let t = 5_010; t < 5_500; t += 20) d.feed(t + 1, t);
    const gaps = d.finish().map((s) => Math.round(s.gapMs));
    assert.deepEqual(gaps, [1_980, 2_000]);
  });
});

describe('HoldBackTracker (the live views)', () => {
  const ct = (t: number, i = 1) => ({ t, i });
  const token = (t: number, i = 1) => ({ _data: `82${t.toString(16).padStart(8, '0')}${i.toString(16).padStart(8, '0')}2B0229296E04` });

  it('reads the cluster time of a resume token (4.2+ KeyString, embedded), null for others', () => {
    assert.deepEqual(resumeTokenTime(token(0x65a1b2c3, 7)), { t: 0x65a1b2c3, i: 7 });
    assert.deepEqual(resumeTokenTime({ _data: '8265A1B2C3000000072B0229296E04' }), { t: 0x65a1b2c3, i: 7 });
    assert.equal(resumeTokenTime({ _data: 'not hex at all' }), null);
    assert.equal(resumeTokenTime({ _data: Buffer.from('x') }), null);
    assert.equal(resumeTokenTime(undefined), null);
  });

  it('on a replica set (the token keeps up with the cluster time) sees no hold-back', () => {
    const found: unknown[] = [];
    const h = new HoldBackTracker(250, (s) => found.push(s));
    for (let k = 0; k < 100; k++) {
      const at = k * 100;
      h.clusterTime(ct(k), at);
      h.delivered(ct(k), at + 1);
      h.resumePoint(ct(k), at + 1);
      h.tick(at + 50);
      assert.equal(h.isHeld(at + 60), false);
    }
    assert.deepEqual(h.finish(), []);
    assert.deepEqual(found, []);
  });

  it('measures how long the cluster time has been past the resume token, and the stagger the burst ends', () => {
    const found: Array<{ startAt: number; gapMs: number; burst: number }> = [];
    const h = new HoldBackTracker(250, (s) => found.push(s));
    h.clusterTime(ct(10), 0);
    h.delivered(ct(10), 1);
    // the fast shard's writes move the cluster time on; the post-batch token stays at 10
    h.clusterTime(ct(11), 200);
    h.resumePoint(ct(10), 200);
    h.clusterTime(ct(12), 400);
    assert.equal(Math.round(h.heldMs(500)), 300);
    assert.equal(h.isHeld(500), true);
    h.clusterTime(ct(13), 1_800);
    assert.equal(Math.round(h.heldMs(2_000)), 1_800);
    // the slow shard reports: the reply releases three held events at once
    h.clusterTime(ct(13, 5), 2_000);
    h.delivered(ct(11, 2), 2_000);
    h.delivered(ct(12, 2), 2_000.1);
    h.delivered(ct(13, 2), 2_000.2);
    h.resumePoint(ct(13, 2), 2_000.2);
    assert.equal(h.isHeld(2_001), false);
    h.tick(2_200);
    // (11, 2) was known committed once a later cluster time was reported, at 400
    assert.deepEqual(found.map((s) => ({ ...s, gapMs: Math.round(s.gapMs) })), [{ startAt: 400, gapMs: 1_600, burst: 3 }]);
  });

  it('a hold that released nothing it follows is no stagger; nor one under the threshold', () => {
    const h = new HoldBackTracker(250);
    h.clusterTime(ct(10), 0);
    h.resumePoint(ct(10), 0);
    h.clusterTime(ct(11), 100); // a no-op on one shard, none of our events
    h.resumePoint(ct(11), 2_000); // the other shard caught up: nothing released
    h.tick(2_200);
    h.clusterTime(ct(12), 2_300);
    h.delivered(ct(12), 2_500); // held 200 ms
    h.tick(2_700);
    assert.deepEqual(h.finish(), []);
  });
});

describe('StaggerDetector: the run tail', () => {
  it('does not judge a gap that begins in the last threshold of the window (the last writes held once writing stopped)', () => {
    const d = new StaggerDetector(250, 0, undefined, 3_000 - 250);
    for (let t = 0; t <= 2_990; t += 10) d.feed(t + 1, t);
    d.feed(4_500, 2_995); // the last write, held until an idle shard's no-op
    assert.deepEqual(d.finish(), []);
    const e = new StaggerDetector(250, 0, undefined, 3_000 - 250);
    for (let t = 0; t <= 2_000; t += 10) e.feed(t + 1, t);
    for (let t = 2_010; t <= 2_995; t += 10) e.feed(4_500, t); // a hold that began before the tail
    assert.equal(e.finish().length, 1);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attributeShard, keepWorst, StaggerDetector } from '../../src/measure/staggers.js';

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

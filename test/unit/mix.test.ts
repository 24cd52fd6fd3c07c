import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FAMILIAR_SYMBOL_NAMES, layoutFor, seededRandom } from '../../src/load/dataset.js';
import { createMix, formatMix, ORIGINAL_MIX, parseMix, randomBulkSymbol, roundOf, type MixOp } from '../../src/mutate/mix.js';
import { LagStats } from '../../src/mutate/lag-stats.js';

const layout = layoutFor('small');

function generate(count: number, options: Partial<Parameters<typeof createMix>[0]> = {}): MixOp[] {
  const next = createMix({ layout, writerId: 3, random: seededRandom(11), ...options });
  return Array.from({ length: count }, (_, seq) => next(seq, 1_700_000_000_000.25 + seq * 62.5));
}

describe('parseMix', () => {
  it('reads kinds, weights and the original alias', () => {
    assert.deepEqual(parseMix('original'), ORIGINAL_MIX);
    assert.deepEqual(parseMix('familiar,a-update,z-delete,z-insert'), ORIGINAL_MIX);
    assert.deepEqual(parseMix(' familiar:3 , A-Update '), { familiar: 3, 'a-update': 1, 'z-delete': 0, 'z-insert': 0 });
    assert.deepEqual(parseMix('z-delete:2,z-insert:2'), { familiar: 0, 'a-update': 0, 'z-delete': 2, 'z-insert': 2 });
    assert.equal(formatMix(parseMix('familiar:3,a-update')), 'familiar:3,a-update');
  });

  it('rejects bad input with one clear line', () => {
    const cases: [string, RegExp][] = [
      ['', /empty mix/],
      ['familiar,,a-update', /invalid mix item ""/],
      ['buy', /unknown operation kind "buy"/],
      ['familiar:0', /invalid weight "0"/],
      ['familiar:1.5', /invalid weight/],
      ['familiar:x', /invalid weight "x"/],
      ['familiar:1001', /from 1 to 1000/],
      ['familiar,familiar', /appears twice/],
      ['original,familiar', /appears twice/],
      ['original:2', /takes no weight/],
      ['z-delete', /go together/],
      ['z-insert:1,z-delete:2', /go together/],
    ];
    for (const [text, pattern] of cases) {
      assert.throws(() => parseMix(text), (error: Error) => pattern.test(error.message) && !error.message.includes('\n'), text);
    }
  });
});

describe('createMix', () => {
  it('repeats the original round: familiar, A update, Z delete, Z insert of the same symbol', () => {
    const ops = generate(400);
    assert.deepEqual(roundOf(ORIGINAL_MIX), ['familiar', 'a-update', 'z-delete', 'z-insert']);
    for (let i = 0; i < ops.length; i += 4) {
      const [familiar, aUpdate, zDelete, zInsert] = ops.slice(i, i + 4);
      assert.equal(familiar!.kind, 'familiar');
      assert.equal(aUpdate!.kind, 'a-update');
      assert.equal(zDelete!.kind, 'z-delete');
      assert.equal(zInsert!.kind, 'z-insert');
      if (zDelete!.kind === 'z-delete' && zInsert!.kind === 'z-insert') assert.equal(zInsert!.doc._id, zDelete!.filter._id);
    }
  });

  it('chooses symbols and prices by the rules and carries the tick', () => {
    const ops = generate(4_000);
    ops.forEach((op, seq) => {
      const at = 1_700_000_000_000.25 + seq * 62.5;
      switch (op.kind) {
        case 'familiar': {
          assert.ok(FAMILIAR_SYMBOL_NAMES.includes(op.filter._id));
          const [min, max] = op.filter._id === 'MDB' ? [90, 99] : [20, 89];
          assert.ok(op.update.$set.price >= min && op.update.$set.price <= max);
          assert.deepEqual(op.update.$set.tick, { seq, at, w: 3 });
          break;
        }
        case 'a-update':
          assert.match(op.filter._id, /^A1[0-4]\d{3}$/);
          assert.ok(op.update.$set.price >= 10 && op.update.$set.price <= 19);
          assert.deepEqual(op.update.$set.tick, { seq, at, w: 3 });
          break;
        case 'z-delete':
          assert.match(op.filter._id, /^Z1[0-4]\d{3}$/);
          break;
        case 'z-insert':
          assert.ok(op.doc.price >= 10 && op.doc.price <= 19);
          assert.deepEqual(op.doc.tick, { seq, at, w: 3 });
          break;
      }
    });
    const familiarSymbols = new Set(ops.filter((op) => op.kind === 'familiar').map((op) => (op as { filter: { _id: string } }).filter._id));
    assert.equal(familiarSymbols.size, 13, 'every familiar symbol gets picked');
  });

  it('follows weights and kinds', () => {
    const ops = generate(60, { spec: parseMix('familiar:2,a-update') });
    assert.deepEqual(ops.slice(0, 6).map((op) => op.kind), ['familiar', 'familiar', 'a-update', 'familiar', 'familiar', 'a-update']);
    const pairs = generate(8, { spec: parseMix('z-delete:2,z-insert:2') }).map((op) => op.kind);
    assert.deepEqual(pairs.slice(0, 4), ['z-delete', 'z-insert', 'z-delete', 'z-insert']);
  });

  it('respects the symbol filter for bulk symbols', () => {
    const ops = generate(400, { symbolFilter: (symbol) => symbol.endsWith('7') });
    for (const op of ops) {
      if (op.kind === 'a-update' || op.kind === 'z-delete') assert.ok(op.filter._id.endsWith('7'));
    }
    // A filter that lets almost nothing through still finds the one symbol.
    assert.equal(randomBulkSymbol(layout, 'Z', seededRandom(1), (s) => s === 'Z12345'), 'Z12345');
    assert.throws(() => randomBulkSymbol(layout, 'Z', seededRandom(1), () => false), /no Z symbol passes/);
  });
});

describe('LagStats', () => {
  it('summarises send lag', () => {
    const stats = new LagStats();
    for (let i = 1; i <= 100; i++) stats.record(i);
    stats.record(-0.01);
    assert.deepEqual(stats.summary(), { p50: 50, p99: 99, max: 100 });
    assert.deepEqual(new LagStats().summary(), { p50: 0, p99: 0, max: 0 });
  });

  it('keeps memory bounded and max exact beyond its capacity', () => {
    const stats = new LagStats(1_000);
    for (let i = 0; i < 100_000; i++) stats.record(i % 100);
    stats.record(5_000);
    const summary = stats.summary();
    assert.equal(summary.max, 5_000);
    assert.ok(summary.p50 >= 40 && summary.p50 <= 60, String(summary.p50));
  });
});

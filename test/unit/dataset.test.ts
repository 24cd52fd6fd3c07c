import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bulkDocs, bulkLayout, bulkSymbolAt, DATASET_SIZES, expectedDocumentCount, FAMILIAR_SYMBOLS, familiarDocs,
  layoutFor, letterRange, seededRandom,
} from '../../src/load/dataset.js';

describe('dataset', () => {
  it('has the thirteen familiar symbols with their companies', () => {
    assert.equal(FAMILIAR_SYMBOLS.length, 13);
    assert.deepEqual(FAMILIAR_SYMBOLS.map((f) => f.symbol), ['MDB', 'MULE', 'ORCL', 'IBM', 'SAP', 'ADBE', 'AMZN', 'MSFT', 'CSCO', 'VMW', 'AAPL', 'GOOGL', 'FB']);
    assert.equal(FAMILIAR_SYMBOLS.find((f) => f.symbol === 'FB')?.company, 'Facebook, Inc.');
  });

  it('small: A, K, S, Z from 10000 to 14999', () => {
    const layout = layoutFor('small');
    assert.equal(layout.count, 20_000);
    for (const range of layout.letters) assert.deepEqual([range.first, range.count], [10_000, 5_000]);
    assert.equal(bulkSymbolAt(layout, 0), 'A10000');
    assert.equal(bulkSymbolAt(layout, 4_999), 'A14999');
    assert.equal(bulkSymbolAt(layout, 5_000), 'K10000');
    assert.equal(bulkSymbolAt(layout, 19_999), 'Z14999');
    assert.equal(expectedDocumentCount(layout), 20_013);
  });

  it('large: 1000000 to 2999999 per letter, 8,000,000 in all', () => {
    const layout = layoutFor('large');
    assert.equal(layout.count, DATASET_SIZES.large);
    for (const range of layout.letters) assert.deepEqual([range.first, range.count], [1_000_000, 2_000_000]);
    assert.equal(bulkSymbolAt(layout, 7_999_999), 'Z2999999');
    assert.equal(bulkSymbolAt(layout, 2_000_000), 'K1000000');
  });

  it('--count N gives exactly N bulk documents, spread over the letters, one digit count each', () => {
    for (const count of [0, 1, 3, 7, 100, 20_001, 360_000, 360_004]) {
      const layout = bulkLayout(count);
      assert.equal(layout.letters.reduce((sum, r) => sum + r.count, 0), count);
      const counts = layout.letters.map((r) => r.count);
      assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `${count}: ${counts}`);
      if (count === 0) continue;
      const symbols = bulkDocs(layout, 0, count, seededRandom(1)).map((d) => d._id);
      assert.equal(new Set(symbols).size, count, 'unique');
      assert.deepEqual([...symbols].sort(), symbols, 'string order is index order');
      const digits = new Set(symbols.map((s) => s.length));
      assert.equal(digits.size, 1, `${count}: one digit count`);
    }
    assert.equal(bulkLayout(360_004).letters[0]!.first, 100_000); // 90,001 per letter no longer fits 10000..99999
  });

  it('slices of the key space join up exactly', () => {
    const layout = bulkLayout(1_003);
    const whole = bulkDocs(layout, 0, 1_003).map((d) => d._id);
    const parts = [bulkDocs(layout, 0, 250), bulkDocs(layout, 250, 251), bulkDocs(layout, 251, 1_003)].flat().map((d) => d._id);
    assert.deepEqual(parts, whole);
    assert.throws(() => bulkDocs(layout, 5, 1_004), /outside/);
    assert.throws(() => bulkSymbolAt(layout, -1), /outside/);
    assert.throws(() => bulkLayout(-1), /whole number/);
  });

  it('prices follow the rules and a seed makes them reproducible', () => {
    const layout = layoutFor('small');
    for (const doc of bulkDocs(layout, 0, 20_000, seededRandom(7))) assert.ok(Number.isInteger(doc.price) && doc.price >= 10 && doc.price <= 19);
    const seen = new Set<number>();
    for (let round = 0; round < 200; round++) {
      for (const doc of familiarDocs(seededRandom(round))) {
        const [min, max] = doc._id === 'MDB' ? [90, 99] : [20, 89];
        assert.ok(Number.isInteger(doc.price) && doc.price >= min && doc.price <= max, `${doc._id} ${doc.price}`);
        if (doc._id !== 'MDB') seen.add(doc.price);
      }
    }
    assert.ok(seen.has(20) && seen.has(89), 'both ends of the range occur');
    assert.deepEqual(bulkDocs(layout, 0, 50, seededRandom(42)), bulkDocs(layout, 0, 50, seededRandom(42)));
  });

  it('letterRange finds a letter', () => {
    assert.equal(letterRange(layoutFor('small'), 'Z').offset, 15_000);
  });
});

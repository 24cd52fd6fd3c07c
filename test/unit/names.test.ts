import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCollectionName, checkDatabaseName, checkNamespace } from '../../src/util/names.js';
import { parsePositiveInt, parseRate } from '../../src/util/flags.js';
import { BOUNDS, rateBoundFor } from '../../src/util/bounds.js';

describe('names as mongod checks them', () => {
  it('database names: each character mongod refuses on Linux, and the 63-byte limit (in bytes, not characters)', () => {
    for (const c of ['/', '\\', '.', ' ', '"', '$', '\0']) assert.throws(() => checkDatabaseName(`a${c}b`), /which MongoDB does not allow/, JSON.stringify(c));
    assert.equal(checkDatabaseName('d'.repeat(63)), 'd'.repeat(63));
    assert.throws(() => checkDatabaseName('é'.repeat(32)), /is 64 bytes: MongoDB allows at most 63/);
    assert.equal(checkDatabaseName('market-2_x'), 'market-2_x');
  });

  it('collection names: $ and NUL, a leading dot, system.*, and the 255-byte namespace', () => {
    for (const name of ['a$b', 'a\0b', '.x', 'system.profile']) assert.throws(() => checkCollectionName(name), Error, JSON.stringify(name));
    assert.equal(checkCollectionName('stock.symbols'), 'stock.symbols');
    assert.equal(checkCollectionName('systemic'), 'systemic');
    checkNamespace('market', 'c'.repeat(248)); // 6 + 1 + 248 = 255
    assert.throws(() => checkNamespace('market', 'c'.repeat(249)), /256 bytes: MongoDB allows at most 255/);
  });
});

describe('bounded numbers', () => {
  it('a value at the bound passes, one above it says the bound and why', () => {
    assert.equal(parsePositiveInt(String(BOUNDS.workers.max), BOUNDS.workers), BOUNDS.workers.max);
    assert.throws(() => parsePositiveInt(String(BOUNDS.workers.max + 1), BOUNDS.workers), /^Error: got "\d+"; at most \d+ \(4 per core/);
    assert.equal(parseRate('100000'), 100_000);
    assert.throws(() => parseRate('100001'), /at most 100,000 ops\/s/);
    assert.equal(parseRate('250000', rateBoundFor(3)), 250_000);
    assert.throws(() => parsePositiveInt('1e400', BOUNDS.count), /at most 100,000,000/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Long, MaxKey, MinKey, ObjectId } from 'mongodb';
import { compareBson, hashedShardKey } from '../../src/load/bson-order.js';

describe('BSON order for shard keys (harness side)', () => {
  it('orders by type first, as BSON does: MinKey < null < numbers < strings < ObjectId < dates < MaxKey', () => {
    const ascending = [new MinKey(), null, -5, 2, Long.fromNumber(3), 'A', 'B', 'a', new ObjectId('000000000000000000000001'), new Date(0), new MaxKey()];
    for (let i = 0; i < ascending.length; i++) {
      for (let j = 0; j < ascending.length; j++) {
        assert.equal(compareBson(ascending[i], ascending[j]), Math.sign(i - j), `${String(ascending[i])} vs ${String(ascending[j])}`);
      }
    }
  });

  it('compares numbers across int, Long and double by value', () => {
    assert.equal(compareBson(Long.fromNumber(2), 2), 0);
    assert.equal(compareBson(2.5, Long.fromNumber(2)), 1);
  });

  it('hashes keys as MongoDB does (hasher.cpp check values)', () => {
    assert.equal(hashedShardKey(42), -944302157085130861n);
    assert.equal(hashedShardKey(Long.fromNumber(42)), hashedShardKey(42)); // numbers hash as int64
    assert.equal(hashedShardKey(42.9), hashedShardKey(42));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Timestamp } from 'mongodb';
import { FAMILIAR_SYMBOL_NAMES } from '../../src/load/dataset.js';
import { UserError } from '../../src/util/errors.js';
import { priceUpdateFilter, requireKnownSymbols, resolveSymbols, toChangeEvent } from '../../src/watch/index.js';

describe('watch: pure parts', () => {
  it('the default filter is the original $match', () => {
    assert.deepEqual(priceUpdateFilter(['MDB', 'IBM']), {
      operationType: 'update',
      'updateDescription.updatedFields.price': { $exists: true },
      'documentKey._id': { $in: ['MDB', 'IBM'] },
    });
  });

  it('--symbols: upper-cased, de-duplicated, validated; default the familiar symbols', () => {
    assert.deepEqual(resolveSymbols(undefined), [...FAMILIAR_SYMBOL_NAMES]);
    assert.deepEqual(resolveSymbols(' mdb, ORCL,mdb ,'), ['MDB', 'ORCL']);
    assert.throws(() => resolveSymbols(' , '), UserError);
    assert.throws(() => resolveSymbols('MDB,M$B'), /"M\$B" is not a stock symbol/);
    assert.throws(() => requireKnownSymbols(['MDB', 'NOPE'], { MDB: 95 }, 'market.stocksymbols'), /^UserError: unknown symbol NOPE: not in market\.stocksymbols$/);
    assert.doesNotThrow(() => requireKnownSymbols(['MDB'], { MDB: 95 }, 'x'));
  });

  it('turns a change document into plain data', () => {
    const doc = {
      _id: { _data: '82' }, operationType: 'update', clusterTime: new Timestamp({ t: 100, i: 3 }), wallTime: new Date(5000),
      documentKey: { _id: 'MDB' }, ns: { db: 'market', coll: 'stocksymbols' },
      updateDescription: { updatedFields: { price: 97, tick: { seq: 8, at: 4999.5, w: 1 } }, removedFields: [] },
    };
    const event = toChangeEvent(doc as never, { MDB: 95 });
    assert.equal(event.kind, 'change');
    assert.deepEqual({ ...event, at: 0 }, {
      kind: 'change', symbol: 'MDB', price: 97, previous: 95, op: 'update', at: 0,
      clusterTime: { t: 100, i: 3 }, wallTime: 5000, tick: { seq: 8, at: 4999.5, w: 1 },
    });
    const deleted = toChangeEvent({ ...doc, operationType: 'delete', documentKey: { _id: 'Z10001' } } as never, {});
    assert.deepEqual([deleted.op, deleted.price, deleted.previous, deleted.tick], ['delete', null, null, undefined]);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Binary } from 'bson';
import { RetryableWrites } from '../../src/embedded/retryable-writes.js';

const lsid = (n: number) => ({ id: new Binary(Buffer.alloc(16, n), Binary.SUBTYPE_UUID) });
const update = (session: number, txnNumber: number) => ({ update: 'c', updates: [], lsid: lsid(session), txnNumber });

/** The embedded server's session transaction table, as mongod's: one record per session, its newest write. */
describe('retryable writes table', () => {
  it('a retry of the last write in a session gets its first reply', () => {
    const table = new RetryableWrites();
    const key = table.keyOf('update', update(1, 7))!;
    table.remember(key, { ok: 1, n: 1 });
    assert.deepEqual(table.get(table.keyOf('update', update(1, 7))!), { ok: 1, n: 1 });
    assert.equal(table.get(table.keyOf('update', update(2, 7))!), undefined, 'another session shares nothing');
  });

  it('a newer write replaces the older one: a long run keeps one record per session, not one per write', () => {
    const table = new RetryableWrites();
    for (let txn = 1; txn <= 200_000; txn++) table.remember(table.keyOf('update', update(1, txn))!, { ok: 1, n: txn });
    // the older write is not answered from the table (the session refuses it as TransactionTooOld)
    assert.equal(table.get(table.keyOf('update', update(1, 199_999))!), undefined);
    assert.deepEqual(table.get(table.keyOf('update', update(1, 200_000))!), { ok: 1, n: 200_000 });
  });

  it('a late answer to an older write does not replace the newer one', () => {
    const table = new RetryableWrites();
    table.remember(table.keyOf('update', update(1, 5))!, { ok: 1, n: 5 });
    table.remember(table.keyOf('update', update(1, 4))!, { ok: 1, n: 4 });
    assert.deepEqual(table.get(table.keyOf('update', update(1, 5))!), { ok: 1, n: 5 });
  });

  it('writes in a transaction and commands that are not retryable writes have no key', () => {
    const table = new RetryableWrites();
    assert.equal(table.keyOf('find', { find: 'c', lsid: lsid(1), txnNumber: 1 }), undefined);
    assert.equal(table.keyOf('update', { ...update(1, 1), autocommit: false }), undefined);
    assert.equal(table.keyOf('update', { update: 'c', lsid: lsid(1) }), undefined);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ListenerReceipts, WriteLedger, WriteState } from '../../src/measure/audit.js';

describe('audit', () => {
  it('counts expected, received, lost and duplicated ticked writes', () => {
    const ledger = new WriteLedger();
    for (let seq = 0; seq < 100; seq++) ledger.addWrite(0, seq, 1_000 + seq, seq < 10 ? WriteState.Warmup : WriteState.Expected);
    ledger.addWrite(0, 100, 1_100, WriteState.NotCounted); // a failed write
    const l = new ListenerReceipts();
    for (let seq = 0; seq < 100; seq++) if (seq !== 50 && seq !== 51) l.receive(0, seq, seq >= 10);
    assert.equal(l.receive(0, 60, true), false);
    assert.equal(l.receive(0, 5, false), false); // a warm-up duplicate is not counted
    assert.deepEqual(ledger.audit(l), { expected: 90, received: 89, lost: 2, duplicated: 1 });
  });

  it('keeps writers apart and grows past its first allocation', () => {
    const ledger = new WriteLedger();
    const l = new ListenerReceipts();
    for (const w of [0, 1]) {
      for (let seq = 0; seq < 5_000; seq++) {
        ledger.addWrite(w, seq, seq, WriteState.Expected);
        l.receive(w, seq, true);
      }
    }
    assert.deepEqual(ledger.audit(l), { expected: 10_000, received: 10_000, lost: 0, duplicated: 0 });
    assert.equal(ledger.sentAt(1, 4_999), 4_999);
    assert.equal(ledger.sentAt(1, 5_000), undefined);
    assert.equal(ledger.sentAt(7, 0), undefined);
  });

  it('matches deletes by _id in order', () => {
    const ledger = new WriteLedger();
    ledger.addDelete('Z1', false); // warm-up
    ledger.addDelete('Z1', true);
    ledger.addDelete('Z2', true);
    ledger.addDelete('Z3', true);
    const l = new ListenerReceipts();
    l.receiveDelete('Z1');
    l.receiveDelete('Z1');
    l.receiveDelete('Z2');
    l.receiveDelete('Z2'); // duplicate
    // Z3 lost
    assert.deepEqual(ledger.audit(l), { expected: 3, received: 3, lost: 1, duplicated: 1 });
  });
});

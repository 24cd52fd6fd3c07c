import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Binary, Decimal128, EJSON, Long, ObjectId, Timestamp } from 'bson';
import { InsertEntry, Oplog, type OplogEntry } from '../../src/embedded/oplog.js';
import { isInt64, markInt64 } from '../../src/embedded/storage/int64.js';

const uuid = new Binary(Buffer.alloc(16, 7), Binary.SUBTYPE_UUID);
const ts = (i: number) => new Timestamp({ t: 1_700_000_000 + Math.floor(i / 10), i: (i % 10) + 1 });
const wall = (i: number) => new Date(1_700_000_000_000 + i);

function update(i: number): OplogEntry {
  const tick = { seq: i, at: 1.5 * i };
  const updatedFields: Record<string, unknown> = { price: 90.25, tick, big: i };
  markInt64(updatedFields, 'big');
  return {
    ts: ts(i), wallTime: wall(i), op: 'update', db: 'market', coll: 'stocksymbols', collectionUUID: uuid,
    documentKey: { _id: `S${i}` },
    updateDescription: { updatedFields, removedFields: ['old'], truncatedArrays: [] },
    before: { _id: `S${i}`, price: 89, when: new Date(5), n: new Decimal128('1.5'), oid: new ObjectId('65a000000000000000000001') },
  };
}

/** What a reader sees of an entry, as BSON values (types included): its fields, an insert's documentKey too. */
const view = (e: OplogEntry | undefined) =>
  e && EJSON.stringify({ ...e, documentKey: e.documentKey, ops: e.ops?.map((o) => ({ ...o, documentKey: o.documentKey })) }, { relaxed: false });

/**
 * Entries older than the hot window are packed as BSON: a reader gets the same entry back, int64 marks
 * included, and searches by time still find it.
 */
describe('oplog store: packed entries read back as they were written', () => {
  it('updates, deletes, inserts, a transaction and a DDL entry, read back after they left the hot window', () => {
    const oplog = new Oplog(1_000_000, 4);
    const written: OplogEntry[] = [];
    for (let i = 0; i < 40; i++) {
      let entry: OplogEntry;
      if (i % 5 === 0) entry = new InsertEntry(ts(i), wall(i), 'market', 'stocksymbols', uuid, { _id: `I${i}`, price: i });
      else if (i % 5 === 1) entry = { ts: ts(i), wallTime: wall(i), op: 'delete', db: 'market', coll: 'stocksymbols', collectionUUID: uuid, documentKey: { _id: `D${i}` }, before: { _id: `D${i}`, price: -0.5 } };
      else if (i % 5 === 2) {
        const op = new InsertEntry(ts(i), wall(i), 'market', 'stocksymbols', uuid, { _id: `T${i}`, price: 1 });
        op.lsid = { id: uuid };
        op.txnNumber = 3;
        entry = { ts: ts(i), wallTime: wall(i), op: 'applyOps', db: 'admin', ops: [op, update(i)], lsid: { id: uuid }, txnNumber: 3 };
      } else if (i % 5 === 3) entry = { ts: ts(i), wallTime: wall(i), op: 'createIndexes', db: 'market', coll: 'stocksymbols', collectionUUID: uuid, operationDescription: { indexes: [{ v: 2, key: { price: -1 }, name: 'price_-1' }] } };
      else entry = update(i);
      written.push(entry);
      oplog.append(entry);
    }
    for (let i = 0; i < 36; i++) {
      const read = oplog.at(i)!;
      assert.notEqual(read, undefined, `entry ${i}`);
      assert.deepEqual(view(read), view(written[i]), `entry ${i} (${written[i]!.op})`);
      assert.equal(oplog.indexAfter(ts(i), true), i);
      assert.equal(oplog.indexAfter(ts(i)), i + 1);
    }
    // an int64 stays one (replies turn marked numbers back into Longs)
    assert.ok(isInt64(oplog.at(4)!.updateDescription!.updatedFields, 'big'));
    assert.ok(!isInt64(oplog.at(4)!.updateDescription!.updatedFields, 'price'));
    assert.ok(isInt64(oplog.at(2)!.ops![1]!.updateDescription!.updatedFields, 'big'));
    assert.ok(oplog.at(0)! instanceof InsertEntry, 'an insert outside a transaction is kept as it is');
  });

  it('a Long beyond 2^53 stays a Long', () => {
    const oplog = new Oplog(1_000, 1);
    const entry = update(0);
    entry.updateDescription!.updatedFields.huge = Long.fromString('9007199254740993');
    oplog.append(entry);
    oplog.append(update(1));
    assert.equal(String(oplog.at(0)!.updateDescription!.updatedFields.huge), '9007199254740993');
  });

  it('trimming drops the oldest entries and their segments; positions before it are lost', () => {
    const oplog = new Oplog(10_000, 8);
    for (let i = 0; i < 30_000; i++) oplog.append(update(i));
    assert.equal(oplog.size, 10_000);
    assert.equal(oplog.start, 20_000);
    assert.equal(oplog.at(19_999), undefined);
    assert.deepEqual(view(oplog.at(20_000)), view(update(20_000)));
    assert.ok(oplog.isLost(ts(19_999)));
    assert.ok(!oplog.isLost(ts(20_000)));
    assert.equal(oplog.indexAfter(ts(25_000), true), 25_000);
  });

  it('history dropped before an index is gone from packed and hot entries alike', () => {
    const oplog = new Oplog(100_000, 16);
    for (let i = 0; i < 10_000; i++) oplog.append(update(i));
    assert.ok(oplog.at(100)!.before);
    oplog.dropHistoryBefore(9_995);
    for (const i of [0, 100, 4_095, 4_096, 9_980, 9_994]) assert.equal(oplog.at(i)!.before, undefined, `entry ${i}`);
    for (const i of [9_995, 9_999]) assert.deepEqual(oplog.at(i)!.before, update(i).before);
    assert.equal(oplog.wallMsAt(100), wall(100).getTime());
    assert.equal(oplog.wallMsAt(9_999), wall(9_999).getTime());
  });
});

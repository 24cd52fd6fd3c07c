import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BSON, Long, Timestamp } from 'bson';
import { documentWithEncodedArray, serializeDocument } from '../../src/embedded/wire/encoded.js';

/** Pre-encoded change events copied into a reply must give the very bytes a full serialisation gives. */
describe('replies built from pre-encoded documents', () => {
  const events = Array.from({ length: 12 }, (_, k) => ({
    _id: { _data: `82${String(k).padStart(22, '0')}` },
    operationType: 'update',
    clusterTime: new Timestamp({ t: 1_700_000_000, i: k }),
    wallTime: new Date(1_700_000_000_000 + k),
    ns: { db: 'market', coll: 'stocksymbols' },
    updateDescription: { updatedFields: { price: k * 1.5, name: 'é€' }, removedFields: [], truncatedArrays: [] },
  }));

  it('a cursor document with an encoded batch equals the same document serialised whole', () => {
    const rest = { id: Long.fromNumber(123456789012), ns: 'market.stocksymbols', postBatchResumeToken: { _data: '82AB' } };
    for (const batch of [[], events.slice(0, 1), events]) {
      const built = documentWithEncodedArray('nextBatch', batch.map((e) => BSON.serialize(e)), rest);
      assert.deepEqual(Buffer.from(built.bytes), Buffer.from(BSON.serialize({ nextBatch: batch, ...rest })), `batch of ${batch.length}`);
    }
  });

  it('a reply holding an encoded sub-document serialises to the same bytes, fields in their order', () => {
    const cursor = { firstBatch: events.slice(0, 3), id: Long.fromNumber(0), ns: 'a.b', postBatchResumeToken: { _data: '82' } };
    const encoded = documentWithEncodedArray('firstBatch', cursor.firstBatch.map((e) => BSON.serialize(e)), { id: cursor.id, ns: cursor.ns, postBatchResumeToken: cursor.postBatchResumeToken });
    const time = new Timestamp({ t: 5, i: 1 });
    const reply = { cursor: encoded, ok: 1, $clusterTime: { clusterTime: time }, operationTime: time, skipped: undefined };
    const expected = BSON.serialize({ cursor, ok: 1, $clusterTime: { clusterTime: time }, operationTime: time }, { ignoreUndefined: true });
    assert.deepEqual(Buffer.from(serializeDocument(reply)), Buffer.from(expected));
    assert.deepEqual(BSON.deserialize(serializeDocument(reply)).cursor.firstBatch[2].updateDescription.updatedFields.name, 'é€');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BSON } from 'bson';
import { FrameReader, ProtocolViolation } from '../../src/embedded/wire/frame-reader.js';
import { decodeRequest, encodeOpMsg } from '../../src/embedded/wire/messages.js';

function opMsg(body: Record<string, unknown>, sequences: Record<string, Record<string, unknown>[]> = {}, flags = 0): Buffer {
  const parts: Buffer[] = [Buffer.from([0]), Buffer.from(BSON.serialize(body))];
  for (const [id, docs] of Object.entries(sequences)) {
    const payload = Buffer.concat([Buffer.from(`${id}\0`), ...docs.map((d) => Buffer.from(BSON.serialize(d)))]);
    const size = Buffer.alloc(4);
    size.writeInt32LE(4 + payload.length);
    parts.push(Buffer.from([1]), size, payload);
  }
  const rest = Buffer.concat(parts);
  const head = Buffer.alloc(20);
  head.writeInt32LE(20 + rest.length, 0);
  head.writeInt32LE(42, 4);
  head.writeInt32LE(2013, 12);
  head.writeUInt32LE(flags, 16);
  return Buffer.concat([head, rest]);
}

describe('wire messages', () => {
  it('folds kind-1 document sequences into the command', () => {
    const req = decodeRequest(opMsg({ insert: 'c', $db: 'd' }, { documents: [{ _id: 1 }, { _id: 2 }] }));
    assert.equal(req.requestId, 42);
    assert.deepEqual(req.command.documents, [{ _id: 1 }, { _id: 2 }]);
    assert.equal(req.moreToCome, false);
  });

  it('honours moreToCome and tolerates the checksum flag', () => {
    assert.equal(decodeRequest(opMsg({ ping: 1 }, {}, 2)).moreToCome, true);
    const withSum = Buffer.concat([opMsg({ ping: 1 }, {}, 1), Buffer.alloc(4)]);
    withSum.writeInt32LE(withSum.length, 0);
    assert.equal(decodeRequest(withSum).command.ping, 1);
  });

  it('turns every malformed frame into a ProtocolViolation', () => {
    const bad = [
      Buffer.alloc(16),
      (() => { const b = opMsg({ ping: 1 }); b.writeInt32LE(9999, 12); return b; })(),
      (() => { const b = opMsg({ ping: 1 }); b[20] = 9; return b; })(),
      (() => { const b = opMsg({ ping: 1 }); b.writeInt32LE(5000, 21); return b; })(),
      opMsg({ ping: 1 }).subarray(0, 22),
    ];
    for (const frame of bad) assert.throws(() => decodeRequest(frame), ProtocolViolation);
  });

  it('the frame reader splits on length prefixes and refuses impossible lengths', () => {
    const a = opMsg({ a: 1 });
    const b = opMsg({ b: 2 });
    const reader = new FrameReader();
    const both = Buffer.concat([a, b]);
    assert.deepEqual(reader.push(both.subarray(0, 3)), []);
    const frames = reader.push(both.subarray(3));
    assert.equal(frames.length, 2);
    assert.throws(() => new FrameReader().push(Buffer.from([1, 0, 0, 0])), ProtocolViolation);
    assert.throws(() => new FrameReader().push(Buffer.from([0, 0, 0, 0x7f])), ProtocolViolation);
  });

  it('a reply over 16 MB becomes BSONObjectTooLarge instead of a broken frame', () => {
    const { frame } = encodeOpMsg({ cursor: { firstBatch: [{ s: 'x'.repeat(17 * 1024 * 1024) }] }, ok: 1 }, 1);
    const doc = BSON.deserialize(frame.subarray(21));
    assert.equal(doc.ok, 0);
    assert.equal(doc.code, 10334);
    assert.equal(doc.codeName, 'BSONObjectTooLarge');
  });
});

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { BSON, type Document } from 'bson';
import { MongoClient } from 'mongodb';
import { seededRandom } from '../../src/embedded/faults.js';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/embedded/index.js';

const SEED = 0x7157c4e5;
const FRAMES = 3_000;
const CONCURRENCY = 16;
const OP_MSG = 2013;
const OP_QUERY = 2004;
const MB = 1024 * 1024;

const random = seededRandom(SEED);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)];
const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));

function header(length: number, opCode: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(int(0x7fffffff), 4);
  h.writeInt32LE(opCode, 12);
  return h;
}

function opMsg(sections: Buffer, flags = 0): Buffer {
  const f = Buffer.alloc(4);
  f.writeUInt32LE(flags >>> 0, 0);
  return Buffer.concat([header(16 + 4 + sections.length, OP_MSG), f, sections]);
}

const body = (doc: Document) => Buffer.concat([Buffer.from([0]), BSON.serialize(doc)]);
const command = (doc: Document) => opMsg(body({ ...doc, $db: doc.$db ?? 'fuzz' }));

/** `{a: {a: {a: ... {}}}}` nested `levels` deep, built directly as bytes (js-bson would recurse). */
function nested(levels: number): Buffer {
  const total = 5 + 8 * levels;
  const out = Buffer.alloc(total);
  for (let i = 0; i <= levels; i++) {
    const at = 7 * i;
    out.writeInt32LE(8 * (levels - i) + 5, at);
    if (i < levels) out.set([0x03, 0x61, 0x00], at + 4);
  }
  return out; // the remaining bytes are already the zero terminators
}

/** `{ping: 1, s: <string with invalid UTF-8>, $db: 'admin'}` as raw BSON. */
function invalidUtf8Doc(): Buffer {
  const bad = pick([[0xff, 0xfe], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]]);
  const str = Buffer.from([...bad, 0]);
  const len = Buffer.alloc(4);
  len.writeInt32LE(str.length, 0);
  const ping = Buffer.concat([Buffer.from([0x10]), Buffer.from('ping\0'), Buffer.from([1, 0, 0, 0])]);
  const s = Buffer.concat([Buffer.from([0x02]), Buffer.from('s\0'), len, str]);
  const db = BSON.serialize({ $db: 'admin' }).subarray(4, -1);
  const elements = Buffer.concat([ping, s, db]);
  const size = Buffer.alloc(4);
  size.writeInt32LE(elements.length + 5, 0);
  return Buffer.concat([size, elements, Buffer.from([0])]);
}

const GARBAGE_VALUES: unknown[] = [null, -1, 0, 2 ** 53, 'x', '', {}, [], [{}], { $gt: 1 }, new Date(0), true, 1.5, 'a'.repeat(1000), BSON.Long.fromNumber(-1), new BSON.Binary(Buffer.alloc(3))];
const COMMAND_NAMES = ['find', 'insert', 'update', 'delete', 'aggregate', 'getMore', 'killCursors', 'hello', 'saslStart', 'saslContinue', 'count', 'distinct', 'create', 'drop', 'listCollections', 'configureFailPoint', 'findAndModify', 'createIndexes', 'ping', 'noSuchCommand'];

interface Case {
  kind: string;
  chunks: Buffer[];
  /** The server must close the connection (protocol violation). */
  mustClose: boolean;
  /** Write chunks one by one with a pause between them. */
  trickle?: boolean;
}

function makeCase(): Case {
  const ping = command({ ping: 1, $db: 'admin' });
  switch (int(12)) {
    case 0: return { kind: 'random bytes', chunks: [randomBytes(1 + int(300))], mustClose: false };
    case 1: { // truncated: a whole frame cut short
      const frame = command({ insert: 'c', documents: [{ x: randomBytes(50) }] });
      return { kind: 'truncated frame', chunks: [frame.subarray(0, int(frame.length))], mustClose: false };
    }
    case 2: { // length prefix out of range
      const h = Buffer.alloc(16);
      h.writeInt32LE(pick([48_000_001, 0x7fffffff, -1, -0x80000000, 0, 15, 100 * MB]), 0);
      return { kind: 'huge length prefix', chunks: [h], mustClose: true };
    }
    case 3: { // unknown section kind
      const sections = Buffer.concat([body({ ping: 1, $db: 'admin' }), Buffer.from([2 + int(254)]), randomBytes(int(20))]);
      return { kind: 'bad section kind', chunks: [opMsg(sections)], mustClose: true };
    }
    case 4: { // deep nesting: far beyond the stack (100,000) or just beyond the limit (201..400)
      const levels = random() < 0.02 ? 100_000 : 201 + int(200);
      return { kind: `nested BSON`, chunks: [opMsg(Buffer.concat([Buffer.from([0]), nested(levels)]))], mustClose: true };
    }
    case 5: return { kind: 'invalid UTF-8', chunks: [opMsg(Buffer.concat([Buffer.from([0]), invalidUtf8Doc()]))], mustClose: true };
    case 6: { // valid frame, bytes flipped
      const frame = Buffer.from(command({ find: 'c', filter: { a: int(10) }, batchSize: 2 }));
      for (let i = 0, n = 1 + int(4); i < n; i++) frame[int(frame.length)] = int(256);
      return { kind: 'flipped bytes', chunks: [frame], mustClose: false };
    }
    case 7: { // bad opcodes, flags, compressed, two bodies, no body
      const variant = int(5);
      if (variant === 0) return { kind: 'unknown opCode', chunks: [Buffer.concat([header(16 + 8, pick([1, 2001, 2002, 2005, 2012, 9999, -1])), randomBytes(8)])], mustClose: true };
      if (variant === 1) return { kind: 'unknown required flag', chunks: [opMsg(body({ ping: 1, $db: 'admin' }), 1 << (2 + int(14)))], mustClose: true };
      if (variant === 2) return { kind: 'two bodies', chunks: [opMsg(Buffer.concat([body({ ping: 1, $db: 'admin' }), body({ ping: 1 })]))], mustClose: true };
      if (variant === 3) return { kind: 'no body', chunks: [opMsg(Buffer.alloc(0))], mustClose: true };
      return { kind: 'OP_QUERY not on $cmd', chunks: [Buffer.concat([header(16 + 4 + 6 + 8 + 5, OP_QUERY), Buffer.alloc(4), Buffer.from('a.b.c\0'), Buffer.alloc(8), BSON.serialize({})])], mustClose: true };
    }
    case 8: { // well-formed frames, nonsense commands: answered with errors, the connection stays usable
      const doc: Document = { [pick(COMMAND_NAMES)]: pick(GARBAGE_VALUES) };
      for (let i = 0, n = int(4); i < n; i++) doc[pick(['documents', 'filter', 'pipeline', 'cursor', 'collection', 'updates', 'deletes', 'lsid', 'txnNumber', '$clusterTime', 'payload', 'mechanism', 'mode', 'data'])] = pick(GARBAGE_VALUES);
      return { kind: 'nonsense command', chunks: [command(doc), ping], mustClose: false };
    }
    case 9: { // document sequence that overruns its section
      const seq = Buffer.alloc(4 + 10);
      seq.writeInt32LE(1000 + int(1000), 0);
      return { kind: 'bad document sequence', chunks: [opMsg(Buffer.concat([body({ insert: 'c', $db: 'fuzz' }), Buffer.from([1]), seq]))], mustClose: true };
    }
    case 10: { // a malformed frame split into many tiny TCP writes
      const frame = opMsg(Buffer.concat([Buffer.from([0]), nested(300)]));
      const chunks: Buffer[] = [...frame.subarray(0, 200)].map((b) => Buffer.from([b]));
      chunks.push(frame.subarray(200));
      return { kind: 'malformed frame in tiny writes', chunks, mustClose: true, trickle: true };
    }
    default: { // a frame announcing 40 MB that never comes: buffered up to the limit, freed on close
      const h = header(40 * MB, OP_MSG);
      return { kind: 'large frame abandoned', chunks: [h, Buffer.alloc(int(2 * MB))], mustClose: false };
    }
  }
}

interface Result {
  closedByServer: boolean;
}

function run(port: number, c: Case): Promise<Result> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let closedByServer = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ closedByServer });
    };
    socket.on('data', () => {});
    socket.on('end', () => {
      closedByServer = true;
      finish();
    });
    socket.on('error', () => {
      closedByServer = true;
      finish();
    });
    socket.on('connect', async () => {
      socket.setNoDelay(true);
      for (const chunk of c.chunks) {
        if (socket.destroyed) break;
        socket.write(chunk);
        if (c.trickle) await delay(1);
      }
      timer = setTimeout(finish, c.mustClose ? 2_000 : 30);
    });
  });
}

describe('hostile input', { skip: process.env.MONGODB_URI ? 'embedded-server fuzzing' : false }, () => {
  let embedded: EmbeddedServer;
  let client: MongoClient;

  before(async () => {
    embedded = await startEmbeddedServer({ port: 0, oplogEntries: 10_000 });
    client = new MongoClient(embedded.uri, { serverSelectionTimeoutMS: 5_000 });
    await client.connect();
  });
  after(async () => {
    await client.close();
    await embedded.stop();
  });

  it(`${FRAMES} fuzzed frames (seed ${SEED}): offenders disconnected, others served, memory bounded`, async (t) => {
    const coll = client.db('fuzz').collection<{ _id: number }>('health');
    let healthy = 0;
    let checking = true;
    const health = (async () => {
      for (let i = 0; checking; i++) {
        assert.equal((await client.db('admin').command({ ping: 1 })).ok, 1);
        await coll.insertOne({ _id: i });
        assert.deepEqual(await coll.findOne({ _id: i }), { _id: i });
        healthy++;
        await delay(20);
      }
    })();
    await delay(100);
    const rssBefore = process.memoryUsage().rss;
    const problems: string[] = [];
    const byKind = new Map<string, number>();
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      // Cases are made one at a time (in seed order) so the test itself holds little memory.
      while (next++ < FRAMES) {
        const c = makeCase();
        byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + 1);
        const result = await run(embedded.port, c);
        if (c.mustClose && !result.closedByServer) problems.push(`${c.kind}: the server kept the connection open`);
      }
    }));
    checking = false;
    await health;
    const rssGrowthMB = (process.memoryUsage().rss - rssBefore) / MB;
    t.diagnostic(`rss growth ${rssGrowthMB.toFixed(1)} MB, ${healthy} health rounds, cases ${JSON.stringify(Object.fromEntries(byKind))}`);
    assert.deepEqual(problems, []);
    assert.ok(healthy > 5, `the driver client kept working during the fuzzing (${healthy} rounds)`);
    assert.ok(rssGrowthMB < 200, `resident memory grew ${rssGrowthMB.toFixed(1)} MB`);
    for (const kind of ['huge length prefix', 'nested BSON', 'invalid UTF-8', 'bad section kind', 'malformed frame in tiny writes', 'nonsense command']) {
      assert.ok((byKind.get(kind) ?? 0) > 0, `the run covered ${kind}`);
    }
    // And after it all, a new client works too.
    const fresh = new MongoClient(embedded.uri);
    try {
      await fresh.db('fuzz').collection('after').insertOne({ ok: true });
      assert.equal(await fresh.db('fuzz').collection('after').countDocuments(), 1);
    } finally {
      await fresh.close();
    }
  });

  it('refuses a 48 MB+ frame at its length prefix, before buffering it', async () => {
    const h = Buffer.alloc(16);
    h.writeInt32LE(48_000_001, 0);
    const result = await run(embedded.port, { kind: 'over limit', chunks: [h], mustClose: true });
    assert.ok(result.closedByServer);
  });

  it('survives 100,000 levels of nesting (no stack overflow) and answers the next client', async () => {
    const result = await run(embedded.port, { kind: 'deep', chunks: [opMsg(Buffer.concat([Buffer.from([0]), nested(100_000)]))], mustClose: true });
    assert.ok(result.closedByServer);
    assert.equal((await client.db('admin').command({ ping: 1 })).ok, 1);
  });

  it('accepts nesting within the limit', async () => {
    let doc: Document = {};
    for (let i = 0; i < 150; i++) doc = { a: doc };
    const coll = client.db('fuzz').collection<{ _id: number; doc: Document }>('deepish');
    await coll.insertOne({ _id: 1, doc });
    assert.ok(await coll.findOne({ _id: 1 }));
  });
});

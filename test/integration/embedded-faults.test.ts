import assert from 'node:assert/strict';
import net from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { BSON } from 'bson';
import { MongoClient, type Db } from 'mongodb';
import { EMULATOR_ONLY, embeddedTestTarget, type EmbeddedTestTarget } from './embedded-target.js';
import { serverError } from '../helpers/server-error.js';

// configureFailPoint/failCommand as a mongod started with enableTestCommands has it, retryable writes
// through a dropped connection, and malformed wire frames closing only their own connection.

let target: EmbeddedTestTarget;
let client: MongoClient;
let db: Db;
const DB = `ticker_faults_${process.pid}`;
const logLines: string[] = [];

before(async () => {
  target = await embeddedTestTarget({ log: (line) => logLines.push(line) });
  client = new MongoClient(target.uri, { serverSelectionTimeoutMS: 5000, retryWrites: true });
  await client.connect();
  db = client.db(DB);
  await db.dropDatabase();
});

afterEach(async () => {
  await client.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
});

after(async () => {
  await db.dropDatabase().catch(() => {});
  await client.close();
  await target.stop();
});

const failCommand = (mode: unknown, data: Record<string, unknown>) =>
  client.db('admin').command({ configureFailPoint: 'failCommand', mode, data });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDoc = any;
const coll = (name: string) => db.collection<AnyDoc>(name);


describe('failCommand', () => {
  it('times: n fails the next n matching commands with errorCode and errorLabels', async () => {
    await failCommand({ times: 2 }, { failCommands: ['find'], errorCode: 2, errorLabels: ['SomeLabel'] });
    const c = coll('fp');
    for (let i = 0; i < 2; i++) {
      const err = await serverError(c.findOne({}));
      assert.equal(err.code, 2);
      assert.equal(err.codeName, 'BadValue');
      assert.ok(err.hasErrorLabel('SomeLabel'));
    }
    assert.equal(await c.findOne({}), null);
  });

  it('alwaysOn until off; commands not listed are unaffected', async () => {
    await failCommand('alwaysOn', { failCommands: ['count'], errorCode: 11601 });
    for (let i = 0; i < 3; i++) assert.equal((await serverError(db.command({ count: 'fp' }))).code, 11601);
    assert.equal((await db.command({ ping: 1 })).ok, 1);
    await failCommand('off', { failCommands: ['count'] });
    assert.equal((await db.command({ count: 'fp' })).n, 0);
  });

  it('a failed retryable write gets RetryableWriteError and the driver retries once', async () => {
    await failCommand({ times: 1 }, { failCommands: ['insert'], errorCode: 91 });
    await coll('fp_retry').insertOne({ _id: 1 });
    assert.equal(await coll('fp_retry').countDocuments(), 1);
  });

  it('closeConnection on the first insert: the driver retries and the document is inserted exactly once', async () => {
    const c = coll('fp_close');
    await failCommand({ times: 1 }, { failCommands: ['insert'], closeConnection: true });
    await c.insertOne({ _id: 'x', v: 1 });
    assert.deepEqual(await c.find().toArray(), [{ _id: 'x', v: 1 }]);
  });

  it('closeConnection after the write applied: the retry returns the first result and does not apply twice', { skip: EMULATOR_ONLY }, async () => {
    // Apply first, then drop the connection before the reply: what a network blip after commit looks like.
    const c = coll('fp_after');
    const server = target.embedded!.server;
    const node = server.node;
    const original = node.insert.bind(node);
    let applied = 0;
    let dropped = false;
    node.insert = (d, c, doc) => {
      original(d, c, doc);
      applied++;
      if (!dropped && c === 'fp_after') {
        dropped = true;
        server.dropConnections();
      }
    };
    try {
      await c.insertOne({ _id: 'once', v: 1 });
    } finally {
      node.insert = original;
    }
    assert.equal(applied, 1);
    assert.deepEqual(await c.find().toArray(), [{ _id: 'once', v: 1 }]);
  });

  it('blockConnection holds the command for blockTimeMS', async () => {
    await failCommand({ times: 1 }, { failCommands: ['ping'], blockConnection: true, blockTimeMS: 150 });
    const t0 = performance.now();
    assert.equal((await db.command({ ping: 1 })).ok, 1);
    assert.ok(performance.now() - t0 >= 140);
  });

  it('appName limits the fail point to one application', async () => {
    const other = new MongoClient(target.uri, { appName: 'victim', serverSelectionTimeoutMS: 5000 });
    await other.connect();
    try {
      await failCommand('alwaysOn', { failCommands: ['find'], errorCode: 2, appName: 'victim' });
      assert.equal(await coll('fp').findOne({}), null);
      assert.equal((await serverError(other.db(DB).collection<AnyDoc>('fp').findOne({}))).code, 2);
    } finally {
      await other.close();
    }
  });

  it('a bad mode or fail point name is refused', async () => {
    assert.equal((await serverError(failCommand({ bogus: 1 }, { failCommands: ['find'] }))).code, 2);
    const err = await serverError(client.db('admin').command({ configureFailPoint: 'noSuchFailPoint', mode: 'off' }));
    assert.ok(err.code !== undefined);
  });
});

/** The bytes of one OP_MSG carrying `doc` as its body. */
function opMsg(doc: Record<string, unknown>, requestId = 1): Buffer {
  const body = BSON.serialize(doc);
  const head = Buffer.alloc(21);
  head.writeInt32LE(21 + body.length, 0);
  head.writeInt32LE(requestId, 4);
  head.writeInt32LE(0, 8);
  head.writeInt32LE(2013, 12);
  head.writeUInt32LE(0, 16);
  head[20] = 0;
  return Buffer.concat([head, body]);
}

function hostPort(uri: string): { host: string; port: number } {
  const m = /^mongodb:\/\/(?:[^@/]*@)?([^/,?]+)/.exec(uri)!;
  const hp = m[1];
  const at = hp.lastIndexOf(':');
  return { host: hp.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(hp.slice(at + 1)) };
}

/** Sends bytes on a fresh socket; resolves with what came back and whether the server closed it. */
function exchange(bytes: Buffer, waitMs = 1000): Promise<{ reply: Buffer; closedByServer: boolean }> {
  const { host, port } = hostPort(target.uri);
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ reply: Buffer.concat(chunks), closedByServer });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? finish(true) : reject(err)));
  });
}

describe('malformed frames close only their own connection', () => {
  it('a well-formed OP_MSG ping over a raw socket is answered', async () => {
    const { reply, closedByServer } = await exchange(opMsg({ ping: 1, $db: 'admin' }), 300);
    assert.equal(closedByServer, false);
    assert.equal(reply.readInt32LE(0), reply.length);
    assert.equal(reply.readInt32LE(8), 1);
    const doc = BSON.deserialize(reply.subarray(21));
    assert.equal(doc.ok, 1);
  });

  const cases: [string, () => Buffer][] = [
    ['garbage bytes', () => Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
    ['a length below the header size', () => Buffer.from([4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xdd, 7, 0, 0])],
    ['an oversized length (64 MB)', () => {
      const b = Buffer.alloc(16);
      b.writeInt32LE(64 * 1024 * 1024, 0);
      b.writeInt32LE(2013, 12);
      return b;
    }],
    ['a BSON body that overruns its message', () => {
      const good = opMsg({ ping: 1, $db: 'admin' });
      good.writeInt32LE(1000, 21);
      return good;
    }],
    ['a truncated BSON body', () => {
      const good = opMsg({ ping: 1, $db: 'admin' });
      const cut = good.subarray(0, good.length - 3);
      const copy = Buffer.from(cut);
      copy.writeInt32LE(copy.length, 0);
      return copy;
    }],
    ['an unknown opcode', () => {
      const good = opMsg({ ping: 1, $db: 'admin' });
      good.writeInt32LE(9999, 12);
      return good;
    }],
    ['an unknown required flag bit', () => {
      const good = opMsg({ ping: 1, $db: 'admin' });
      good.writeUInt32LE(1 << 5, 16);
      return good;
    }],
    ['an unknown section kind', () => {
      const good = opMsg({ ping: 1, $db: 'admin' });
      good[20] = 7;
      return good;
    }],
  ];

  for (const [name, bytes] of cases) {
    it(`${name}: that connection closes, the driver client keeps working`, async () => {
      const before = logLines.length;
      const { closedByServer } = await exchange(bytes(), 2000);
      assert.equal(closedByServer, true);
      assert.equal((await db.command({ ping: 1 })).ok, 1);
      await coll('still').insertOne({ at: name });
      if (target.embedded) assert.ok(logLines.length > before, 'a log line names the closed connection');
    });
  }

  it('a frame cut short by the client disconnecting leaves the server serving', async () => {
    const good = opMsg({ ping: 1, $db: 'admin' });
    const { closedByServer } = await exchange(good.subarray(0, 10), 200);
    assert.equal(closedByServer, false);
    assert.equal((await db.command({ ping: 1 })).ok, 1);
  });
});

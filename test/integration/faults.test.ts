import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { MongoClient, type ChangeStreamDocument, type Document } from 'mongodb';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/embedded/index.js';
import type { FaultInjector } from '../../src/embedded/faults.js';
import { parseFault } from '../../src/server/fault-spec.js';

const WRITES = 300;
const FAULT_AT = 100;

interface Outcome {
  acked: number[];
  failed: number[];
  received: number[];
  changeStreamOpens: number;
  writeFailures: string[];
}

/**
 * One listener with a change stream open and one writer inserting WRITES documents (seq 0..WRITES-1), the
 * fault injected once FAULT_AT writes are done (and not awaited: writes go on during it).
 */
async function aroundFault(embedded: EmbeddedServer, coll: string, inject: (faults: FaultInjector) => Promise<void>): Promise<Outcome> {
  const listener = new MongoClient(embedded.uri, { monitorCommands: true });
  const writer = new MongoClient(embedded.uri, { monitorCommands: true });
  let changeStreamOpens = 0;
  listener.on('commandStarted', (e) => {
    if (e.commandName === 'aggregate' && e.command.pipeline?.[0]?.$changeStream) changeStreamOpens++;
  });
  const writeFailures: string[] = [];
  writer.on('commandFailed', (e) => writeFailures.push(`${e.commandName}: ${(e.failure as { code?: number }).code ?? e.failure.message}`));
  const received: number[] = [];
  const stream = listener.db('faults').collection(coll).watch<Document, ChangeStreamDocument<Document>>([], { maxAwaitTimeMS: 200 });
  try {
    await stream.tryNext(); // the cursor is open: every later write is seen
    let streamError: unknown;
    const consuming = (async () => {
      try {
        for (;;) {
          const change = await stream.next();
          if (change.operationType === 'insert') received.push(change.fullDocument.seq as number);
        }
      } catch (err) {
        if (!stream.closed) streamError = err;
      }
    })();
    const target = writer.db('faults').collection(coll);
    const acked: number[] = [];
    const failed: number[] = [];
    let fault: Promise<void> | undefined;
    for (let seq = 0; seq < WRITES; seq++) {
      if (seq === FAULT_AT) fault = inject(embedded.server.faults);
      try {
        await target.insertOne({ _id: seq, seq } as Document);
        acked.push(seq);
      } catch (err) {
        failed.push(seq);
        writeFailures.push(`final error for ${seq}: ${String(err)} ${JSON.stringify(err)}`);
      }
      await delay(3);
    }
    await fault;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && acked.some((s) => !received.includes(s)) && !streamError) await delay(20);
    await stream.close();
    await consuming;
    assert.equal(streamError, undefined, `the change stream failed: ${String(streamError)}`);
    return { acked, failed, received, changeStreamOpens, writeFailures };
  } finally {
    await stream.close().catch(() => {});
    await listener.close();
    await writer.close();
  }
}

/**
 * `maxFailed`: a write on a connection the fault cut can fail for good even with retryWrites. The 7.x driver
 * labels a network error RetryableWriteError only if the connection is still of the pool's generation, and
 * when the monitor noticed the cut first the pool has already been cleared (sdam/server.js,
 * connectionIsStale). It happens against a real mongod too; the write is then not acknowledged.
 */
function assertExactlyOnceInOrder(outcome: Outcome, maxFailed = 0): void {
  const { acked, received } = outcome;
  for (let i = 1; i < received.length; i++) assert.ok(received[i] > received[i - 1], `event ${received[i]} after ${received[i - 1]}: duplicated or out of order`);
  const missing = acked.filter((s) => !received.includes(s));
  assert.deepEqual(missing, [], 'acknowledged writes never delivered');
  assert.ok(outcome.failed.length <= maxFailed, `writes that failed although retryable: ${outcome.writeFailures.join(', ')}`);
  assert.ok(outcome.acked.length >= WRITES - maxFailed);
}

describe('fault injection: the official driver recovers on its own', { skip: process.env.MONGODB_URI ? 'embedded-server faults' : false }, () => {
  let embedded: EmbeddedServer;

  before(async () => {
    embedded = await startEmbeddedServer({ port: 0, oplogEntries: 100_000 });
  });
  after(() => embedded.stop());

  it('drop every connection: writes retried, change stream resumed', async () => {
    const outcome = await aroundFault(embedded, 'drop', async (faults) => faults.dropConnections());
    assertExactlyOnceInOrder(outcome, 1);
    assert.ok(outcome.changeStreamOpens >= 2, 'the change stream was resumed');
  });

  it('step down for 1.5 s: NotWritablePrimary retried, ResumableChangeStreamError resumed', async () => {
    const outcome = await aroundFault(embedded, 'stepdown', (faults) => faults.stepDown(1_500));
    assertExactlyOnceInOrder(outcome);
    assert.ok(outcome.writeFailures.some((f) => f === 'insert: 10107'), `a write met NotWritablePrimary: ${outcome.writeFailures.join(', ')}`);
    assert.ok(outcome.changeStreamOpens >= 2, 'the change stream was resumed');
    assert.equal(embedded.server.topology.writablePrimary, true);
  });

  it('pause for 1 s: every command waits, nothing fails', async () => {
    const outcome = await aroundFault(embedded, 'pause', (faults) => faults.pause(1_000));
    assertExactlyOnceInOrder(outcome);
    assert.deepEqual(outcome.writeFailures, []);
  });

  it('restart with data kept (same port, new processId): writes retried, change stream resumed', async () => {
    const { port } = embedded.server;
    const processId = embedded.server.topology.processId;
    const outcome = await aroundFault(embedded, 'restart', (faults) => faults.restart(300));
    assertExactlyOnceInOrder(outcome, 1);
    assert.equal(embedded.server.port, port);
    assert.ok(!embedded.server.topology.processId.equals(processId), 'a new processId');
    assert.ok(outcome.changeStreamOpens >= 2, 'the change stream was resumed');
    const client = new MongoClient(embedded.uri);
    try {
      const kept = await client.db('faults').collection('restart').countDocuments();
      assert.ok(kept >= outcome.acked.length && kept <= WRITES, `data kept across the restart (${kept} documents)`);
    } finally {
      await client.close();
    }
  });

  it('a step-down is visible in hello at once and bumps topologyVersion twice', async () => {
    const client = new MongoClient(embedded.uri, { directConnection: true });
    try {
      const admin = client.db('admin');
      const before = await admin.command({ hello: 1 });
      const done = embedded.server.faults.stepDown(300);
      const during = await admin.command({ hello: 1 });
      assert.equal(during.isWritablePrimary, false);
      assert.equal(during.secondary, true);
      assert.equal(during.primary, undefined);
      assert.equal(Number(during.topologyVersion.counter), Number(before.topologyVersion.counter) + 1);
      const err = await admin.command({ insert: 'x', documents: [{}] }, { ignoreUndefined: true }).catch((e: { code?: number; errorLabels?: string[] }) => e);
      assert.equal((err as { code?: number }).code, 10107);
      await done;
      const afterwards = await admin.command({ hello: 1 });
      assert.equal(afterwards.isWritablePrimary, true);
      assert.equal(Number(afterwards.topologyVersion.counter), Number(before.topologyVersion.counter) + 2);
      assert.ok(afterwards.electionId.toHexString() > before.electionId.toHexString(), 'a new term');
    } finally {
      await client.close();
    }
  });

  it('parses --fault specs', () => {
    assert.deepEqual(parseFault('drop'), { kind: 'drop', durationMs: 0 });
    assert.deepEqual(parseFault('stepdown:5s'), { kind: 'stepDown', durationMs: 5_000 });
    assert.deepEqual(parseFault('pause=250ms'), { kind: 'pause', durationMs: 250 });
    assert.deepEqual(parseFault('restart'), { kind: 'restart', durationMs: 200 });
    assert.throws(() => parseFault('explode'), /unknown fault/);
    assert.throws(() => parseFault('pause:10'), /no unit/);
  });
});

/** The pure parts of a distributed run: shares, the configuration check, audit sets across processes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkShareable, configMismatch, shareOf, type AgreedConfig } from '../../src/distributed/config.js';
import { MongoClient } from 'mongodb';
import { badRunName, ControlStore } from '../../src/distributed/control.js';
import { UserError } from '../../src/util/errors.js';
import { ListenerReceipts, WriteLedger, WriteState } from '../../src/measure/audit.js';
import { summarizeEncoded } from '../../src/measure/histograms.js';
import { ListenerGroupRecorder, type ChangeEventLike } from '../../src/measure/recorder.js';

const config: AgreedConfig = {
  agents: 3, rate: 1000, duration: 10_000, warmup: 2_000, listeners: 10, writers: 2, 'full-document': false, mix: null,
  'stagger-threshold': 250, 'cold-shard': null, db: 'market', collection: 'stocksymbols', heartbeat: 2_000,
};

describe('distributed config', () => {
  it('shares 1/N of the rate and of the listeners, and gives each agent its own writer ids', () => {
    const shares = [0, 1, 2].map((a) => shareOf(config, a));
    assert.deepEqual(shares.map((s) => s.listeners), [4, 3, 3]);
    assert.equal(shares.reduce((a, s) => a + s.listeners, 0), 10);
    for (const s of shares) assert.equal(s.rate, 1000 / 3);
    assert.deepEqual(shares.map((s) => s.firstWriterId), [0, 2, 4]);
    for (const s of shares) assert.equal(s.totalWriters, 6);
  });

  it('names the first flag that differs from the run\'s, in the units people type', () => {
    assert.equal(configMismatch(config, { ...config }, 'r'), undefined);
    assert.match(configMismatch({ ...config, rate: 500 }, config, 'r')!.message, /^--rate: this agent was given 500, but run "r" was started with 1000 \(the first agent's flags\)/);
    assert.match(configMismatch({ ...config, warmup: 0 }, config, 'r')!.message, /^--warmup: this agent was given 0ms, but .* with 2000ms/);
    assert.match(configMismatch({ ...config, mix: 'familiar' }, config, 'r')!.message, /^--mix: this agent was given familiar, but .* with nothing/);
  });

  it('refuses fewer listeners than agents, and bad run names', () => {
    assert.throws(() => checkShareable({ ...config, listeners: 2 }), /--listeners 2 is fewer than --agents 3/);
    assert.equal(badRunName('nightly-1.a_b'), undefined);
    for (const bad of ['', '-x', 'a/b', 'a b', 'x'.repeat(65), '$where']) assert.ok(badRunName(bad), bad);
  });
});

describe('control operations', () => {
  it('a control operation that never answers ends in one line naming the control database', async () => {
    // Never connected: the operation is a promise that does not settle, as a reply that never comes.
    const client = new MongoClient('mongodb://127.0.0.1:9');
    const store = new ControlStore(client, 'ticker_control', 50);
    await assert.rejects(store.op(() => new Promise<never>(() => undefined)), (e: Error) =>
      e instanceof UserError && /^the control database ticker_control did not answer within 50ms: is the deployment under test up\?$/.test(e.message));
    assert.equal(store.ops, 1, 'counted like any other');
    assert.equal(await store.op(async () => 7), 7);
    await client.close();
  });
});

describe('audit sets across processes', () => {
  it('a listener is audited against the writes of every agent, after a trip through plain data', () => {
    // Two agents' ledgers (writers 0 and 1), each seeing 3 writes in the window and one warm-up write.
    const ledgers = [0, 1].map((w) => {
      const l = new WriteLedger();
      l.addWrite(w, 0, 1, WriteState.Warmup);
      for (let seq = 1; seq <= 3; seq++) l.addWrite(w, seq, 1 + seq, WriteState.Expected);
      l.addDelete(`Z${w}`, true);
      return l;
    });
    const receipts = new ListenerReceipts();
    for (const w of [0, 1]) for (let seq = 0; seq <= 3; seq++) if (!(w === 1 && seq === 2)) receipts.receive(w, seq, seq > 0);
    receipts.receive(0, 3, true); // a duplicate
    receipts.receiveDelete('Z0');

    const all = new WriteLedger();
    for (const l of ledgers) all.addData(JSON.parse(JSON.stringify(l.toData())));
    const back = ListenerReceipts.fromData(JSON.parse(JSON.stringify(receipts.toData())));
    assert.deepEqual(all.audit(back), { expected: 8, received: 7, lost: 2, duplicated: 1 }); // writer 1 seq 2 and delete Z1 lost
    // The same listener against one agent's ledger sees only that agent's writes.
    assert.deepEqual(ledgers[0]!.audit(back), { expected: 4, received: 5, lost: 0, duplicated: 1 });
  });

  it('an agent times only its own writers and bounds its clock from the events\' wallTime', () => {
    const W0 = 1_000_000;
    const r = new ListenerGroupRecorder({ listeners: ['0'], windowStart: W0, staggerThresholdMs: 250, ownWriters: { from: 2, to: 4 }, keepReceipts: true });
    const event = (w: number, seq: number, wall: number): ChangeEventLike => ({
      operationType: 'update', documentKey: { _id: `A${w}${seq}` }, updateDescription: { updatedFields: { tick: { seq, at: W0 + seq, w } } }, wallTime: new Date(wall),
    });
    r.onWrites({ writes: Float64Array.from([2, 1, W0 + 1, WriteState.Expected, 3, 1, W0 + 1, WriteState.Expected]), deletes: [] });
    // The server's clock is 5 ms ahead of this machine: commits at local send + 1 ms show wallTime + 6.
    r.onEvent(0, event(2, 1, W0 + 1 + 6), W0 + 4);
    r.onEvent(0, event(3, 1, W0 + 1 + 6), W0 + 3);
    r.onEvent(0, event(7, 1, W0 + 999), W0 + 3); // another agent's writer: audited, not timed
    const result = r.finish();
    assert.equal(summarizeEncoded(result.histograms.endToEnd).count, 2);
    assert.equal(result.othersEvents, 1);
    // server − local lies in [wall − receipt, wall − send] = [4, 6]
    assert.deepEqual(result.clock, { lowMs: 4, highMs: 6, samples: 2 });
    const receipts = ListenerReceipts.fromData(result.listeners[0]!.receipts!);
    assert.ok(receipts.receive(7, 1, true) === false, 'the foreign write is in the receipts');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MaxKey, MongoClient, type ChangeStream, type ChangeStreamDocument, type Document, type Timestamp } from 'mongodb';
import { startShardedCluster, type ShardedCluster } from '../../src/embedded/sharded/index.js';
import { hashKey } from '../../src/embedded/sharded/keys.js';
import { bulkDocs, bulkLayout } from '../../src/load/dataset.js';
import { coldShardFilter, ownerOf, prepareShardedCollection, readChunkMap } from '../../src/load/sharding.js';
import type { Target } from '../../src/connect/topology.js';

// The whole suite runs on the embedded sharded cluster: it checks the emulator's internals (which shard
// holds which document, when each shard's no-op was written).
const SHARDED_TARGET: Target = { topology: 'sharded', serverVersion: '7.0.14', isEmbedded: true, hosts: [] };

interface Received {
  event: ChangeStreamDocument<Document>;
  at: number;
}

/** Reads a change stream in the background (iterator mode), stamping each event with its receipt time. */
async function collect(stream: ChangeStream<Document>): Promise<{ received: Received[]; stop: () => Promise<void> }> {
  const received: Received[] = [];
  const first = await stream.tryNext(); // the cursor is open before anything is written
  if (first) received.push({ event: first, at: Date.now() });
  let running = true;
  const loop = (async () => {
    while (running) {
      const event = await stream.tryNext().catch(() => null);
      if (event) received.push({ event, at: Date.now() });
    }
  })();
  return { received, stop: async () => { running = false; await stream.close(); await loop; } };
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const cmpTs = (a: Timestamp, b: Timestamp) => (a.t !== b.t ? a.t - b.t : a.i - b.i);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('embedded sharded cluster: router, chunks, routing', () => {
  let cluster: ShardedCluster;
  let client: MongoClient;

  before(async () => {
    cluster = await startShardedCluster({ port: 0, shards: 3, noopIntervalMs: 500 });
    client = await new MongoClient(cluster.uri).connect();
  });
  after(async () => {
    await client.close();
    await cluster.stop();
  });

  it('answers as a mongos in front of three shards', async () => {
    const admin = client.db('admin');
    const hello = await admin.command({ hello: 1 });
    assert.equal(hello.msg, 'isdbgrid');
    assert.equal(hello.setName, undefined);
    assert.equal((await admin.command({ serverStatus: 1 })).process, 'mongos');
    assert.equal((client as unknown as { topology?: { description: { type: string } } }).topology?.description.type, 'Sharded');
    const shards = (await admin.command({ listShards: 1 })).shards as Document[];
    assert.deepEqual(shards.map((s) => s._id), ['shard0', 'shard1', 'shard2']);
    assert.equal((await client.db('config').collection('shards').countDocuments()), 3);
    const status = await admin.command({ balancerStatus: 1 });
    assert.ok(typeof status.mode === 'string');
  });

  it('prepareShardedCollection gives every shard an even share of a 40,000-document load', async () => {
    const layout = bulkLayout(40_000);
    const result = await prepareShardedCollection(client, 'load1', 'stocksymbols', { target: SHARDED_TARGET, layout });
    assert.equal(result.sharded, true);
    const map = await readChunkMap(client, 'load1', 'stocksymbols');
    assert.deepEqual([...new Set(map.chunks.map((c) => c.shard))].sort(), ['shard0', 'shard1', 'shard2']);
    const coll = client.db('load1').collection<{ _id: string; price: number }>('stocksymbols');
    const writers = [0, 1, 2, 3].map(async (w) => {
      for (let from = w * 10_000; from < (w + 1) * 10_000; from += 1000) await coll.insertMany(bulkDocs(layout, from, from + 1000), { ordered: false });
    });
    await Promise.all(writers);
    assert.equal(await coll.countDocuments(), 40_000);
    const sizes = cluster.shards.map((s) => s.node.catalog.get('load1', 'stocksymbols')?.docs.size ?? 0);
    for (const size of sizes) assert.ok(Math.abs(size - 40_000 / 3) <= 2, `uneven shares ${sizes.join(', ')}`);
    // Every document is on the shard its chunk in config.chunks names.
    for (const shard of cluster.shards) {
      for (const doc of shard.node.catalog.get('load1', 'stocksymbols')!.docs.values()) {
        assert.equal(ownerOf(map, doc._id), shard.name, `${doc._id} is on ${shard.name}`);
      }
    }
  });

  it('routes reads: by _id, scatter-gather with sort/skip/limit, aggregate over the merged documents', async () => {
    const coll = client.db('load1').collection<{ _id: string; price: number }>('stocksymbols');
    assert.equal((await coll.findOne({ _id: 'S10100' }))?._id, 'S10100');
    const top = await coll.find({}).sort({ _id: -1 }).skip(1).limit(3).toArray();
    assert.deepEqual(top.map((d) => d._id), ['Z19998', 'Z19997', 'Z19996']);
    const firstTwo = await coll.find({ price: { $gte: 10 } }).sort({ _id: 1 }).limit(2).toArray();
    assert.deepEqual(firstTwo.map((d) => d._id), ['A10000', 'A10001']);
    const byLetter = await coll.aggregate([{ $group: { _id: { $substrCP: ['$_id', 0, 1] }, n: { $sum: 1 } } }, { $sort: { _id: 1 } }]).toArray();
    assert.deepEqual(byLetter, [{ _id: 'A', n: 10_000 }, { _id: 'K', n: 10_000 }, { _id: 'S', n: 10_000 }, { _id: 'Z', n: 10_000 }]);
    assert.equal(await coll.countDocuments({ _id: { $in: ['A10000', 'K10000', 'Z10000', 'nope'] } }), 3);
    const all = await coll.find({}, { batchSize: 5000 }).toArray();
    assert.equal(all.length, 40_000);
  });

  it('routes writes: updates, deletes and findAndModify land on the owning shard', async () => {
    const coll = client.db('load1').collection<{ _id: string; price: number }>('stocksymbols');
    const map = await readChunkMap(client, 'load1', 'stocksymbols');
    await coll.updateOne({ _id: 'Z10001' }, { $set: { price: 99 } });
    const owner = cluster.shards.find((s) => s.name === ownerOf(map, 'Z10001'))!;
    assert.equal(owner.node.catalog.get('load1', 'stocksymbols')!.get('Z10001')!.price, 99);
    const many = await coll.updateMany({ _id: { $in: ['A10005', 'K10005', 'S10005'] } }, { $inc: { price: 100 } });
    assert.equal(many.modifiedCount, 3);
    assert.equal((await coll.deleteOne({ _id: 'K10009' })).deletedCount, 1);
    await coll.insertOne({ _id: 'K10009', price: 12 });
    const before = await coll.findOneAndUpdate({ _id: 'S10009' }, { $set: { price: 50 } }, { returnDocument: 'after' });
    assert.equal(before?.price, 50);
    const upserted = await coll.updateOne({ _id: 'MDB' }, { $set: { price: 95 } }, { upsert: true });
    assert.equal(upserted.upsertedCount, 1);
    const mdbOwner = cluster.shards.find((s) => s.name === ownerOf(map, 'MDB'))!;
    assert.ok(mdbOwner.node.catalog.get('load1', 'stocksymbols')!.get('MDB'));
    await assert.rejects(coll.updateOne({ price: 1234 }, { $set: { x: 1 } }, { upsert: true }), /shard key/);
    const dup = await coll.insertMany([{ _id: 'A10000', price: 1 }, { _id: 'NEW1', price: 1 }], { ordered: false }).catch((e) => e);
    assert.equal(dup.code ?? dup.writeErrors?.[0]?.code, 11000);
    assert.equal(await coll.countDocuments({ _id: 'NEW1' }), 1);
  });

  it('split and moveChunk move the documents with their chunk, without change events', async () => {
    const admin = client.db('admin');
    const coll = client.db('move').collection<{ _id: number }>('c');
    await admin.command({ shardCollection: 'move.c', key: { _id: 1 } });
    await coll.insertMany(Array.from({ length: 100 }, (_, i) => ({ _id: i })));
    const stream = await collect(coll.watch());
    await admin.command({ split: 'move.c', middle: { _id: 50 } });
    const primary = cluster.shards.find((s) => s.node.catalog.get('move', 'c')!.docs.size === 100)!;
    const to = cluster.shards.find((s) => s !== primary)!;
    await admin.command({ moveChunk: 'move.c', bounds: [{ _id: 50 }, { _id: new MaxKey() }], to: to.name });
    assert.equal(primary.node.catalog.get('move', 'c')!.docs.size, 50);
    assert.equal(to.node.catalog.get('move', 'c')!.docs.size, 50);
    await admin.command({ split: 'move.c', find: { _id: 10 } }); // at the chunk's median key
    const map = await readChunkMap(client, 'move', 'c');
    assert.deepEqual(map.chunks.map((c) => c.min).slice(1), [25, 50]);
    assert.equal(await coll.countDocuments(), 100);
    await coll.insertOne({ _id: 1000 });
    await waitFor(() => stream.received.length >= 1, 5000);
    await stream.stop();
    assert.deepEqual(stream.received.map((r) => r.event.operationType), ['insert']);
  });

  it('hashed sharding spreads documents by MongoDB\'s hash and routes by it', async () => {
    assert.equal(hashKey(42), -944302157085130861n); // MongoDB's own check value (hasher.cpp)
    await client.db('admin').command({ shardCollection: 'hashed.c', key: { _id: 'hashed' } });
    const coll = client.db('hashed').collection<{ _id: string }>('c');
    await coll.insertMany(Array.from({ length: 3000 }, (_, i) => ({ _id: `S${i}` })), { ordered: false });
    const map = await readChunkMap(client, 'hashed', 'c');
    assert.equal(map.hashed, true);
    for (const shard of cluster.shards) {
      const docs = shard.node.catalog.get('hashed', 'c')!.docs;
      assert.ok(docs.size > 800, `${shard.name} holds ${docs.size}`);
      for (const doc of docs.values()) assert.equal(ownerOf(map, doc._id), shard.name);
    }
    assert.equal((await coll.findOne({ _id: 'S1234' }))?._id, 'S1234');
  });
});

describe('embedded sharded cluster: two routers', () => {
  it('serve the same shards; killAllSessions on one aborts a transaction open on the other', async () => {
    const cluster = await startShardedCluster({ port: 0, shards: 2, routers: 2, noopIntervalMs: 0 });
    const [a, b] = await Promise.all(cluster.uris.map((u) => new MongoClient(`${u}?directConnection=true`).connect()));
    const both = await new MongoClient(cluster.multiUri).connect();
    try {
      assert.equal(cluster.uris.length, 2);
      assert.notEqual(cluster.routers[0].port, cluster.routers[1].port);
      await a.db('admin').command({ shardCollection: 'two.c', key: { _id: 'hashed' } });
      await a.db('two').collection('c').insertMany(Array.from({ length: 100 }, (_, i) => ({ _id: i } as Document)));
      assert.equal(await b.db('two').collection('c').countDocuments(), 100, 'router B reads what router A wrote');
      assert.equal(await both.db('two').collection<{ _id: number }>('c').countDocuments({ _id: { $lt: 10 } }), 10);
      assert.equal((await both.db('admin').command({ hello: 1 })).msg, 'isdbgrid');

      const session = a.startSession();
      session.startTransaction();
      await a.db('two').collection('c').insertOne({ _id: 'open' } as Document, { session });
      await b.db('admin').command({ killAllSessions: [] });
      await assert.rejects(session.commitTransaction(), (err: Error & { codeName?: string }) => err.codeName === 'NoSuchTransaction');
      await session.endSession();
      assert.equal(await b.db('two').collection('c').countDocuments({ _id: 'open' } as Document), 0);
    } finally {
      await Promise.all([a.close(), b.close(), both.close()]);
      await cluster.stop();
    }
  });
});

describe('embedded sharded cluster: change streams through the router', () => {
  let cluster: ShardedCluster;
  let client: MongoClient;
  const layout = bulkLayout(3000);

  before(async () => {
    cluster = await startShardedCluster({ port: 0, shards: 3, noopIntervalMs: 200 });
    client = await new MongoClient(cluster.uri).connect();
    await prepareShardedCollection(client, 'cs', 'stocksymbols', { target: SHARDED_TARGET, layout });
    await client.db('cs').collection<{ _id: string; price: number }>('stocksymbols').insertMany(bulkDocs(layout, 0, layout.count));
  });
  after(async () => {
    await client.close();
    await cluster.stop();
  });

  it('delivers every change from every shard once, in cluster-time order, and resumes from a token', async () => {
    const coll = client.db('cs').collection<{ _id: string; price: number }>('stocksymbols');
    const stream = await collect(coll.watch([], { maxAwaitTimeMS: 200 }));
    const writers = [0, 1, 2].map(async (w) => {
      const other = await new MongoClient(cluster.uri).connect();
      const c = other.db('cs').collection<{ _id: string; price: number }>('stocksymbols');
      for (let k = 0; k < 50; k++) {
        const id = `${['A', 'K', 'S', 'Z'][(w + k) % 4]}${10000 + ((w * 50 + k) % 750)}`;
        await c.updateOne({ _id: id }, { $inc: { price: 1 } });
        if (k % 10 === 0) {
          await c.deleteOne({ _id: id });
          await c.insertOne({ _id: id, price: 5 });
        }
      }
      await other.close();
    });
    await Promise.all(writers);
    const expected = 3 * (50 + 5 * 2);
    await waitFor(() => stream.received.length >= expected, 10_000).catch((e) => { throw new Error(`${e.message}: ${stream.received.length} of ${expected}`); });
    await sleep(300);
    await stream.stop();
    const events = stream.received.map((r) => r.event);
    assert.equal(events.length, expected);
    for (let i = 1; i < events.length; i++) assert.ok(cmpTs(events[i - 1].clusterTime!, events[i].clusterTime!) < 0, `event ${i} out of order`);
    const map = await readChunkMap(client, 'cs', 'stocksymbols');
    const shardsSeen = new Set(events.map((e) => ownerOf(map, (e as unknown as { documentKey: { _id: string } }).documentKey._id)));
    assert.equal(shardsSeen.size, 3, 'events came from every shard');
    for (const e of events) assert.ok('documentKey' in e && typeof e.documentKey._id === 'string');

    // Resume after the 40th event: exactly the rest follows.
    const resumed = await collect(coll.watch([], { resumeAfter: events[39]._id, maxAwaitTimeMS: 200 }));
    try {
      await waitFor(() => resumed.received.length >= expected - 40, 10_000);
      await sleep(300);
    } finally {
      await resumed.stop();
    }
    assert.deepEqual(resumed.received.map((r) => r.event._id), events.slice(40).map((e) => e._id));
  });

  it('reports shardCollection (after the hashed index it builds) only under showExpandedEvents, and resumes after it', async () => {
    const db = client.db('cs');
    await db.createCollection('tobeSharded');
    const expanded = db.collection('tobeSharded').watch([], { showExpandedEvents: true, maxAwaitTimeMS: 100 });
    const plain = db.collection('tobeSharded').watch([], { maxAwaitTimeMS: 100 });
    await Promise.all([expanded.tryNext(), plain.tryNext()]); // both cursors open before the command
    await client.db('admin').command({ shardCollection: 'cs.tobeSharded', key: { _id: 'hashed' }, numInitialChunks: 6 });
    const first = await expanded.next();
    assert.equal(first.operationType, 'createIndexes');
    const sharded = (await expanded.next()) as unknown as Document;
    assert.equal(sharded.operationType, 'shardCollection');
    assert.deepEqual(sharded.ns, { db: 'cs', coll: 'tobeSharded' });
    const info = (await db.listCollections({ name: 'tobeSharded' }).toArray())[0] as Document;
    assert.ok(sharded.collectionUUID.equals(info.info.uuid));
    assert.deepEqual(Object.keys(sharded.operationDescription), ['shardKey', 'unique', 'numInitialChunks', 'presplitHashedZones']);
    assert.deepEqual(sharded.operationDescription.shardKey, { _id: 'hashed' });
    assert.equal(sharded.operationDescription.unique, false);
    assert.equal(Number(sharded.operationDescription.numInitialChunks), 6);
    // Sharding it again with the same key is not a new event.
    await client.db('admin').command({ shardCollection: 'cs.tobeSharded', key: { _id: 'hashed' } });
    await db.collection('tobeSharded').insertOne({ _id: 1 } as Document);
    assert.equal((await expanded.next()).operationType, 'insert');
    assert.equal((await plain.next()).operationType, 'insert', 'without showExpandedEvents only the insert is seen');
    await Promise.all([expanded.close(), plain.close()]);
    const resumed = db.collection('tobeSharded').watch([], { showExpandedEvents: true, resumeAfter: sharded._id });
    assert.equal((await resumed.next()).operationType, 'insert');
    await resumed.close();
  });

  it('returns a post-batch resume token before any event', async () => {
    const stream = client.db('cs').collection('stocksymbols').watch();
    assert.equal(await stream.tryNext(), null);
    assert.ok(stream.resumeToken);
    await stream.close();
  });
});

describe('embedded sharded cluster: staggers', () => {
  it('a cold shard holds every event back until its next no-op', async () => {
    const cluster = await startShardedCluster({ port: 0, shards: 3, noopIntervalMs: 1000 });
    const client = await new MongoClient(cluster.uri).connect();
    try {
      const layout = bulkLayout(3000);
      await prepareShardedCollection(client, 'cold', 'stocksymbols', { target: SHARDED_TARGET, layout });
      const coll = client.db('cold').collection<{ _id: string; price: number }>('stocksymbols');
      await coll.insertMany(bulkDocs(layout, 0, layout.count));
      const warm = await coldShardFilter(client, 'cold', 'stocksymbols', 'shard2');
      const ids = bulkDocs(layout, 0, layout.count).map((d) => d._id).filter(warm);
      assert.ok(ids.length > 1500 && ids.length < 2500);
      const stream = await collect(coll.watch([], { maxAwaitTimeMS: 300 }));
      const started = Date.now();
      let k = 0;
      while (Date.now() - started < 4000) {
        await coll.updateOne({ _id: ids[(k++ * 7) % ids.length] }, { $inc: { price: 1 } });
        await sleep(50);
      }
      await waitFor(() => stream.received.length >= k, 5000);
      await stream.stop();
      const cold = cluster.shards[2].node.oplog;
      assert.equal(stream.received.length, k);
      const delays: number[] = [];
      for (const { event, at } of stream.received) {
        // The cold shard's first oplog entry (a no-op: nothing else is written there) after the event...
        const next = cold.at(cold.indexAfter(event.clusterTime!));
        assert.ok(next, 'released before the cold shard moved past it');
        assert.equal(next.op, 'noop');
        // ...was written before the event was received: the event waited for it.
        assert.ok(next.wallTime.getTime() <= at + 5, `event received ${next.wallTime.getTime() - at} ms before the no-op that releases it`);
        delays.push(at - ((event as { wallTime?: Date }).wallTime as Date).getTime());
      }
      // Bursts about one no-op interval apart: the longest wait is close to the interval.
      const worst = Math.max(...delays);
      assert.ok(worst >= 700 && worst < 3500, `longest hold-back ${worst} ms`);
      const gaps = stream.received.slice(1).map((r, i) => r.at - stream.received[i].at);
      assert.ok(Math.max(...gaps) >= 500, 'events arrive in bursts');
    } finally {
      await client.close();
      await cluster.stop();
    }
  });

  it('during a hold-back the getMore replies move their cluster time on while the post-batch token stays at the cold shard’s time (as a mongos answers)', async () => {
    const cluster = await startShardedCluster({ port: 0, shards: 2, noopIntervalMs: 1000 });
    const client = await new MongoClient(cluster.uri, { monitorCommands: true }).connect();
    try {
      const layout = bulkLayout(2000);
      await prepareShardedCollection(client, 'held', 'stocksymbols', { target: SHARDED_TARGET, layout });
      const coll = client.db('held').collection<{ _id: string; price: number }>('stocksymbols');
      await coll.insertMany(bulkDocs(layout, 0, layout.count));
      const warm = await coldShardFilter(client, 'held', 'stocksymbols', 'shard1');
      const ids = bulkDocs(layout, 0, layout.count).map((d) => d._id).filter(warm);
      const replies: Array<{ clusterTime: Timestamp; token: Timestamp; events: number; at: number }> = [];
      const tokenTime = (token: Document): Timestamp => {
        const data = String(token._data);
        return { t: parseInt(data.slice(2, 10), 16), i: parseInt(data.slice(10, 18), 16) } as Timestamp;
      };
      client.on('commandSucceeded', (e) => {
        if (e.commandName !== 'getMore') return;
        const reply = e.reply as Document;
        replies.push({ clusterTime: reply.$clusterTime.clusterTime, token: tokenTime(reply.cursor.postBatchResumeToken), events: reply.cursor.nextBatch.length, at: Date.now() });
      });
      const stream = await collect(coll.watch([], { maxAwaitTimeMS: 100 }));
      const started = Date.now();
      let k = 0;
      while (Date.now() - started < 2500) {
        await coll.updateOne({ _id: ids[(k++ * 7) % ids.length] }, { $inc: { price: 1 } });
        await sleep(30);
      }
      await waitFor(() => stream.received.length >= k, 5000);
      await stream.stop();
      // A hold: the token stays put for over half the no-op interval while the replies' cluster time moves on.
      const holds: Array<{ token: Timestamp; ms: number; from: Timestamp; to: Timestamp }> = [];
      for (let a = 0; a < replies.length; ) {
        let b = a;
        while (b + 1 < replies.length && cmpTs(replies[b + 1]!.token, replies[a]!.token) === 0) b++;
        const ms = replies[b]!.at - replies[a]!.at;
        if (ms >= 500) holds.push({ token: replies[a]!.token, ms, from: replies[a]!.clusterTime, to: replies[b]!.clusterTime });
        a = b + 1;
      }
      assert.ok(holds.filter((h) => cmpTs(h.token, replies[0]!.token) !== 0).length >= 1, `no hold past the start among ${replies.length} replies`);
      const cold = cluster.shards[1].node.oplog;
      for (const h of holds) {
        assert.ok(cmpTs(h.to, h.from) > 0 && cmpTs(h.to, h.token) > 0, 'the cluster time moved on during the hold');
        if (cmpTs(h.token, replies[0]!.token) === 0) continue; // held at the stream's start point, before the cold shard's first no-op
        // the token stood where the cold shard stood: one of its own oplog entries (its last no-op)
        const entry = cold.at(cold.indexAfter(h.token as never, true));
        assert.ok(entry && cmpTs(entry.ts as never, h.token) === 0, `a ${h.ms} ms hold at ${h.token.t}:${h.token.i}, no cold-shard entry`);
      }
      const held = replies.filter((r) => holds.some((h) => cmpTs(h.token, r.token) === 0) && cmpTs(r.clusterTime, r.token) > 0);
      // and what was held is released: a later reply's token passes the held cluster time
      assert.ok(held.some((r) => replies.some((x) => cmpTs(x.token, r.clusterTime) >= 0)), 'nothing held was ever released');
    } finally {
      await client.close();
      await cluster.stop();
    }
  });

  it('with every shard warm there is no hold-back beyond a small bound', async () => {
    const cluster = await startShardedCluster({ port: 0, shards: 3, noopIntervalMs: 10_000 });
    const client = await new MongoClient(cluster.uri).connect();
    try {
      const layout = bulkLayout(3000);
      await prepareShardedCollection(client, 'warm', 'stocksymbols', { target: SHARDED_TARGET, layout });
      const coll = client.db('warm').collection<{ _id: string; price: number }>('stocksymbols');
      await coll.insertMany(bulkDocs(layout, 0, layout.count));
      const ids = bulkDocs(layout, 0, layout.count).map((d) => d._id);
      const stream = await collect(coll.watch([], { maxAwaitTimeMS: 300 }));
      const started = Date.now();
      let k = 0;
      while (Date.now() - started < 3000) {
        // Round-robin over the three ranges: every shard is written about every 60 ms.
        await coll.updateOne({ _id: ids[((k % 3) * 1000 + k) % ids.length] }, { $inc: { price: 1 } });
        k++;
        await sleep(20);
      }
      await coll.updateMany({}, { $inc: { price: 1 } }); // touch every shard once more, so the last events are released
      await waitFor(() => stream.received.length >= k, 5000);
      await stream.stop();
      const delays = stream.received.slice(0, k).map(({ event, at }) => at - ((event as { wallTime?: Date }).wallTime as Date).getTime());
      const worst = Math.max(...delays);
      // A shard left waiting for its no-op would hold events for seconds (interval 10 s); a loaded machine's
      // scheduling alone adds up to hundreds of ms, which is not a hold-back.
      assert.ok(worst < 2500, `hold-back of ${worst} ms with every shard warm (no-op interval 10 s)`);
    } finally {
      await client.close();
      await cluster.stop();
    }
  });
});

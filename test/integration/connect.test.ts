import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServer } from 'node:net';
import type { MongoClient } from 'mongodb';
import { openClient } from '../../src/connect/client.js';
import { collectionState, requireLoaded } from '../../src/connect/collection.js';
import { describeTarget, requireChangeStreams } from '../../src/connect/topology.js';
import { UserError } from '../../src/util/errors.js';
import { getTarget, uniqueDbName, type TestTarget } from '../helpers/target.js';

/** A port nothing listens on: bind one, note it, close it. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('connect (integration)', () => {
  let target: TestTarget;
  let client: MongoClient;

  before(async () => {
    target = await getTarget();
    client = await openClient(target.uri);
  });
  after(async () => {
    await client?.close();
    await target?.stop();
  });

  it('a refused port is one UserError naming the address, within a few seconds', async () => {
    const port = await freePort();
    const started = Date.now();
    await assert.rejects(openClient(`mongodb://ticker:hunter2@127.0.0.1:${port}/?replicaSet=rs0`), (error: Error) => {
      assert.ok(error instanceof UserError);
      assert.equal(error.message, `connection refused by mongodb://ticker:****@127.0.0.1:${port}: is the server running and listening on that port?`);
      return true;
    });
    assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
  });

  it('describeTarget sees a replica set (or a sharded cluster) that supports change streams', async () => {
    const described = await describeTarget(client);
    if (target.embedded) {
      assert.equal(described.topology, 'replicaSet');
      assert.equal(described.setName, 'rs0');
      assert.equal(described.isEmbedded, true);
    } else {
      assert.notEqual(described.topology, 'standalone');
    }
    assert.match(described.serverVersion, /^\d+\.\d+/);
    assert.ok(described.hosts.length >= 1);
    requireChangeStreams(described);
  });

  it('collectionState and requireLoaded tell missing, empty and loaded apart', async () => {
    const dbName = uniqueDbName('ticker_connect');
    const db = client.db(dbName);
    try {
      assert.equal(await collectionState(client, dbName, 'stocksymbols'), 'missing');
      await assert.rejects(requireLoaded(client, dbName, 'stocksymbols'), new UserError(`${dbName}.stocksymbols is empty: run \`ticker load\` first`));
      await db.createCollection('stocksymbols');
      assert.equal(await collectionState(client, dbName, 'stocksymbols'), 'empty');
      await assert.rejects(requireLoaded(client, dbName, 'stocksymbols'), /is empty: run `ticker load` first/);
      await db.collection<{ _id: string; price: number }>('stocksymbols').insertMany([{ _id: 'MDB', price: 95 }, { _id: 'A10000', price: 12 }]);
      assert.equal(await collectionState(client, dbName, 'stocksymbols'), 2);
      assert.equal(await requireLoaded(client, dbName, 'stocksymbols'), 2);
    } finally {
      await db.dropDatabase();
    }
  });
});

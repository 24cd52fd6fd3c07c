import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MongoClient, MongoServerError } from 'mongodb';
import { WireServer } from '../../src/embedded/server.js';

const USER = 'alice';
const PASSWORD = 'p@ss:w0rd/ü';

function uriFor(server: WireServer, credentials = '', query = ''): string {
  return `mongodb://${credentials}127.0.0.1:${server.port}/?replicaSet=rs0&serverSelectionTimeoutMS=3000${query}`;
}

const cred = (user: string, password: string) => `${encodeURIComponent(user)}:${encodeURIComponent(password)}@`;

async function withClient<T>(uri: string, fn: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(uri);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

describe('SCRAM-SHA-256 authentication with the official driver', () => {
  let server: WireServer;

  before(async () => {
    server = new WireServer({ host: '127.0.0.1', port: 0, replicaSet: 'rs0', oplogEntries: 10_000, auth: { user: USER, password: PASSWORD } });
    await server.listen();
  });
  after(() => server.close());

  it('authenticates with mechanism negotiation (saslSupportedMechs + speculativeAuthenticate)', async () => {
    await withClient(uriFor(server, cred(USER, PASSWORD), '&authSource=admin'), async (client) => {
      const coll = client.db('app').collection('things');
      await coll.insertOne({ _id: 1, v: 'x' } as never);
      assert.deepEqual(await coll.findOne({ _id: 1 } as never), { _id: 1, v: 'x' });
      const status = await client.db('admin').command({ connectionStatus: 1 });
      assert.deepEqual(status.authInfo.authenticatedUsers, [{ user: USER, db: 'admin' }]);
    });
  });

  it('authenticates with an explicit SCRAM-SHA-256 mechanism', async () => {
    await withClient(uriFor(server, cred(USER, PASSWORD), '&authSource=admin&authMechanism=SCRAM-SHA-256'), async (client) => {
      assert.equal((await client.db('admin').command({ ping: 1 })).ok, 1);
      await client.db('app').collection('things').countDocuments();
    });
  });

  it('answers hello with saslSupportedMechs for the known user only', async () => {
    await withClient(uriFor(server), async (client) => {
      const known = await client.db('admin').command({ hello: 1, saslSupportedMechs: `admin.${USER}` });
      assert.deepEqual(known.saslSupportedMechs, ['SCRAM-SHA-256']);
      const unknown = await client.db('admin').command({ hello: 1, saslSupportedMechs: 'admin.mallory' });
      assert.equal(unknown.saslSupportedMechs, undefined);
    });
  });

  it('fails a wrong password with AuthenticationFailed (18)', async () => {
    await withClient(uriFor(server, cred(USER, 'wrong'), '&authSource=admin'), async (client) => {
      const err = await client.connect().then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof MongoServerError, String(err));
      assert.equal(err.code, 18);
      assert.equal(err.codeName, 'AuthenticationFailed');
    });
  });

  it('fails an unknown user and a wrong authSource with AuthenticationFailed (18)', async () => {
    for (const uri of [uriFor(server, cred('mallory', PASSWORD), '&authSource=admin'), uriFor(server, cred(USER, PASSWORD), '&authSource=app')]) {
      await withClient(uri, async (client) => {
        const err = await client.connect().then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof MongoServerError, String(err));
        assert.equal(err.code, 18);
      });
    }
  });

  it('refuses SCRAM-SHA-1 (the user has only SCRAM-SHA-256 credentials)', async () => {
    await withClient(uriFor(server, cred(USER, PASSWORD), '&authSource=admin&authMechanism=SCRAM-SHA-1'), async (client) => {
      const err = await client.connect().then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof MongoServerError, String(err));
      assert.equal(err.code, 334);
    });
  });

  it('gives an unauthenticated client Unauthorized (13) for everything but the handshake', async () => {
    await withClient(uriFor(server), async (client) => {
      const admin = client.db('admin');
      assert.equal((await admin.command({ ping: 1 })).ok, 1);
      assert.equal((await admin.command({ buildInfo: 1 })).ok, 1);
      assert.equal((await admin.command({ hello: 1 })).ok, 1);
      for (const run of [
        () => client.db('app').collection('things').findOne({}),
        () => client.db('app').collection('things').insertOne({ x: 1 }),
        () => admin.command({ listDatabases: 1 }),
        () => admin.command({ serverStatus: 1 }),
        () => admin.command({ configureFailPoint: 'failCommand', mode: 'off' }),
      ]) {
        const err = await run().then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof MongoServerError, String(err));
        assert.equal(err.code, 13);
        assert.equal(err.codeName, 'Unauthorized');
      }
    });
  });

  it('refuses to start on a non-loopback address without auth unless forced', () => {
    assert.throws(() => new WireServer({ host: '0.0.0.0', port: 0, replicaSet: 'rs0', oplogEntries: 10 }), /refusing to bind 0\.0\.0\.0/);
    assert.doesNotThrow(() => new WireServer({ host: '0.0.0.0', port: 0, replicaSet: 'rs0', oplogEntries: 10, allowUnauthenticatedRemote: true }));
    assert.doesNotThrow(() => new WireServer({ host: '0.0.0.0', port: 0, replicaSet: 'rs0', oplogEntries: 10, auth: { user: 'u', password: 'p' } }));
  });
});

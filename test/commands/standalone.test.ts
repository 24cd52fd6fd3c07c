import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/embedded/index.js';
import { assertRefused, runTicker } from '../helpers/cli.js';

// A standalone mongod has no oplog and so no change streams: every command that needs one must refuse it
// before doing any work. The embedded server plays the standalone (a real one cannot be started here).
describe('a standalone server', { skip: process.env.MONGODB_URI ? 'needs the embedded server in standalone mode' : false }, () => {
  let server: EmbeddedServer;
  before(async () => {
    server = await startEmbeddedServer({ port: 0, standalone: true });
  });
  after(async () => server.stop());

  for (const command of [['trace'], ['display'], ['bench', 'latency', '--duration', '1s'], ['load', '--count', '10'], ['mutate', '--duration', '1s']]) {
    it(`is refused by ticker ${command.join(' ')} with one line`, async () => {
      assertRefused(await runTicker([...command, '--uri', server.uri]), /standalone/);
    });
  }

  it('nothing was written to it', async () => {
    const { MongoClient } = await import('mongodb');
    const client = await new MongoClient(server.uri).connect();
    try {
      assert.deepEqual(await client.db('market').listCollections().toArray(), []);
    } finally {
      await client.close();
    }
  });
});

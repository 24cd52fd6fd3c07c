import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { getTarget, uniqueDbName, type TestTarget } from '../helpers/target.js';
import { runTicker as ticker } from '../helpers/cli.js';

describe('ticker clean', () => {
  let target: TestTarget;
  let client: MongoClient;
  before(async () => {
    target = await getTarget();
    client = await new MongoClient(target.uri).connect();
  });
  after(async () => {
    await client.close();
    await target.stop();
  });

  it('drops the database and says what it dropped', async () => {
    const db = uniqueDbName('clean');
    await client.db(db).collection('stocksymbols').insertMany([{ _id: 'MDB' as unknown as never, price: 95 }, { price: 1 }]);
    await client.db(db).collection('other').insertOne({ x: 1 });
    const run = await ticker(['clean', '--uri', target.uri, '--db', db]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^dropped database ${db} on mongodb://[^ ]+ \\(2 collections, 3 documents counted just before the drop\\)\\n$`));
    assert.deepEqual(await client.db(db).listCollections().toArray(), []);
  });

  it('says so when there is nothing to drop; --json gives the result', async () => {
    const db = uniqueDbName('clean');
    const run = await ticker(['clean', '--uri', target.uri, '--db', db, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { database: db, existed: false, collections: 0, documents: 0, recreated: 0 });
    const text = await ticker(['clean', '--uri', target.uri, '--db', db]);
    assert.match(text.stdout, /holds nothing: nothing to drop/);
  });

  it('an unreachable server is one line, naming the address, non-zero exit', async () => {
    const run = await ticker(['clean', '--uri', 'mongodb://127.0.0.1:1']);
    assert.notEqual(run.code, 0);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /^Error: connection refused by mongodb:\/\/127\.0\.0\.1:1/);
  });
});

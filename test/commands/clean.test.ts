import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { getTarget, uniqueDbName, type TestTarget } from '../helpers/target.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
function ticker(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/run.js', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', MONGODB_URI: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

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
    assert.match(run.stdout, new RegExp(`^dropped database ${db} on mongodb://[^ ]+ \\(2 collections, 3 documents\\)\\n$`));
    assert.deepEqual(await client.db(db).listCollections().toArray(), []);
  });

  it('says so when there is nothing to drop; --json gives the result', async () => {
    const db = uniqueDbName('clean');
    const run = await ticker(['clean', '--uri', target.uri, '--db', db, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { database: db, existed: false, collections: 0, documents: 0 });
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

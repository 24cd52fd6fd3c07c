import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressOf, DEFAULT_URI, redactSecrets, redactUri, resolveUri, userOf } from '../../src/connect/uri.js';
import { connectionErrorMessage } from '../../src/connect/errors.js';
import { requireChangeStreams, topologyOf, type Target } from '../../src/connect/topology.js';
import { openClient } from '../../src/connect/client.js';
import { UserError } from '../../src/util/errors.js';

describe('resolveUri', () => {
  it('prefers the flag, then MONGODB_URI, then the local default', () => {
    const env = { MONGODB_URI: 'mongodb://env:27017' };
    assert.equal(resolveUri('mongodb://flag:1', env), 'mongodb://flag:1');
    assert.equal(resolveUri(undefined, env), 'mongodb://env:27017');
    assert.equal(resolveUri('  ', env), 'mongodb://env:27017');
    assert.equal(resolveUri(undefined, {}), DEFAULT_URI);
    assert.equal(resolveUri(undefined, { MONGODB_URI: '' }), 'mongodb://127.0.0.1:27017');
  });
});

describe('redaction', () => {
  const secret = 's3cr3t!Pass';

  it('hides the password and keeps the user', () => {
    assert.equal(redactUri(`mongodb://alice:${secret}@db1:27017,db2:27017/market?replicaSet=rs0`), 'mongodb://alice:****@db1:27017,db2:27017/market?replicaSet=rs0');
    assert.equal(redactUri(`mongodb+srv://alice:${secret}@cluster0.example.net/`), 'mongodb+srv://alice:****@cluster0.example.net/');
    assert.equal(redactUri('mongodb://localhost:27017'), 'mongodb://localhost:27017');
    assert.equal(redactUri('mongodb://x509user@host/?authMechanism=MONGODB-X509'), 'mongodb://x509user@host/?authMechanism=MONGODB-X509');
  });

  it('finds connection strings anywhere in a text, several times', () => {
    const text = `failed: "mongodb://a:${secret}@h1" then (MONGODB+SRV://b:${secret}@h2/x) done`;
    const redacted = redactSecrets(text);
    assert.ok(!redacted.includes(secret), redacted);
    assert.match(redacted, /mongodb:\/\/a:\*\*\*\*@h1/);
    assert.match(redacted, /MONGODB\+SRV:\/\/b:\*\*\*\*@h2\/x/);
  });

  it('hides passwords with raw @, / or : and secrets in options', () => {
    for (const uri of [
      'mongodb://u:p@ss@host:1/db',
      'mongodb://u:pa/ss@host:1/db',
      'mongodb://u:pa:ss@host:1',
      'mongodb://u:%40encoded@host',
      'mongodb://u@host/?authMechanismProperties=AWS_SESSION_TOKEN:tok3n',
      'mongodb://host/?tlsCertificateKeyFilePassword=tok3n&tls=true',
    ]) {
      const redacted = redactUri(uri);
      for (const piece of ['p@ss', 'pa/ss', 'pa:ss', 'ss@', '%40encoded', 'tok3n']) assert.ok(!redacted.includes(piece), `${uri} → ${redacted}`);
    }
  });

  it('addressOf names the hosts without database, options or password', () => {
    assert.equal(addressOf('mongodb://u:pw@a:1,b:2/db?x=1'), 'mongodb://u:****@a:1,b:2');
    assert.equal(addressOf('mongodb://127.0.0.1:1/?replicaSet=rs0'), 'mongodb://127.0.0.1:1');
    assert.equal(addressOf('not a uri'), 'not a uri');
  });

  it('userOf decodes the user name', () => {
    assert.equal(userOf('mongodb://al%40ice:pw@h'), 'al@ice');
    assert.equal(userOf('mongodb://h:27017'), undefined);
  });
});

describe('connectionErrorMessage', () => {
  const address = 'mongodb://u:****@db:27017';
  const networkError = (message: string, code?: string): Error =>
    Object.assign(new Error('Server selection timed out'), {
      name: 'MongoServerSelectionError',
      cause: Object.assign(new Error(message), { name: 'MongoNetworkError', cause: code ? Object.assign(new Error(message), { code }) : undefined }),
    });

  it('classifies the usual failures in one line', () => {
    const cases: [unknown, RegExp][] = [
      [Object.assign(new Error('Invalid scheme'), { name: 'MongoParseError' }), /^invalid connection string mongodb:\/\/u:\*\*\*\*@db:27017: Invalid scheme$/],
      [networkError('getaddrinfo ENOTFOUND db', 'ENOTFOUND'), /^cannot resolve the host of .*db:27017: unknown host/],
      [networkError('connect ECONNREFUSED 10.0.0.1:27017', 'ECONNREFUSED'), /^connection refused by mongodb:\/\/u:\*\*\*\*@db:27017/],
      [Object.assign(new Error('Authentication failed.'), { name: 'MongoServerError', code: 18, codeName: 'AuthenticationFailed' }), /^authentication failed for user "u" on /],
      [networkError('SSL routines:ssl3_get_record:wrong version number', 'EPROTO'), /^TLS handshake with .* failed/],
      [networkError('connection 1 to 10.0.0.1:27017 closed'), /closed the connection during the handshake: does it require TLS/],
      [Object.assign(new Error('Server selection timed out after 3000 ms'), { name: 'MongoServerSelectionError' }), /^no usable server at .* in time/],
    ];
    for (const [error, pattern] of cases) {
      const message = connectionErrorMessage(error, address, 'u');
      assert.match(message ?? '', pattern);
      assert.ok(!message!.includes('\n'));
    }
  });

  it('leaves other errors alone', () => {
    assert.equal(connectionErrorMessage(new TypeError('x is undefined')), undefined);
    assert.equal(connectionErrorMessage('text'), undefined);
  });

  it('never shows a password the driver put in its message', () => {
    const error = Object.assign(new Error('bad mongodb://u:hunter2@h:1 thing'), { name: 'MongoParseError' });
    assert.ok(!connectionErrorMessage(error)!.includes('hunter2'));
  });
});

describe('openClient', () => {
  it('turns a malformed URI into one UserError line without the password', async () => {
    await assert.rejects(openClient('mongodb://u:hunter2@h:1/?notAnOption=1'), (error: Error) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /^invalid connection string mongodb:\/\/u:\*\*\*\*@h:1: /);
      assert.ok(!error.message.includes('hunter2'));
      return true;
    });
    await assert.rejects(openClient('localhost:27017'), /invalid connection string localhost:27017: Invalid scheme/);
  });

  it('names a refused address within the timeout', async () => {
    const started = Date.now();
    await assert.rejects(openClient('mongodb://u:hunter2@127.0.0.1:1/?replicaSet=rs0', { serverSelectionTimeoutMS: 1000 }), (error: Error) => {
      assert.ok(error instanceof UserError);
      assert.equal(error.message, 'connection refused by mongodb://u:****@127.0.0.1:1: is the server running and listening on that port?');
      return true;
    });
    assert.ok(Date.now() - started < 5_000);
  });
});

describe('topology', () => {
  it('reads hello', () => {
    assert.equal(topologyOf({ msg: 'isdbgrid', isWritablePrimary: true }), 'sharded');
    assert.equal(topologyOf({ setName: 'rs0', isWritablePrimary: true }), 'replicaSet');
    assert.equal(topologyOf({ isWritablePrimary: true }), 'standalone');
  });

  it('requireChangeStreams refuses a standalone only', () => {
    const target: Target = { topology: 'standalone', serverVersion: '8.0.0', isEmbedded: false, hosts: ['db:27017'] };
    assert.throws(() => requireChangeStreams(target), (error: Error) =>
      error instanceof UserError && error.message === 'db:27017 is a standalone server; change streams need a replica set or a sharded cluster');
    requireChangeStreams({ ...target, topology: 'replicaSet', setName: 'rs0' });
    requireChangeStreams({ ...target, topology: 'sharded', shards: 2 });
  });
});

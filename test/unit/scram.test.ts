import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, it } from 'node:test';
import { checkBindSafety, isLoopback, parseAuthSpec } from '../../src/embedded/auth/index.js';
import { saslprep } from '../../src/embedded/auth/saslprep.js';
import { deriveCredentials, ScramError, ScramSha256Server } from '../../src/embedded/auth/scram.js';

// RFC 7677 section 3: user "user", password "pencil".
const SALT = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
const CLIENT_FIRST = 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO';
const SERVER_NONCE = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
const CLIENT_FINAL = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
const SERVER_FINAL = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';

const credentials = deriveCredentials('pencil', SALT, 4096);
const server = () => new ScramSha256Server((user) => (user === 'user' ? credentials : undefined), SERVER_NONCE);

describe('SCRAM-SHA-256 server (RFC 7677 test vector)', () => {
  it('derives StoredKey and ServerKey from the salted password', () => {
    const salted = pbkdf2Sync('pencil', SALT, 4096, 32, 'sha256');
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    assert.deepEqual(credentials.storedKey, createHash('sha256').update(clientKey).digest());
    assert.deepEqual(credentials.serverKey, createHmac('sha256', salted).update('Server Key').digest());
  });

  it('answers client-first with the RFC server-first message', () => {
    assert.equal(server().start(CLIENT_FIRST), SERVER_FIRST);
  });

  it('accepts the RFC client proof and returns the RFC server signature', () => {
    const scram = server();
    scram.start(CLIENT_FIRST);
    assert.equal(scram.finish(CLIENT_FINAL), SERVER_FINAL);
    assert.equal(scram.user, 'user');
  });

  it('refuses a wrong proof, a wrong nonce, a wrong channel binding and an unknown user', () => {
    const wrongProof = CLIENT_FINAL.replace('p=dHzb', 'p=eHzb');
    const wrongNonce = CLIENT_FINAL.replace('k0,p=', 'k1,p=');
    const wrongBinding = CLIENT_FINAL.replace('c=biws', 'c=eSws');
    for (const final of [wrongProof, wrongNonce, wrongBinding]) {
      const scram = server();
      scram.start(CLIENT_FIRST);
      assert.throws(() => scram.finish(final), ScramError);
    }
    assert.throws(() => server().start('n,,n=nobody,r=abc'), ScramError);
  });

  it('refuses malformed and unsupported client-first messages', () => {
    for (const bad of ['', 'x', 'n,,r=abc,n=user', 'p=tls-unique,,n=user,r=abc', 'n,,m=ext,n=user,r=abc', 'n,,n=us=er,r=abc', 'n,a=other,n=user,r=abc']) {
      assert.throws(() => server().start(bad), ScramError, bad);
    }
    assert.throws(() => server().finish(CLIENT_FINAL), ScramError);
  });

  it('decodes =2C and =3D in user names', () => {
    const scram = new ScramSha256Server((user) => (user === 'a,b=c' ? credentials : undefined), SERVER_NONCE);
    assert.match(scram.start('n,,n=a=2Cb=3Dc,r=xyz'), /^r=xyz/);
  });
});

describe('SASLprep', () => {
  it('leaves ASCII alone, maps non-ASCII spaces, drops mapped-to-nothing, NFKC-normalises', () => {
    assert.equal(saslprep('pencil'), 'pencil');
    assert.equal(saslprep('I\u00ADX'), 'IX'); // RFC 4013 section 3 examples
    assert.equal(saslprep('\u00AA'), 'a');
    assert.equal(saslprep('\u2168'), 'IX');
    assert.equal(saslprep('a\u00A0b'), 'a b');
    assert.throws(() => saslprep('\u0007'));
  });
});

describe('auth options', () => {
  it('parses user:password', () => {
    assert.deepEqual(parseAuthSpec('alice:s3:cret'), { user: 'alice', password: 's3:cret' });
    assert.throws(() => parseAuthSpec('alice'));
    assert.throws(() => parseAuthSpec(':pw'));
    assert.throws(() => parseAuthSpec('alice:'));
  });

  it('tells loopback addresses from others', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) assert.ok(isLoopback(host), host);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.5', 'example.com', '::ffff:10.0.0.1']) assert.ok(!isLoopback(host), host);
  });

  it('refuses a non-loopback bind without auth unless forced', () => {
    assert.doesNotThrow(() => checkBindSafety('127.0.0.1', false, false));
    assert.doesNotThrow(() => checkBindSafety('localhost,::1', false, false));
    assert.throws(() => checkBindSafety('0.0.0.0', false, false), /refusing to bind 0\.0\.0\.0 without authentication.*--auth user:password.*--insecure-bind/);
    assert.throws(() => checkBindSafety('127.0.0.1,10.1.1.1', false, false), /10\.1\.1\.1/);
    assert.doesNotThrow(() => checkBindSafety('0.0.0.0', true, false));
    assert.doesNotThrow(() => checkBindSafety('0.0.0.0', false, true));
  });
});

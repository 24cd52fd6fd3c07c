import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EmbeddedServer } from '../../src/embedded/index.js';
import type { ShardedCluster } from '../../src/embedded/sharded/index.js';
import { assertRefused, runTicker, type CliResult } from '../helpers/cli.js';
import { AGAINST_REAL_DEPLOYMENT } from '../helpers/target.js';

// What a user gets for a connection string that cannot work: one line naming the redacted address, a
// non-zero exit, never the password (nor a piece of it). The embedded servers play the targets.
describe('connection failures, as the CLI shows them', { skip: AGAINST_REAL_DEPLOYMENT ? 'needs embedded servers (auth, plain, mongos)' : false }, () => {
  const PASSWORD = 'Tr0ub4dor';
  let authServer: EmbeddedServer;
  let plain: EmbeddedServer;
  let cluster: ShardedCluster;
  let hostPort: string;
  let plainHostPort: string;

  before(async () => {
    const { startEmbeddedServer } = await import('../../src/embedded/index.js');
    const { startShardedCluster } = await import('../../src/embedded/sharded/index.js');
    authServer = await startEmbeddedServer({ port: 0, auth: { user: 'alice', password: PASSWORD } });
    plain = await startEmbeddedServer({ port: 0 });
    cluster = await startShardedCluster({ port: 0, shards: 1, noopIntervalMs: 0 });
    hostPort = new URL(authServer.uri).host;
    plainHostPort = new URL(plain.uri).host;
  });
  after(async () => {
    await authServer?.stop();
    await plain?.stop();
    await cluster?.stop();
  });

  /** The whole output, stdout and stderr, holds none of `pieces`. */
  function assertNoSecret(run: CliResult, ...pieces: string[]): void {
    for (const piece of pieces) assert.ok(!(run.stdout + run.stderr).toLowerCase().includes(piece.toLowerCase()), `"${piece}" shown: ${run.stderr}`);
  }

  it('a wrong password: authentication failed, the password hidden', async () => {
    const run = await runTicker(['trace', '--uri', `mongodb://alice:Wrong${PASSWORD}@${hostPort}/?replicaSet=rs0`]);
    assertRefused(run, /^Error: authentication failed for user "alice" on mongodb:\/\/alice:\*\*\*\*@127\.0\.0\.1:\d+: /);
    assertNoSecret(run, `Wrong${PASSWORD}`);
  });

  it('a password with a space or a quote is hidden whole', async () => {
    // A URI found in text ends at a space or a quote: the password used to be shown from there on.
    for (const password of ['two words', "quote'secret"]) {
      const run = await runTicker(['load', '--uri', `mongodb://alice:${password}@${hostPort}/?replicaSet=rs0`]);
      assertRefused(run, /^Error: authentication failed for user "alice" on mongodb:\/\/alice:\*\*\*\*@127\.0\.0\.1:\d+: /);
      assertNoSecret(run, password, password.slice(-5));
    }
  });

  it("a raw '@' and '/' in the password: refused as malformed, no piece of it shown", async () => {
    // The driver would read "ngP" as the host and print it in "getaddrinfo ENOTFOUND ngp".
    const run = await runTicker(['trace', '--uri', `mongodb://alice:Wr@ngP/ss99@${hostPort}/`]);
    assertRefused(run, /^Error: invalid connection string mongodb:\/\/alice:\*\*\*\*@127\.0\.0\.1:\d+: .*percent-encode/);
    assertNoSecret(run, 'ngP', 'ss99');
  });

  it('a port that is not a number: invalid connection string', async () => {
    assertRefused(await runTicker(['trace', '--uri', 'mongodb://127.0.0.1:notaport']), /^Error: invalid connection string mongodb:\/\/127\.0\.0\.1:notaport: /);
  });

  it('tls=true against a server without TLS names TLS, not the firewall', async () => {
    const run = await runTicker(['trace', '--uri', `mongodb://${plainHostPort}/?tls=true`]);
    assertRefused(run, /^Error: no TLS handshake from mongodb:\/\/127\.0\.0\.1:\d+ in time: .*remove tls=true/);
  });

  it('replicaSet= against a mongos says it is not a member of that set', async () => {
    const run = await runTicker(['trace', '--uri', `${cluster.uri}?replicaSet=rs0`]);
    assertRefused(run, /^Error: no member of replica set "rs0" at mongodb:\/\/127\.0\.0\.1:\d+: .*replicaSet=/);
  });
});

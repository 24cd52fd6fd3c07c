import { MongoClient, type MongoClientOptions } from 'mongodb';
import { UserError } from '../util/errors.js';
import { oneLine, toConnectionUserError } from './errors.js';
import { addressOf, userOf } from './uri.js';

export interface OpenClientOptions {
  /** How long to look for a usable server before giving up; short, so a wrong address fails fast. */
  serverSelectionTimeoutMS?: number;
  /** Below serverSelectionTimeoutMS, so a stuck TCP or TLS handshake is what the error names. */
  connectTimeoutMS?: number;
  appName?: string;
  /** Anything else for the driver; wins over the defaults above. */
  driver?: MongoClientOptions;
}

/**
 * Connects and proves the server answers (`ping`), or throws ONE UserError line naming the redacted
 * address: malformed URI, unknown host, refused port, timeout, wrong credentials, TLS trouble.
 * The caller owns the client and must `close()` it.
 */
export async function openClient(uri: string, options: OpenClientOptions = {}): Promise<MongoClient> {
  const address = addressOf(uri);
  const user = userOf(uri);
  const fail = (error: unknown): Error =>
    toConnectionUserError(error, address, user) ??
    new UserError(`cannot connect to ${address}: ${oneLine(error instanceof Error ? error.message : String(error))}`);

  if (hasRawAtAfterHosts(uri)) {
    // The driver would take what follows the raw '@' as the host and print it: a piece of the password.
    throw new UserError(`invalid connection string ${address}: an '@' after the host list; percent-encode '@', '/', ':' or '?' in a user name or password (e.g. '@' as %40)`);
  }
  let client: MongoClient;
  try {
    // Options given here win over the URI's: set the defaults only where the URI says nothing.
    const inUri = (name: string): boolean => new RegExp(`[?&]${name}=`, 'i').test(uri);
    client = new MongoClient(uri, {
      ...(inUri('serverSelectionTimeoutMS') ? {} : { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 3_000 }),
      ...(inUri('connectTimeoutMS') ? {} : { connectTimeoutMS: options.connectTimeoutMS ?? 2_500 }),
      ...(inUri('appName') ? {} : { appName: options.appName ?? 'ticker' }),
      ...options.driver,
    });
  } catch (error) {
    throw fail(error);
  }

  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return client;
  } catch (error) {
    await client.close().catch(() => undefined);
    throw fail(error);
  }
}

/**
 * True for `mongodb://user:p@ss/word@host`: credentials, then another '@' further on. A password with a raw
 * '@' or '/' makes the driver read part of it as the host (and print it in its errors).
 */
function hasRawAtAfterHosts(uri: string): boolean {
  const rest = uri.trim().replace(/^mongodb(?:\+srv)?:\/\//i, '');
  const authority = rest.split(/[/?]/, 1)[0] ?? '';
  return authority.includes('@') && rest.indexOf('@', authority.length) !== -1;
}

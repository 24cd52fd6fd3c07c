import { MongoClient, type MongoClientOptions } from 'mongodb';
import { UserError } from '../util/errors.js';
import { oneLine, toConnectionUserError } from './errors.js';
import { addressOf, userOf } from './uri.js';

export interface OpenClientOptions {
  /** How long to look for a usable server before giving up; short, so a wrong address fails fast. */
  serverSelectionTimeoutMS?: number;
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

  let client: MongoClient;
  try {
    client = new MongoClient(uri, {
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 3_000,
      connectTimeoutMS: options.connectTimeoutMS ?? 3_000,
      appName: options.appName ?? 'ticker',
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

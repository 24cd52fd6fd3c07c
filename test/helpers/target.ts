/**
 * Where integration tests run.
 *
 * By default each test file starts the embedded in-memory server on a free port (`getTarget()` in a
 * `before` hook, `stop()` in `after`). To run the same suite against a real deployment instead:
 *
 *   MONGODB_URI='mongodb://host:27017/?replicaSet=rs0' npm test
 *
 * (a replica set or a sharded cluster: change streams need one). Tests of emulator-only behaviour (fault
 * injection, server internals) then skip themselves with a reason via `requireEmbedded(t)` or
 * `{ skip: EMBEDDED_ONLY }`. Tests write to their own databases and drop them; never point this at data
 * you care about.
 */
import type { TestContext } from 'node:test';
import type { EmbeddedServer } from '../../src/embedded/index.js';
import { MongoClient, type Db } from 'mongodb';

export interface TestTarget {
  uri: string;
  /** The embedded server, or false against a real deployment from MONGODB_URI. */
  embedded: EmbeddedServer | false;
  /** Stops what getTarget started (nothing for a real deployment). */
  stop(): Promise<void>;
}

const REAL_URI = process.env.MONGODB_URI?.trim() || undefined;

/** True when the suite runs against a real deployment. */
export const AGAINST_REAL_DEPLOYMENT = REAL_URI !== undefined;

/** For `it(name, { skip: EMBEDDED_ONLY }, ...)`: a skip reason against a real deployment, else false. */
export const EMBEDDED_ONLY: string | false = AGAINST_REAL_DEPLOYMENT ? 'needs the embedded server (MONGODB_URI is set)' : false;

export async function getTarget(): Promise<TestTarget> {
  if (REAL_URI) return { uri: REAL_URI, embedded: false, stop: async () => {} };
  // Imported only when needed, so runs against a real deployment never load the emulator.
  const { startEmbeddedServer } = await import('../../src/embedded/index.js');
  const server = await startEmbeddedServer({ port: 0 });
  return { uri: server.uri, embedded: server, stop: () => server.stop() };
}

/**
 * Skips the current test, with the reason, when it runs against a real deployment.
 * Returns whether the test may go on: `if (!requireEmbedded(t)) return;`.
 */
export function requireEmbedded(t: TestContext): boolean {
  if (!AGAINST_REAL_DEPLOYMENT) return true;
  t.skip(EMBEDDED_ONLY as string);
  return false;
}

/** A database name no other test uses, so tests cannot see each other's data on a shared deployment. */
export function uniqueDbName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** What a test file of driver-level checks needs: the target, a client and a database of its own. */
export interface TestDb {
  target: TestTarget;
  client: MongoClient;
  db: Db;
}

export async function openTestDb(prefix: string): Promise<TestDb> {
  const target = await getTarget();
  const client = new MongoClient(target.uri, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  return { target, client, db: client.db(uniqueDbName(prefix)) };
}

/** Drops the database and closes what `openTestDb` opened (any part may be missing if it failed). */
export async function closeTestDb(t: Partial<TestDb>): Promise<void> {
  await t.db?.dropDatabase().catch(() => {});
  await t.client?.close();
  await t.target?.stop();
}

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EJSON, type Document } from 'bson';
import { MongoClient, type ClusterTime, type Collection, type MongoServerError } from 'mongodb';
import { driverSkip } from './driver-skips.js';
import { match, type MatchContext } from './match.js';
import { TestRun } from './test-run.js';

/**
 * A runner for the drivers' unified test format (mongodb/specifications,
 * source/unified-test-format/unified-test-format.md): loading, runOnRequirements, initial data and
 * outcomes here; entities and operations in test-run.ts.
 */

export const SUPPORTED_SCHEMA = [1, 21];

export interface SpecTest {
  description: string;
  runOnRequirements?: Document[];
  skipReason?: string;
  operations: Document[];
  expectEvents?: Document[];
  outcome?: Document[];
}

export interface SpecFile {
  /** File name without the directory, e.g. `change-streams.json`. */
  name: string;
  description: string;
  schemaVersion: string;
  runOnRequirements?: Document[];
  createEntities?: Document[];
  initialData?: Document[];
  tests: SpecTest[];
}

export interface ServerInfo {
  version: string;
  topology: 'single' | 'replicaset' | 'sharded' | 'load-balanced';
  auth: boolean;
}

/** The repository root: the nearest directory above `from` holding package.json. */
export function repoRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

/** `<repo>/../shared/conformance/<suite>`, or `$CONFORMANCE_DIR/<suite>` when that is set. */
export function conformanceDir(suite: string): string {
  return path.resolve(process.env.CONFORMANCE_DIR ?? path.resolve(repoRoot(), '..', 'shared', 'conformance'), suite);
}

export function loadSpecFiles(dir: string): SpecFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f, ...(EJSON.parse(readFileSync(path.join(dir, f), 'utf8'), { relaxed: true }) as Omit<SpecFile, 'name'>) }));
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Why one runOnRequirement is not met, or undefined when it is. */
function unmet(req: Document, server: ServerInfo, parameters: Document): string | undefined {
  if (req.minServerVersion && compareVersions(server.version, req.minServerVersion) < 0) return `minServerVersion ${req.minServerVersion} (server is ${server.version})`;
  if (req.maxServerVersion && compareVersions(server.version, req.maxServerVersion) > 0) return `maxServerVersion ${req.maxServerVersion} (server is ${server.version})`;
  if (Array.isArray(req.topologies)) {
    const topologies = req.topologies.map((t: string) => (t === 'sharded-replicaset' ? 'sharded' : t));
    if (!topologies.includes(server.topology)) return `requires ${req.topologies.join('/')} topology (server is ${server.topology})`;
  }
  if (req.serverless === 'require') return 'requires serverless';
  if (req.auth === true && !server.auth) return 'requires auth';
  if (req.auth === false && server.auth) return 'requires no auth';
  if (req.authMechanism) return `requires auth mechanism ${req.authMechanism}`;
  if (req.csfle) return 'requires client-side field level encryption';
  for (const [name, value] of Object.entries((req.serverParameters ?? {}) as Document)) {
    try {
      match(value, parameters[name], NO_ENTITIES, false);
    } catch {
      return `requires server parameter ${name}=${EJSON.stringify(value)}`;
    }
  }
  return undefined;
}

const NO_ENTITIES: MatchContext = {
  entity: (name) => { throw new Error(`no entity ${name}`); },
  sessionLsid: (name) => { throw new Error(`no session ${name}`); },
};

/** Why none of the requirements is met (joined by "or"), or undefined when one is. */
export function requirementsUnmet(reqs: Document[] | undefined, server: ServerInfo, parameters: Document): string | undefined {
  if (!reqs || reqs.length === 0) return undefined;
  const reasons: string[] = [];
  for (const req of reqs) {
    const reason = unmet(req, server, parameters);
    if (reason === undefined) return undefined;
    reasons.push(reason);
  }
  return [...new Set(reasons)].join(' or ');
}

const TEST_TIMEOUT_MS = Number(process.env.CONFORMANCE_TEST_TIMEOUT_MS ?? 20_000);

/** Runs spec tests against one deployment (its URI); one internal client does setup and teardown. */
export class UnifiedRunner {
  private constructor(readonly uri: string, readonly internal: MongoClient, readonly server: ServerInfo, private readonly parameters: Document, readonly multiUri: string) {}

  /** `multiUri`: every mongos of a sharded deployment, for clients with useMultipleMongoses (default `uri`). */
  static async connect(uri: string, multiUri = uri): Promise<UnifiedRunner> {
    const internal = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
    await internal.connect();
    const admin = internal.db('admin');
    const [build, hello] = await Promise.all([admin.command({ buildInfo: 1 }), admin.command({ hello: 1 })]);
    const topology: ServerInfo['topology'] = hello.msg === 'isdbgrid' ? 'sharded' : hello.setName ? 'replicaset' : hello.serviceId ? 'load-balanced' : 'single';
    const parameters = await admin.command({ getParameter: '*' }).catch(() => ({}));
    const auth = /^mongodb(\+srv)?:\/\/[^/@]+@/.test(uri);
    return new UnifiedRunner(uri, internal, { version: String(build.version), topology, auth }, parameters, multiUri);
  }

  /** Why this test is skipped here (file- or test-level requirements, schema, skipReason), or undefined. */
  skipReason(file: SpecFile, test: SpecTest): string | undefined {
    const [major, minor] = file.schemaVersion.split('.').map(Number);
    if (major !== SUPPORTED_SCHEMA[0] || minor > SUPPORTED_SCHEMA[1]) return `schemaVersion ${file.schemaVersion} not supported`;
    if (test.skipReason) return `skipReason: ${test.skipReason}`;
    const driver = driverSkip(test.description);
    if (driver) return `the Node driver does not implement it: ${driver}`;
    const fileReason = requirementsUnmet(file.runOnRequirements, this.server, this.parameters);
    if (fileReason) return fileReason;
    return requirementsUnmet(test.runOnRequirements, this.server, this.parameters);
  }

  /** Runs one test; throws (MatchError or the operation's error) when it fails. */
  async runTest(file: SpecFile, test: SpecTest): Promise<void> {
    const run = new TestRun(this, file);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`test did not finish within ${TEST_TIMEOUT_MS} ms`)), TEST_TIMEOUT_MS);
    });
    const running = run.run(test);
    try {
      await Promise.race([running, timeout]);
    } catch (err) {
      // A hung operation: closing the clients ends it; wait for the cleanup before the next test.
      await Promise.race([running.catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** killAllSessions, ignoring the codes the Node runner ignores (Interrupted, Unauthorized, CommandNotFound). */
  async killAllSessions(): Promise<void> {
    await this.internal.db('admin').command({ killAllSessions: [] }).catch((err) => {
      if (![11601, 13, 59].includes((err as MongoServerError).code as number)) throw err;
    });
  }

  /** The deployment's cluster time now (a ping's $clusterTime). */
  async clusterTime(): Promise<ClusterTime | undefined> {
    const ping = await this.internal.db('admin').command({ ping: 1 });
    return ping.$clusterTime as ClusterTime | undefined;
  }

  /**
   * The format's workaround for SERVER-39704, done before every test on a sharded cluster as the Node runner
   * does: a non-transactional distinct on each collection entity (NamespaceNotFound is fine).
   */
  async distinctOnEachCollection(collections: Collection[]): Promise<void> {
    for (const c of collections) {
      await this.internal.db(c.dbName).command({ distinct: c.collectionName, key: '_id' }).catch((err) => {
        if ((err as MongoServerError).code !== 26) throw err;
      });
    }
  }

  async loadInitialData(data: Document[]): Promise<void> {
    for (const { databaseName, collectionName, documents = [], createOptions } of data) {
      const db = this.internal.db(databaseName);
      await db.dropCollection(collectionName, { writeConcern: { w: 'majority' } }).catch((err) => {
        if ((err as MongoServerError).code !== 26) throw err;
      });
      if (createOptions || documents.length === 0) await db.createCollection(collectionName, { ...(createOptions ?? {}), writeConcern: { w: 'majority' } });
      if (documents.length > 0) await db.collection(collectionName).insertMany(documents, { writeConcern: { w: 'majority' } });
    }
  }

  async checkOutcome(data: Document): Promise<void> {
    const docs = await this.internal.db(data.databaseName).collection(data.collectionName).find({}, { sort: { _id: 1 }, readPreference: 'primary', readConcern: { level: 'local' } }).toArray();
    match(data.documents, docs, NO_ENTITIES, false, `outcome ${data.databaseName}.${data.collectionName}`);
  }

  async close(): Promise<void> {
    await this.internal.close(true);
  }
}

export type Outcome = { status: 'passed' } | { status: 'failed'; error: string } | { status: 'skipped'; reason: string };

/** Runs a whole file (for the summary script): one outcome per test, in order. */
export async function runFile(runner: UnifiedRunner, file: SpecFile): Promise<{ test: SpecTest; outcome: Outcome }[]> {
  const results: { test: SpecTest; outcome: Outcome }[] = [];
  for (const test of file.tests) {
    const reason = runner.skipReason(file, test);
    if (reason) {
      results.push({ test, outcome: { status: 'skipped', reason } });
      continue;
    }
    try {
      await runner.runTest(file, test);
      results.push({ test, outcome: { status: 'passed' } });
    } catch (err) {
      results.push({ test, outcome: { status: 'failed', error: (err as Error).message } });
    }
  }
  return results;
}

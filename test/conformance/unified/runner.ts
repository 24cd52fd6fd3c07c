import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EJSON, type Document } from 'bson';
import {
  ChangeStream, ClientSession, Collection, Db, MongoClient, MongoServerError, MongoNetworkError,
  type CommandFailedEvent, type CommandStartedEvent, type CommandSucceededEvent,
} from 'mongodb';
import { match, MatchError, type MatchContext } from './match.js';

/**
 * A runner for the drivers' unified test format (mongodb/specifications,
 * source/unified-test-format/unified-test-format.md), as far as the change-stream spec tests use it.
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

const SENSITIVE = new Set(['authenticate', 'saslStart', 'saslContinue', 'getnonce', 'createUser', 'updateUser', 'copydbgetnonce', 'copydbsaslstart', 'copydb']);

interface ObservedEvent {
  type: string;
  event: CommandStartedEvent | CommandSucceededEvent | CommandFailedEvent | Document;
}

class ClientEntity {
  readonly events: ObservedEvent[] = [];
  observing = true;
  checkedOut = 0;
  constructor(readonly client: MongoClient, readonly spec: Document) {}
}

type Entity = ClientEntity | Db | Collection | ClientSession | ChangeStream | unknown;

const TEST_TIMEOUT_MS = Number(process.env.CONFORMANCE_TEST_TIMEOUT_MS ?? 20_000);

/** One test's entities and the fail points it armed. */
class TestRun implements MatchContext {
  readonly entities = new Map<string, Entity>();
  readonly failPoints: { client: MongoClient; name: string }[] = [];

  constructor(readonly runner: UnifiedRunner, readonly file: SpecFile) {}

  entity(name: string): unknown {
    if (!this.entities.has(name)) throw new Error(`no entity named ${name}`);
    return this.entities.get(name);
  }

  sessionLsid(name: string): unknown {
    const session = this.entity(name);
    if (!(session instanceof ClientSession)) throw new Error(`entity ${name} is not a session`);
    return session.id;
  }

  private typed<T>(name: string, type: abstract new (...args: never[]) => T, what: string): T {
    const e = this.entity(name);
    if (!(e instanceof type)) throw new Error(`entity ${name} is not a ${what}`);
    return e as T;
  }

  client(name: string): ClientEntity {
    return this.typed(name, ClientEntity, 'client');
  }

  async createEntities(specs: Document[]): Promise<void> {
    for (const spec of specs) {
      const [kind] = Object.keys(spec);
      const def = spec[kind] as Document;
      if (this.entities.has(def.id)) throw new Error(`duplicate entity ${def.id}`);
      switch (kind) {
        case 'client':
          this.entities.set(def.id, await this.createClient(def));
          break;
        case 'database':
          this.entities.set(def.id, this.client(def.client).client.db(def.databaseName, def.databaseOptions));
          break;
        case 'collection':
          this.entities.set(def.id, this.typed(def.database, Db, 'database').collection(def.collectionName, def.collectionOptions));
          break;
        case 'session':
          this.entities.set(def.id, this.client(def.client).client.startSession(def.sessionOptions));
          break;
        default:
          throw new Error(`unsupported entity type ${kind}`);
      }
    }
  }

  private async createClient(def: Document): Promise<ClientEntity> {
    const uriOptions: Document = { ...(def.uriOptions ?? {}) };
    if (!('heartbeatFrequencyMS' in uriOptions)) uriOptions.heartbeatFrequencyMS = 500;
    const extra = Object.entries(uriOptions).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(typeof v === 'object' ? EJSON.stringify(v) : String(v))}`).join('&');
    const base = this.runner.uri;
    const uri = extra ? `${base}${base.includes('?') ? '&' : base.endsWith('/') ? '?' : '/?'}${extra}` : base;
    const client = new MongoClient(uri, { monitorCommands: true, serverSelectionTimeoutMS: 5000, ...(def.serverApi ? { serverApi: def.serverApi } : {}) });
    const entity = new ClientEntity(client, def);
    const observe = new Set<string>(def.observeEvents ?? []);
    const ignore = new Set<string>(def.ignoreCommandMonitoringEvents ?? []);
    const record = (type: string) => (event: CommandStartedEvent | CommandSucceededEvent | CommandFailedEvent) => {
      if (!entity.observing || !observe.has(type)) return;
      if (ignore.has(event.commandName) || event.commandName === 'configureFailPoint') return;
      if (!def.observeSensitiveCommands && SENSITIVE.has(event.commandName)) return;
      entity.events.push({ type, event });
    };
    client.on('commandStarted', record('commandStartedEvent'));
    client.on('commandSucceeded', record('commandSucceededEvent'));
    client.on('commandFailed', record('commandFailedEvent'));
    client.on('connectionCheckedOut', () => entity.checkedOut++);
    client.on('connectionCheckedIn', () => entity.checkedOut--);
    for (const cmap of ['poolCreated', 'poolReady', 'poolCleared', 'poolClosed', 'connectionCreated', 'connectionReady', 'connectionClosed', 'connectionCheckOutStarted', 'connectionCheckOutFailed', 'connectionCheckedOut', 'connectionCheckedIn'] as const) {
      client.on(cmap, (event: Document) => {
        if (entity.observing && observe.has(`${cmap}Event`)) entity.events.push({ type: `${cmap}Event`, event });
      });
    }
    await client.connect();
    return entity;
  }

  /** Runs every operation, then checks expectEvents; always cleans up. */
  async run(test: SpecTest): Promise<void> {
    try {
      if (this.file.initialData) await this.runner.loadInitialData(this.file.initialData);
      await this.createEntities(this.file.createEntities ?? []);
      for (const [i, op] of test.operations.entries()) {
        try {
          await this.operation(op);
        } catch (err) {
          const e = err as Error;
          e.message = `operation ${i} (${op.object}.${op.name}): ${e.message}`;
          throw e;
        }
      }
      for (const e of this.entities.values()) if (e instanceof ClientEntity) e.observing = false;
      await this.disableFailPoints();
      for (const expected of test.expectEvents ?? []) this.checkEvents(expected);
      for (const data of test.outcome ?? []) await this.runner.checkOutcome(data);
    } finally {
      await this.cleanup();
    }
  }

  private checkEvents(expected: Document): void {
    const entity = this.client(expected.client);
    const kind = expected.eventType ?? 'command';
    const isCommand = (t: string) => t.startsWith('command');
    const actual = entity.events.filter((e) => (kind === 'command' ? isCommand(e.type) : kind === 'cmap' ? !isCommand(e.type) : false));
    const wanted = expected.events as Document[];
    const describe = () => actual.map((e) => `${e.type}:${(e.event as { commandName?: string }).commandName ?? ''}`).join(', ');
    if (expected.ignoreExtraEvents ? actual.length < wanted.length : actual.length !== wanted.length) {
      throw new MatchError(`expectEvents[${expected.client}]`, `expected ${wanted.length} event(s), observed ${actual.length}: [${describe()}]`);
    }
    wanted.forEach((want, i) => {
      const [type] = Object.keys(want);
      const got = actual[i];
      const at = `expectEvents[${expected.client}][${i}]`;
      if (got.type !== type) throw new MatchError(at, `expected ${type}, observed ${got.type} [${describe()}]`);
      const spec = want[type] as Document;
      const event = got.event as Document;
      if (spec.commandName !== undefined && spec.commandName !== event.commandName) throw new MatchError(`${at}.commandName`, `expected ${spec.commandName}, got ${event.commandName}`);
      if (spec.databaseName !== undefined && spec.databaseName !== event.databaseName) throw new MatchError(`${at}.databaseName`, `expected ${spec.databaseName}, got ${event.databaseName}`);
      if (spec.command !== undefined) match(spec.command, event.command, this, true, `${at}.command`);
      if (spec.reply !== undefined) match(spec.reply, event.reply, this, true, `${at}.reply`);
      if (spec.hasServiceId !== undefined && (event.serviceId !== undefined) !== spec.hasServiceId) throw new MatchError(`${at}.hasServiceId`, 'mismatch');
      if (spec.hasServerConnectionId !== undefined && (event.serverConnectionId != null) !== spec.hasServerConnectionId) throw new MatchError(`${at}.hasServerConnectionId`, 'mismatch');
    });
  }

  private async operation(op: Document): Promise<void> {
    let result: unknown;
    let error: unknown;
    try {
      result = await this.execute(op);
    } catch (err) {
      if (err instanceof MatchError || err instanceof UnsupportedOperation) throw err;
      error = err;
    }
    if (op.expectError) {
      if (error === undefined) throw new MatchError('expectError', `expected an error, got result ${safeShow(result)}`);
      checkError(op.expectError, error, this);
      return;
    }
    if (error !== undefined) {
      if (op.ignoreResultAndError) return;
      throw error;
    }
    if (op.expectResult !== undefined) match(op.expectResult, result, this, true, 'expectResult');
    if (op.saveResultAsEntity) {
      if (this.entities.has(op.saveResultAsEntity)) throw new Error(`duplicate entity ${op.saveResultAsEntity}`);
      this.entities.set(op.saveResultAsEntity, result);
    }
  }

  private async execute(op: Document): Promise<unknown> {
    const args: Document = { ...(op.arguments ?? {}) };
    if (typeof args.session === 'string') args.session = this.typed(args.session, ClientSession, 'session');
    if (op.object === 'testRunner') return this.testRunnerOperation(op.name, args);
    const target = this.entity(op.object);
    if (target instanceof ChangeStream) return this.changeStreamOperation(target, op.name);
    if (target instanceof ClientEntity) return this.clientOperation(target, op.name, args);
    if (target instanceof Db) return this.databaseOperation(target, op.name, args);
    if (target instanceof Collection) return this.collectionOperation(target, op.name, args);
    if (target instanceof ClientSession) return this.sessionOperation(target, op.name);
    throw new UnsupportedOperation(`operation ${op.name} on entity ${op.object}`);
  }

  private async createChangeStream(target: MongoClient | Db | Collection, args: Document): Promise<ChangeStream> {
    const { pipeline = [], ...options } = args;
    const stream = (target as Collection).watch(pipeline, options);
    // What the Node driver's own unified runner does: run the aggregate now, not on the first next().
    await (stream as unknown as { cursor: { cursorInit(): Promise<void> } }).cursor.cursorInit();
    return stream;
  }

  private async changeStreamOperation(stream: ChangeStream, name: string): Promise<unknown> {
    switch (name) {
      case 'iterateUntilDocumentOrError':
        return stream.next();
      case 'iterateOnce':
        return stream.tryNext();
      case 'close':
        return stream.close();
      default:
        throw new UnsupportedOperation(`change stream operation ${name}`);
    }
  }

  private async clientOperation(entity: ClientEntity, name: string, args: Document): Promise<unknown> {
    const client = entity.client;
    switch (name) {
      case 'createChangeStream':
        return this.createChangeStream(client, args);
      case 'listDatabases':
        return (await client.db('admin').admin().listDatabases(args)).databases;
      case 'listDatabaseNames':
        return (await client.db('admin').admin().listDatabases({ ...args, nameOnly: true })).databases.map((d) => d.name);
      case 'dropDatabase':
        return client.db(args.databaseName).dropDatabase();
      case 'close':
        return client.close();
      default:
        throw new UnsupportedOperation(`client operation ${name}`);
    }
  }

  private async databaseOperation(db: Db, name: string, args: Document): Promise<unknown> {
    switch (name) {
      case 'createChangeStream':
        return this.createChangeStream(db, args);
      case 'runCommand': {
        const { command, commandName: _name, ...options } = args;
        return db.command(command, options);
      }
      case 'createCollection': {
        const { collection, ...options } = args;
        await db.createCollection(collection, options);
        return undefined;
      }
      case 'dropCollection': {
        const { collection, ...options } = args;
        return db.dropCollection(collection, options);
      }
      case 'modifyCollection': {
        const { collection, session, ...changes } = args;
        return db.command({ collMod: collection, ...changes }, { session });
      }
      case 'dropDatabase':
        return db.dropDatabase(args);
      case 'listCollections': {
        const { filter, ...options } = args;
        return db.listCollections(filter, options).toArray();
      }
      case 'listCollectionNames': {
        const { filter, ...options } = args;
        return (await db.listCollections(filter, { ...options, nameOnly: true }).toArray()).map((c) => c.name);
      }
      case 'aggregate': {
        const { pipeline, ...options } = args;
        return db.aggregate(pipeline, options).toArray();
      }
      default:
        throw new UnsupportedOperation(`database operation ${name}`);
    }
  }

  private async collectionOperation(coll: Collection, name: string, args: Document): Promise<unknown> {
    const { filter, update, replacement, document, documents, pipeline, ...options } = args;
    switch (name) {
      case 'createChangeStream':
        return this.createChangeStream(coll, args);
      case 'insertOne':
        return coll.insertOne(document, options);
      case 'insertMany':
        return coll.insertMany(documents, options);
      case 'updateOne':
        return coll.updateOne(filter, update, options);
      case 'updateMany':
        return coll.updateMany(filter, update, options);
      case 'replaceOne':
        return coll.replaceOne(filter, replacement, options);
      case 'deleteOne':
        return coll.deleteOne(filter, options);
      case 'deleteMany':
        return coll.deleteMany(filter, options);
      case 'find':
        return coll.find(filter, options).toArray();
      case 'findOne':
        return coll.findOne(filter, options);
      case 'aggregate':
        return coll.aggregate(pipeline, options).toArray();
      case 'countDocuments':
        return coll.countDocuments(filter, options);
      case 'estimatedDocumentCount':
        return coll.estimatedDocumentCount(options);
      case 'distinct': {
        const { fieldName, ...rest } = options;
        return coll.distinct(fieldName, filter, rest);
      }
      case 'findOneAndUpdate':
        return coll.findOneAndUpdate(filter, update, options);
      case 'findOneAndReplace':
        return coll.findOneAndReplace(filter, replacement, options);
      case 'findOneAndDelete':
        return coll.findOneAndDelete(filter, options);
      case 'rename': {
        const { to, ...rest } = options;
        await coll.rename(to, rest);
        return undefined;
      }
      case 'createIndex': {
        const { keys, ...rest } = options;
        return coll.createIndex(keys, rest);
      }
      case 'dropIndex': {
        const { name: indexName, ...rest } = options;
        return coll.dropIndex(indexName, rest);
      }
      case 'listIndexes':
        return coll.listIndexes(options).toArray();
      case 'drop':
        return coll.drop(options);
      default:
        throw new UnsupportedOperation(`collection operation ${name}`);
    }
  }

  private async sessionOperation(session: ClientSession, name: string): Promise<unknown> {
    switch (name) {
      case 'startTransaction':
        return session.startTransaction();
      case 'commitTransaction':
        return session.commitTransaction();
      case 'abortTransaction':
        return session.abortTransaction();
      case 'endSession':
        return session.endSession();
      default:
        throw new UnsupportedOperation(`session operation ${name}`);
    }
  }

  private async testRunnerOperation(name: string, args: Document): Promise<unknown> {
    switch (name) {
      case 'failPoint': {
        const client = this.client(args.client).client;
        await client.db('admin').command(args.failPoint);
        this.failPoints.push({ client: this.runner.internal, name: args.failPoint.configureFailPoint });
        return undefined;
      }
      case 'assertNumberConnectionsCheckedOut': {
        const entity = this.client(args.client);
        if (entity.checkedOut !== args.connections) throw new MatchError('connections', `expected ${args.connections} connection(s) checked out, found ${entity.checkedOut}`);
        return undefined;
      }
      case 'wait':
        await new Promise((resolve) => setTimeout(resolve, args.ms));
        return undefined;
      case 'assertCollectionExists':
      case 'assertCollectionNotExists': {
        const names = (await this.runner.internal.db(args.databaseName).listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
        const exists = names.includes(args.collectionName);
        if (exists !== (name === 'assertCollectionExists')) throw new MatchError(name, `${args.databaseName}.${args.collectionName} ${exists ? 'exists' : 'does not exist'}`);
        return undefined;
      }
      case 'assertIndexExists':
      case 'assertIndexNotExists': {
        const indexes = await this.runner.internal.db(args.databaseName).collection(args.collectionName).listIndexes().toArray().catch(() => []);
        const exists = indexes.some((i) => i.name === args.indexName);
        if (exists !== (name === 'assertIndexExists')) throw new MatchError(name, `index ${args.indexName} ${exists ? 'exists' : 'does not exist'}`);
        return undefined;
      }
      default:
        throw new UnsupportedOperation(`test runner operation ${name}`);
    }
  }

  private async disableFailPoints(): Promise<void> {
    for (const fp of this.failPoints.splice(0)) {
      await fp.client.db('admin').command({ configureFailPoint: fp.name, mode: 'off' }).catch(() => {});
    }
  }

  private async cleanup(): Promise<void> {
    await this.disableFailPoints();
    const entities = [...this.entities.values()];
    for (const e of entities) if (e instanceof ChangeStream) await e.close().catch(() => {});
    for (const e of entities) if (e instanceof ClientSession) await e.endSession().catch(() => {});
    for (const e of entities) if (e instanceof ClientEntity) await e.client.close(true).catch(() => {});
    this.entities.clear();
  }
}

class UnsupportedOperation extends Error {
  constructor(what: string) {
    super(`unsupported ${what}`);
  }
}

function safeShow(value: unknown): string {
  try {
    return EJSON.stringify(value as Document, { relaxed: true });
  } catch {
    return String(value);
  }
}

function checkError(expected: Document, error: unknown, ctx: MatchContext): void {
  const err = error as MongoServerError & { errorLabels?: string[] };
  const fromServer = error instanceof MongoServerError;
  const describe = `${(err as Error).name}: ${(err as Error).message} (code ${err.code}, labels ${JSON.stringify(err.errorLabels ?? [])})`;
  if (expected.isClientError === true && (fromServer || error instanceof MongoNetworkError)) throw new MatchError('expectError.isClientError', `expected a client error, got ${describe}`);
  if (expected.isClientError === false && !fromServer) throw new MatchError('expectError.isClientError', `expected a server error, got ${describe}`);
  if (expected.isTimeoutError === true && !/timeout|timed out/i.test((err as Error).name + (err as Error).message)) throw new MatchError('expectError.isTimeoutError', `expected a timeout, got ${describe}`);
  if (expected.errorContains !== undefined && !String((err as Error).message).toLowerCase().includes(String(expected.errorContains).toLowerCase())) {
    throw new MatchError('expectError.errorContains', `expected "${expected.errorContains}" in ${describe}`);
  }
  if (expected.errorCode !== undefined && err.code !== expected.errorCode) throw new MatchError('expectError.errorCode', `expected code ${expected.errorCode}, got ${describe}`);
  if (expected.errorCodeName !== undefined && err.codeName !== expected.errorCodeName) throw new MatchError('expectError.errorCodeName', `expected ${expected.errorCodeName}, got ${err.codeName} (${describe})`);
  const hasLabel = (label: string) => (typeof err.hasErrorLabel === 'function' ? err.hasErrorLabel(label) : (err.errorLabels ?? []).includes(label));
  for (const label of expected.errorLabelsContain ?? []) if (!hasLabel(label)) throw new MatchError('expectError.errorLabelsContain', `missing label ${label}: ${describe}`);
  for (const label of expected.errorLabelsOmit ?? []) if (hasLabel(label)) throw new MatchError('expectError.errorLabelsOmit', `unexpected label ${label}: ${describe}`);
  if (expected.errorResponse !== undefined) match(expected.errorResponse, err.errorResponse, ctx, true, 'expectError.errorResponse');
}

/** Runs spec tests against one deployment (its URI); one internal client does setup and teardown. */
export class UnifiedRunner {
  private constructor(readonly uri: string, readonly internal: MongoClient, readonly server: ServerInfo, private readonly parameters: Document) {}

  static async connect(uri: string): Promise<UnifiedRunner> {
    const internal = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
    await internal.connect();
    const admin = internal.db('admin');
    const [build, hello] = await Promise.all([admin.command({ buildInfo: 1 }), admin.command({ hello: 1 })]);
    const topology: ServerInfo['topology'] = hello.msg === 'isdbgrid' ? 'sharded' : hello.setName ? 'replicaset' : hello.serviceId ? 'load-balanced' : 'single';
    const parameters = await admin.command({ getParameter: '*' }).catch(() => ({}));
    const auth = /^mongodb(\+srv)?:\/\/[^/@]+@/.test(uri);
    return new UnifiedRunner(uri, internal, { version: String(build.version), topology, auth }, parameters);
  }

  /** Why this test is skipped here (file- or test-level requirements, schema, skipReason), or undefined. */
  skipReason(file: SpecFile, test: SpecTest): string | undefined {
    const [major, minor] = file.schemaVersion.split('.').map(Number);
    if (major !== SUPPORTED_SCHEMA[0] || minor > SUPPORTED_SCHEMA[1]) return `schemaVersion ${file.schemaVersion} not supported`;
    if (test.skipReason) return `skipReason: ${test.skipReason}`;
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
    const canonical = (d: unknown) => EJSON.stringify(sortKeys(d) as Document, { relaxed: true });
    const want = (data.documents as Document[]).map(canonical);
    const got = docs.map(canonical);
    if (JSON.stringify(want) !== JSON.stringify(got)) throw new MatchError(`outcome ${data.databaseName}.${data.collectionName}`, `expected ${want.join(', ')}, got ${got.join(', ')}`);
  }

  async close(): Promise<void> {
    await this.internal.close(true);
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value as { _bsontype?: string })._bsontype && !(value instanceof Date)) {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Document)[k])]));
  }
  return value;
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

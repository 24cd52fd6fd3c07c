import { EJSON, type Document } from 'bson';
import { ChangeStream, ClientSession, Collection, Db, MongoClient, type ClusterTime } from 'mongodb';
import { ClientEntity, driverOptions, sessionOptions } from './entities.js';
import { checkError } from './expect-error.js';
import { match, MatchError, type MatchContext } from './match.js';
import { normaliseResult } from './results.js';
import type { SpecFile, SpecTest, UnifiedRunner } from './runner.js';

/** An operation or entity the runner does not implement: a runner gap, reported as such. */
export class UnsupportedOperation extends Error {
  constructor(what: string) {
    super(`runner gap: unsupported ${what}`);
  }
}

type Entity = ClientEntity | Db | Collection | ClientSession | ChangeStream | unknown;

function safeShow(value: unknown): string {
  try {
    return EJSON.stringify(value as Document, { relaxed: true });
  } catch {
    return String(value);
  }
}

/** The format's session states, by the driver's names. */
const TRANSACTION_STATES: Record<string, string> = {
  none: 'NO_TRANSACTION', starting: 'STARTING_TRANSACTION', in_progress: 'TRANSACTION_IN_PROGRESS', committed: 'TRANSACTION_COMMITTED', aborted: 'TRANSACTION_ABORTED',
};

/** One test's entities and the fail points it armed. */
export class TestRun implements MatchContext {
  readonly entities = new Map<string, Entity>();
  readonly failPoints: { client: MongoClient; name: string; owned: boolean }[] = [];
  private clusterTime: ClusterTime | undefined;

  constructor(readonly runner: UnifiedRunner, readonly file: SpecFile) {}

  entity(name: string): unknown {
    if (!this.entities.has(name)) throw new Error(`no entity named ${name}`);
    return this.entities.get(name);
  }

  sessionLsid(name: string): unknown {
    return this.session(name).id;
  }

  private typed<T>(name: string, type: abstract new (...args: never[]) => T, what: string): T {
    const e = this.entity(name);
    if (!(e instanceof type)) throw new Error(`entity ${name} is not a ${what}`);
    return e as T;
  }

  client(name: string): ClientEntity {
    return this.typed(name, ClientEntity, 'client');
  }

  session(name: string): ClientSession {
    return this.typed(name, ClientSession, 'session');
  }

  async createEntities(specs: Document[]): Promise<void> {
    for (const spec of specs) {
      const [kind] = Object.keys(spec);
      const def = spec[kind] as Document;
      if (this.entities.has(def.id)) throw new Error(`duplicate entity ${def.id}`);
      switch (kind) {
        case 'client':
          // The format: useMultipleMongoses true → every mongos of a sharded cluster, false or absent → one.
          this.entities.set(def.id, await ClientEntity.create(def, def.useMultipleMongoses === true && this.runner.server.topology === 'sharded' ? this.runner.multiUri : this.runner.uri));
          break;
        case 'database':
          this.entities.set(def.id, this.client(def.client).client.db(def.databaseName, driverOptions(def.databaseOptions)));
          break;
        case 'collection':
          this.entities.set(def.id, this.typed(def.database, Db, 'database').collection(def.collectionName, driverOptions(def.collectionOptions)));
          break;
        case 'session': {
          const session = this.client(def.client).client.startSession(sessionOptions(def.sessionOptions));
          // The internal client's cluster time, so a session's first read can see the initial data (DRIVERS-2816).
          if (this.clusterTime) session.advanceClusterTime(this.clusterTime);
          this.entities.set(def.id, session);
          break;
        }
        default:
          throw new UnsupportedOperation(`entity type ${kind}`);
      }
    }
  }

  private collections(): Collection[] {
    return [...this.entities.values()].filter((e): e is Collection => e instanceof Collection);
  }

  /** Runs every operation, then checks expectEvents and outcome; always cleans up. */
  async run(test: SpecTest): Promise<void> {
    try {
      // As the format asks and the Node runner does: no transaction of an earlier test is left open.
      await this.runner.killAllSessions();
      this.clusterTime = await this.runner.clusterTime();
      if (this.file.initialData) await this.runner.loadInitialData(this.file.initialData);
      await this.createEntities(this.file.createEntities ?? []);
      if (this.runner.server.topology === 'sharded') await this.runner.distinctOnEachCollection(this.collections());
      await this.operations(test.operations);
      for (const e of this.entities.values()) if (e instanceof ClientEntity) e.observing = false;
      await this.disableFailPoints();
      for (const expected of test.expectEvents ?? []) this.checkEvents(expected);
      for (const data of test.outcome ?? []) await this.runner.checkOutcome(data);
    } finally {
      await this.cleanup();
    }
  }

  private async operations(ops: Document[]): Promise<void> {
    for (const [i, op] of ops.entries()) {
      try {
        await this.operation(op);
      } catch (err) {
        const e = err as Error;
        e.message = `operation ${i} (${op.object}.${op.name}): ${e.message}`;
        throw e;
      }
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
      if (spec.command !== undefined) match(spec.command, event.command, this, true, `${at}.command`, 'lenient');
      if (spec.reply !== undefined) match(spec.reply, event.reply, this, true, `${at}.reply`);
      if (spec.hasServiceId !== undefined && (event.serviceId !== undefined) !== spec.hasServiceId) throw new MatchError(`${at}.hasServiceId`, 'mismatch');
      if (spec.hasServerConnectionId !== undefined && (event.serverConnectionId != null) !== spec.hasServerConnectionId) throw new MatchError(`${at}.hasServerConnectionId`, 'mismatch');
    });
  }

  private async operation(op: Document): Promise<void> {
    let result: unknown;
    let error: unknown;
    try {
      result = normaliseResult(await this.execute(op));
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
    if (op.expectResult !== undefined && !op.ignoreResultAndError) match(op.expectResult, result, this, true, 'expectResult');
    if (op.saveResultAsEntity) {
      if (this.entities.has(op.saveResultAsEntity)) throw new Error(`duplicate entity ${op.saveResultAsEntity}`);
      this.entities.set(op.saveResultAsEntity, result);
    }
  }

  /** The operation's arguments in the driver's terms: session entities, option objects, lower-case enums. */
  private driverArguments(op: Document): Document {
    const args: Document = driverOptions(op.arguments);
    if (typeof args.session === 'string') args.session = this.session(args.session);
    if (typeof args.returnDocument === 'string') args.returnDocument = args.returnDocument.toLowerCase();
    return args;
  }

  private async execute(op: Document): Promise<unknown> {
    if (op.object === 'testRunner') return this.testRunnerOperation(op.name, op.arguments ?? {});
    const args = this.driverArguments(op);
    const target = this.entity(op.object);
    if (target instanceof ChangeStream) return this.changeStreamOperation(target, op.name);
    if (target instanceof ClientEntity) return this.clientOperation(target, op.name, args);
    if (target instanceof Db) return this.databaseOperation(target, op.name, args);
    if (target instanceof Collection) return this.collectionOperation(target, op.name, args);
    if (target instanceof ClientSession) return this.sessionOperation(target, op.name, args);
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
      case 'clientBulkWrite': {
        const { models, ...options } = args;
        // The format's { insertOne: { namespace, document } } is the driver's { name: 'insertOne', namespace, document }.
        const driverModels = (models as Document[]).map((m) => {
          const [kind] = Object.keys(m);
          return { name: kind, ...m[kind] };
        });
        return client.bulkWrite(driverModels as never, options);
      }
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
      case 'bulkWrite': {
        const { requests, ...rest } = options;
        return coll.bulkWrite(requests, rest);
      }
      case 'find':
        return coll.find(filter, options).toArray();
      case 'findOne':
        return coll.findOne(filter, options);
      case 'aggregate':
        return coll.aggregate(pipeline, options).toArray();
      case 'count':
        return coll.count(filter, options);
      case 'countDocuments':
        return coll.countDocuments(filter, options);
      case 'estimatedDocumentCount':
        return coll.estimatedDocumentCount(options);
      case 'distinct': {
        const { fieldName, ...rest } = options;
        return coll.distinct(fieldName, filter ?? {}, rest);
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

  private async sessionOperation(session: ClientSession, name: string, args: Document): Promise<unknown> {
    switch (name) {
      case 'startTransaction':
        return session.startTransaction(args);
      case 'commitTransaction':
        return session.commitTransaction();
      case 'abortTransaction':
        return session.abortTransaction();
      case 'withTransaction': {
        const { callback, ...options } = args;
        return session.withTransaction(() => this.operations(callback as Document[]), options);
      }
      case 'endSession':
        return session.endSession();
      case 'getSnapshotTime':
        return (session as unknown as { snapshotTime?: unknown }).snapshotTime;
      default:
        throw new UnsupportedOperation(`session operation ${name}`);
    }
  }

  private async testRunnerOperation(name: string, args: Document): Promise<unknown> {
    const session = () => this.session(args.session);
    switch (name) {
      case 'failPoint': {
        const client = this.client(args.client).client;
        await client.db('admin').command(args.failPoint);
        this.failPoints.push({ client, name: args.failPoint.configureFailPoint, owned: false });
        return undefined;
      }
      case 'targetedFailPoint':
        return this.targetedFailPoint(session(), args.failPoint);
      case 'createEntities':
        return this.createEntities(args.entities);
      case 'assertSessionTransactionState': {
        const state = (session() as unknown as { transaction: { state: string } }).transaction.state;
        if (state !== TRANSACTION_STATES[args.state]) throw new MatchError(name, `expected ${args.state} (${TRANSACTION_STATES[args.state]}), session is ${state}`);
        return undefined;
      }
      case 'assertSessionPinned':
      case 'assertSessionUnpinned': {
        const pinned = session().isPinned;
        if (pinned !== (name === 'assertSessionPinned')) throw new MatchError(name, `session is ${pinned ? '' : 'not '}pinned`);
        return undefined;
      }
      case 'assertSessionDirty':
      case 'assertSessionNotDirty': {
        const dirty = (session() as unknown as { serverSession?: { isDirty: boolean } }).serverSession?.isDirty ?? false;
        if (dirty !== (name === 'assertSessionDirty')) throw new MatchError(name, `session is ${dirty ? '' : 'not '}dirty`);
        return undefined;
      }
      case 'assertSameLsidOnLastTwoCommands':
      case 'assertDifferentLsidOnLastTwoCommands': {
        const started = this.client(args.client).startedCommands();
        if (started.length < 2) throw new MatchError(name, `only ${started.length} command(s) observed`);
        const [a, b] = started.slice(-2).map((e) => (e.command as Document).lsid);
        if (!a || !b) throw new MatchError(name, 'a command without lsid');
        const same = EJSON.stringify(a) === EJSON.stringify(b);
        if (same !== (name === 'assertSameLsidOnLastTwoCommands')) throw new MatchError(name, `the last two commands have ${same ? 'the same' : 'different'} lsids`);
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

  /** A fail point on the server the session is pinned to (a mongos, in a sharded transaction). */
  private async targetedFailPoint(session: ClientSession, failPoint: Document): Promise<void> {
    if (!session.isPinned) throw new MatchError('targetedFailPoint', 'the session is not pinned to a server');
    const server = (session as unknown as { transaction: { server?: { description?: { hostAddress?: { toString(): string } } } } }).transaction.server;
    const address = server?.description?.hostAddress?.toString();
    if (!address) throw new UnsupportedOperation('targetedFailPoint without a pinned server address');
    const client = new MongoClient(`mongodb://${address}/?directConnection=true`, { serverSelectionTimeoutMS: 5000 });
    await client.db('admin').command(failPoint);
    this.failPoints.push({ client, name: failPoint.configureFailPoint, owned: true });
  }

  private async disableFailPoints(): Promise<void> {
    for (const fp of this.failPoints.splice(0)) {
      // Turned off through the runner's own client when the test's client was closed by the test itself.
      const client = fp.owned ? fp.client : this.runner.internal;
      await client.db('admin').command({ configureFailPoint: fp.name, mode: 'off' }).catch(() => {});
      if (fp.owned) await fp.client.close(true).catch(() => {});
    }
  }

  private async cleanup(): Promise<void> {
    await this.disableFailPoints();
    const entities = [...this.entities.values()];
    for (const e of entities) if (e instanceof ChangeStream) await e.close().catch(() => {});
    for (const e of entities) if (e instanceof ClientSession) await e.endSession({ force: true }).catch(() => {});
    for (const e of entities) if (e instanceof ClientEntity) await e.client.close(true).catch(() => {});
    this.entities.clear();
  }
}

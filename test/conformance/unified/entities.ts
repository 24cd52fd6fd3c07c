import { EJSON, type Document } from 'bson';
import {
  MongoClient, ReadConcern, ReadPreference, WriteConcern, type MongoClientOptions,
  type CommandFailedEvent, type CommandStartedEvent, type CommandSucceededEvent,
} from 'mongodb';

/** Commands whose events the format hides unless a client sets observeSensitiveCommands. */
const SENSITIVE = new Set(['authenticate', 'saslStart', 'saslContinue', 'getnonce', 'createUser', 'updateUser', 'copydbgetnonce', 'copydbsaslstart', 'copydb']);

function isSensitive(event: CommandStartedEvent | CommandSucceededEvent | CommandFailedEvent, started: Map<number, boolean>): boolean {
  const name = event.commandName;
  if (SENSITIVE.has(name)) return true;
  if (name !== 'hello' && name.toLowerCase() !== 'ismaster') return false;
  // hello is sensitive when it carries speculativeAuthenticate; its replies are paired by requestId.
  if ('command' in event) {
    const sensitive = (event.command as Document).speculativeAuthenticate !== undefined || Object.keys(event.command as Document).length === 0;
    started.set(event.requestId, sensitive);
    return sensitive;
  }
  return started.get(event.requestId) ?? false;
}

export interface ObservedEvent {
  type: string;
  event: CommandStartedEvent | CommandSucceededEvent | CommandFailedEvent | Document;
}

const CMAP_EVENTS = ['connectionPoolCreated', 'connectionPoolReady', 'connectionPoolCleared', 'connectionPoolClosed', 'connectionCreated', 'connectionReady', 'connectionClosed', 'connectionCheckOutStarted', 'connectionCheckOutFailed', 'connectionCheckedOut', 'connectionCheckedIn'] as const;
/** The format's names (`poolClearedEvent`) for the driver's (`connectionPoolCleared`). */
const CMAP_NAME: Record<string, string> = {
  connectionPoolCreated: 'poolCreatedEvent', connectionPoolReady: 'poolReadyEvent', connectionPoolCleared: 'poolClearedEvent', connectionPoolClosed: 'poolClosedEvent',
};

/** A `client` entity: the driver's client and the events it was asked to observe. */
export class ClientEntity {
  readonly events: ObservedEvent[] = [];
  observing = true;
  checkedOut = 0;
  constructor(readonly client: MongoClient, readonly spec: Document) {}

  /** The commandStartedEvents seen so far (for the lsid assertions). */
  startedCommands(): CommandStartedEvent[] {
    return this.events.filter((e) => e.type === 'commandStartedEvent').map((e) => e.event as CommandStartedEvent);
  }

  static async create(def: Document, baseUri: string): Promise<ClientEntity> {
    const uriOptions: Document = { ...(def.uriOptions ?? {}) };
    if (!('heartbeatFrequencyMS' in uriOptions)) uriOptions.heartbeatFrequencyMS = 500;
    const extra = Object.entries(uriOptions).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(typeof v === 'object' ? EJSON.stringify(v) : String(v))}`).join('&');
    const uri = extra ? `${baseUri}${baseUri.includes('?') ? '&' : baseUri.endsWith('/') ? '?' : '/?'}${extra}` : baseUri;
    // No ping on connect (as the Node runner: `@@mdb.skipPingOnConnect`, 7.9's `__skipPingOnConnect`): a
    // client whose readPreference no member of this deployment meets must still be created.
    // minHeartbeatFrequencyMS 50 (the driver's floor is 500): after a "not primary"/shutdown error the driver
    // re-checks the server before retrying; the floor only paces that re-check, it changes nothing tested.
    const client = new MongoClient(uri, {
      monitorCommands: true, serverSelectionTimeoutMS: 2000, minHeartbeatFrequencyMS: 50, __skipPingOnConnect: true, ...(def.serverApi ? { serverApi: def.serverApi } : {}),
    } as MongoClientOptions);
    const entity = new ClientEntity(client, def);
    const observe = new Set<string>(def.observeEvents ?? []);
    const ignore = new Set<string>(def.ignoreCommandMonitoringEvents ?? []);
    const helloSensitivity = new Map<number, boolean>();
    const record = (type: string) => (event: CommandStartedEvent | CommandSucceededEvent | CommandFailedEvent) => {
      const sensitive = isSensitive(event, helloSensitivity);
      if (!entity.observing || !observe.has(type)) return;
      if (ignore.has(event.commandName) || event.commandName === 'configureFailPoint') return;
      if (!def.observeSensitiveCommands && sensitive) return;
      entity.events.push({ type, event });
    };
    client.on('commandStarted', record('commandStartedEvent'));
    client.on('commandSucceeded', record('commandSucceededEvent'));
    client.on('commandFailed', record('commandFailedEvent'));
    client.on('connectionCheckedOut', () => entity.checkedOut++);
    client.on('connectionCheckedIn', () => entity.checkedOut--);
    for (const cmap of CMAP_EVENTS) {
      const name = CMAP_NAME[cmap] ?? `${cmap}Event`;
      client.on(cmap, (event: Document) => {
        if (entity.observing && observe.has(name)) entity.events.push({ type: name, event });
      });
    }
    await client.connect();
    return entity;
  }
}

/** readConcern / writeConcern / readPreference as the driver's option objects. */
export function driverOptions(options: Document | undefined): Document {
  const out: Document = { ...(options ?? {}) };
  if (out.readConcern) out.readConcern = ReadConcern.fromOptions({ readConcern: out.readConcern });
  if (out.writeConcern) out.writeConcern = WriteConcern.fromOptions({ writeConcern: out.writeConcern });
  if (out.readPreference) out.readPreference = ReadPreference.fromOptions({ readPreference: out.readPreference });
  return out;
}

/** A session entity's options, with its default transaction options in the driver's types. */
export function sessionOptions(options: Document | undefined): Document {
  const out: Document = { ...(options ?? {}) };
  if (out.defaultTransactionOptions) out.defaultTransactionOptions = driverOptions(out.defaultTransactionOptions);
  return out;
}

import { Long, ObjectId, type Document } from 'bson';
import { CommandError, ErrorCode } from './errors.js';

export interface TopologyOptions {
  host: string;
  port: number;
  replicaSet: string;
  /** 'mongos' makes hello and serverStatus answer as a router. */
  /** 'mongos' answers as a router; 'standalone' as a mongod without a replica set (no change streams). */
  role: 'replicaSetPrimary' | 'mongos' | 'standalone';
}

/** Commands a non-primary refuses: writes (NotWritablePrimary) and primary-only reads (NotPrimaryNoSecondaryOk). */
const WRITE_COMMANDS = new Set(['insert', 'update', 'delete', 'findAndModify', 'findandmodify', 'create', 'drop', 'dropDatabase', 'createIndexes', 'dropIndexes', 'renameCollection', 'collMod']);
const READ_COMMANDS = new Set(['find', 'aggregate', 'count', 'distinct', 'listCollections', 'listIndexes', 'dbStats', 'collStats']);
const SECONDARY_READ_MODES = new Set(['primaryPreferred', 'secondary', 'secondaryPreferred', 'nearest']);

/**
 * How this server presents itself to drivers' server discovery. A change (step-down, restart) bumps
 * topologyVersion.counter and wakes every awaitable hello, exactly as mongod does.
 */
export class Topology {
  private _processId = new ObjectId();
  private counter = 0;
  private waiters = new Set<() => void>();
  private _writablePrimary = true;
  /** The replica-set term: each election (back to primary after a step-down or a restart) starts a new one. */
  private term = 1;
  /** The replica set's id (settings.replicaSetId), chosen when the set was initiated; kept across restarts. */
  readonly replicaSetId = new ObjectId();

  constructor(public options: TopologyOptions) {}

  get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  get processId(): ObjectId {
    return this._processId;
  }

  /** As mongod forms it: 0x7fffffff followed by the term, so a later election compares greater. */
  get electionId(): ObjectId {
    return new ObjectId(`7fffffff${this.term.toString(16).padStart(16, '0')}`);
  }

  /** The current replica-set term (replSetGetStatus.term, replSetGetConfig.config.term). */
  get currentTerm(): number {
    return this.term;
  }

  get writablePrimary(): boolean {
    return this._writablePrimary;
  }

  /** Step down (false) or become primary again (true); announces the change to awaitable hellos. */
  set writablePrimary(value: boolean) {
    if (value === this._writablePrimary) return;
    this._writablePrimary = value;
    if (value) this.term++;
    this.changed();
  }

  get version(): Document {
    return { processId: this._processId, counter: Long.fromNumber(this.counter) };
  }

  isCurrent(version: Document | undefined): boolean {
    if (!version?.processId || !(version.processId instanceof ObjectId)) return false;
    return version.processId.equals(this._processId) && Number(version.counter) === this.counter;
  }

  /** Announce a change: awaitable hellos answer at once with the new state. */
  changed(): void {
    this.counter++;
    const woken = [...this.waiters];
    this.waiters.clear();
    for (const wake of woken) wake();
  }

  /** A restarted process: a new processId, counter back to 0, primary again. */
  restarted(): void {
    this._processId = new ObjectId();
    this.counter = 0;
    this._writablePrimary = true;
    this.term++;
    const woken = [...this.waiters];
    this.waiters.clear();
    for (const wake of woken) wake();
  }

  waitForChange(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * The error a non-primary member returns for this command, or undefined when it may run. Each carries
   * topologyVersion, as mongod's state-change errors do, so drivers can tell stale errors from new ones.
   * `changeStreamCursor` says whether a getMore targets a change-stream cursor.
   */
  stateError(name: string, cmd: Document, changeStreamCursor: boolean): CommandError | undefined {
    if (this._writablePrimary || this.options.role === 'mongos') return undefined;
    const extra = { topologyVersion: this.version };
    if (WRITE_COMMANDS.has(name)) return new CommandError(ErrorCode.NotWritablePrimary, 'not primary', ['RetryableWriteError'], extra);
    if (name === 'getMore' && changeStreamCursor) {
      return new CommandError(11602, 'operation was interrupted because of a replica set state change', ['ResumableChangeStreamError'], extra);
    }
    if (READ_COMMANDS.has(name) && !SECONDARY_READ_MODES.has(cmd.$readPreference?.mode)) {
      return new CommandError(13435, 'not primary and secondaryOk=false', [], extra);
    }
    return undefined;
  }
}
